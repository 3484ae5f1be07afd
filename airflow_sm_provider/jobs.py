"""One table of truth for SageMaker job kinds and their statuses.

The blocking wait in the operators, the sensors' ``poke()`` and the triggers all call
:func:`classify` on a Describe* response, so a status means the same thing on every path.
The XCom results of DESIGN.md's contract are built here too, from Describe* responses, with
datetimes dropped so that only JSON-native values reach XCom.

This module imports nothing heavy: it is loaded at DAG-parse time through the operators.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Outcome(str, enum.Enum):
    """What a job status means for whoever waits on it."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    def is_terminal(self) -> bool:
        return self is not Outcome.RUNNING


@dataclass(frozen=True)
class JobKind:
    """Everything that differs between a training job and a tuning job, in one row."""

    name: str
    label: str
    name_key: str
    arn_key: str
    status_key: str
    status_enum: str
    max_name_length: int
    create_operation: str
    describe_operation: str
    stop_operation: str
    list_operation: str
    list_key: str
    statuses: dict[str, Outcome]


TRAINING = JobKind(
    name="training",
    label="training job",
    name_key="TrainingJobName",
    arn_key="TrainingJobArn",
    status_key="TrainingJobStatus",
    status_enum="TrainingJobStatus",
    max_name_length=63,
    create_operation="CreateTrainingJob",
    describe_operation="DescribeTrainingJob",
    stop_operation="StopTrainingJob",
    list_operation="ListTrainingJobs",
    list_key="TrainingJobSummaries",
    statuses={
        "InProgress": Outcome.RUNNING,
        "Stopping": Outcome.RUNNING,
        "Completed": Outcome.SUCCEEDED,
        "Failed": Outcome.FAILED,
        "Stopped": Outcome.FAILED,
        "Deleting": Outcome.FAILED,
    },
)

TUNING = JobKind(
    name="tuning",
    label="hyperparameter tuning job",
    name_key="HyperParameterTuningJobName",
    arn_key="HyperParameterTuningJobArn",
    status_key="HyperParameterTuningJobStatus",
    status_enum="HyperParameterTuningJobStatus",
    max_name_length=32,
    create_operation="CreateHyperParameterTuningJob",
    describe_operation="DescribeHyperParameterTuningJob",
    stop_operation="StopHyperParameterTuningJob",
    list_operation="ListHyperParameterTuningJobs",
    list_key="HyperParameterTuningJobSummaries",
    statuses={
        "InProgress": Outcome.RUNNING,
        "Stopping": Outcome.RUNNING,
        "Completed": Outcome.SUCCEEDED,
        "Failed": Outcome.FAILED,
        "Stopped": Outcome.FAILED,
        "Deleting": Outcome.FAILED,
        "DeleteFailed": Outcome.FAILED,
    },
)

KINDS: dict[str, JobKind] = {kind.name: kind for kind in (TRAINING, TUNING)}


@dataclass(frozen=True)
class Classification:
    """The verdict on one Describe* response."""

    outcome: Outcome
    status: str
    message: str


def classify(kind: JobKind, description: dict[str, Any]) -> Classification:
    """Map a Describe* response to an :class:`Outcome` with a human message.

    A tuning job that ends ``Completed`` without a best training job failed for the DAG author's
    purposes: there are no tuned hyperparameters to hand on.
    """
    status = description[kind.status_key]
    name = description.get(kind.name_key, "?")
    try:
        outcome = kind.statuses[status]
    except KeyError:
        # A status SageMaker adds later must not crash a wait; keep waiting and say so.
        return Classification(Outcome.RUNNING, status, f"{kind.label} {name} has unknown status {status}")
    reason = description.get("FailureReason")
    if outcome is Outcome.FAILED:
        message = f"SageMaker {kind.label} {name} ended {status}"
        message += f": {reason}" if reason else " (SageMaker gave no FailureReason)"
        return Classification(outcome, status, message)
    if outcome is Outcome.SUCCEEDED and kind is TUNING and not _best_job(description):
        return Classification(
            Outcome.FAILED,
            status,
            f"SageMaker {kind.label} {name} completed, but none of its training jobs succeeded, "
            "so there is no best training job and no tuned hyperparameters" + _counters_suffix(description),
        )
    return Classification(outcome, status, f"SageMaker {kind.label} {name} is {status}")


def progress(kind: JobKind, description: dict[str, Any]) -> str:
    """A one-line progress summary that changes only when something worth logging changes."""
    status = description.get(kind.status_key, "?")
    if kind is TRAINING:
        secondary = description.get("SecondaryStatus")
        return f"{status} / {secondary}" if secondary else status
    counters = description.get("TrainingJobStatusCounters") or {}
    line = (
        f"{status}: {counters.get('Completed', 0)} completed, {counters.get('InProgress', 0)} in progress, "
        f"{counters.get('NonRetryableError', 0) + counters.get('RetryableError', 0)} failed, "
        f"{counters.get('Stopped', 0)} stopped trials"
    )
    best = _best_job(description)
    metric = (best or {}).get("FinalHyperParameterTuningJobObjectiveMetric")
    if metric:
        line += f"; best {metric.get('MetricName')} = {metric.get('Value')}"
    return line


def _counters_suffix(description: dict[str, Any]) -> str:
    counters = description.get("TrainingJobStatusCounters")
    if not counters:
        return ""
    parts = ", ".join(f"{key}={value}" for key, value in sorted(counters.items()))
    return f" (trials: {parts})"


def _best_job(description: dict[str, Any]) -> dict[str, Any] | None:
    """The job DESIGN.md calls best: OverallBestTrainingJob for warm starts, else BestTrainingJob."""
    return description.get("OverallBestTrainingJob") or description.get("BestTrainingJob")


def best_training_job_name(description: dict[str, Any]) -> str | None:
    best = _best_job(description)
    return best["TrainingJobName"] if best else None


def strip_internal(hyperparameters: dict[str, str] | None) -> dict[str, str]:
    """Drop keys SageMaker adds for its own use (``_tuning_objective_metric``)."""
    return {k: v for k, v in (hyperparameters or {}).items() if not k.startswith("_")}


def training_result(description: dict[str, Any]) -> dict[str, Any]:
    """The training ``return_value`` XCom of DESIGN.md, JSON-native only."""
    return {
        "training_job_name": description["TrainingJobName"],
        "training_job_arn": description["TrainingJobArn"],
        "status": description["TrainingJobStatus"],
        "secondary_status": description.get("SecondaryStatus"),
        "model_artifacts": (description.get("ModelArtifacts") or {}).get("S3ModelArtifacts"),
        "final_metrics": {
            item["MetricName"]: item["Value"] for item in description.get("FinalMetricDataList") or []
        },
        "hyperparameters": strip_internal(description.get("HyperParameters")),
        "billable_seconds": description.get("BillableTimeInSeconds"),
    }


def tuning_result(description: dict[str, Any], best_description: dict[str, Any] | None) -> dict[str, Any]:
    """The tuning ``return_value`` XCom of DESIGN.md, JSON-native only.

    :param best_description: DescribeTrainingJob of the best job (for its model artifacts).
    """
    best = _best_job(description)
    best_result = None
    if best:
        metric = best.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
        best_result = {
            "name": best["TrainingJobName"],
            "arn": best.get("TrainingJobArn"),
            "status": best.get("TrainingJobStatus"),
            "objective_metric": {
                "name": metric.get("MetricName"),
                "type": metric.get("Type"),
                "value": metric.get("Value"),
            },
            "tuned_hyperparameters": dict(best.get("TunedHyperParameters") or {}),
            "model_artifacts": ((best_description or {}).get("ModelArtifacts") or {}).get("S3ModelArtifacts"),
        }
    return {
        "tuning_job_name": description["HyperParameterTuningJobName"],
        "tuning_job_arn": description["HyperParameterTuningJobArn"],
        "status": description["HyperParameterTuningJobStatus"],
        "best_training_job": best_result,
        "training_job_status_counters": dict(description.get("TrainingJobStatusCounters") or {}),
        "objective_status_counters": dict(description.get("ObjectiveStatusCounters") or {}),
    }
