"""The hyperparameter tuning job kind: its row, progress line, XCom result and side keys."""

from __future__ import annotations

from typing import Any

from airflow_sm_provider.jobs.kind import Description, JobKind, Outcome


def best_job(description: Description) -> Description | None:
    """The job DESIGN.md calls best: OverallBestTrainingJob for warm starts, else BestTrainingJob."""
    return description.get("OverallBestTrainingJob") or description.get("BestTrainingJob")


def tuning_progress(description: Description) -> str:
    status = description.get("HyperParameterTuningJobStatus", "?")
    counters = description.get("TrainingJobStatusCounters") or {}
    failed = counters.get("NonRetryableError", 0) + counters.get("RetryableError", 0)
    line = (
        f"{status}: {counters.get('Completed', 0)} completed, {counters.get('InProgress', 0)} in progress, "
        f"{failed} failed, {counters.get('Stopped', 0)} stopped trials"
    )
    metric = (best_job(description) or {}).get("FinalHyperParameterTuningJobObjectiveMetric")
    if metric:
        line += f"; best {metric.get('MetricName')} = {metric.get('Value')}"
    return line


def no_best_job_message(description: Description) -> str:
    name = description.get("HyperParameterTuningJobName", "?")
    message = (
        f"SageMaker hyperparameter tuning job {name} completed, but none of its training jobs "
        "succeeded, so there is no best training job and no tuned hyperparameters"
    )
    counters = description.get("TrainingJobStatusCounters")
    if counters:
        message += " (trials: " + ", ".join(f"{k}={v}" for k, v in sorted(counters.items())) + ")"
    return message


#: Failed or non-reporting trials named in a tuning failure's message.
TRIALS_SHOWN = 5


def objective_of(description: Description) -> tuple[str | None, str | None]:
    """The objective metric's name and, where the job defines it, its regex."""
    config = description.get("HyperParameterTuningJobConfig") or {}
    name = (config.get("HyperParameterTuningJobObjective") or {}).get("MetricName")
    definitions = [description.get("TrainingJobDefinition") or {}]
    definitions += description.get("TrainingJobDefinitions") or []
    for definition in definitions:
        for metric in (definition.get("AlgorithmSpecification") or {}).get("MetricDefinitions") or []:
            if metric.get("Name") == name:
                return name, metric.get("Regex")
    return name, None


def trial_failures(hook: Any, description: Description) -> str:
    """Why no trial gave a best job: the objective (and its regex) and the first failed trials."""
    name, regex = objective_of(description)
    trials = hook.list_trials(description["HyperParameterTuningJobName"])
    reported = [t for t in trials if t.get("FinalHyperParameterTuningJobObjectiveMetric")]
    lines = []
    if name and not reported:
        where = f" (regex {regex!r})" if regex else ""
        lines.append(f"no trial reported the objective metric {name!r}{where}")
    bad = [t for t in trials if not t.get("FinalHyperParameterTuningJobObjectiveMetric")]
    for trial in bad[:TRIALS_SHOWN]:
        reason = trial.get("FailureReason") or f"reported no value for {name!r}"
        lines.append(f"{trial['TrainingJobName']}: {trial.get('TrainingJobStatus')}: {reason}")
    if len(bad) > TRIALS_SHOWN:
        lines.append(f"... and {len(bad) - TRIALS_SHOWN} more")
    return "; ".join(lines)


def tuning_result(description: Description, best_description: Description | None) -> dict[str, Any]:
    """The tuning ``return_value`` XCom of DESIGN.md, JSON-native only.

    :param best_description: DescribeTrainingJob of the best job (for its model artifacts).
    """
    best = best_job(description)
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


def is_tuning_result(value: Any) -> bool:
    """Whether ``value`` is a tuning task's ``return_value`` (DESIGN.md's contract)."""
    return isinstance(value, dict) and {"tuning_job_name", "best_training_job"} <= value.keys()


def tuned_hyperparameters_of(result: dict[str, Any]) -> dict[str, str] | None:
    """The best training job's tuned hyperparameters in a tuning ``return_value``; ``None`` without one."""
    best = result.get("best_training_job")
    return dict(best["tuned_hyperparameters"]) if best else None


def tuning_side_xcom(result: dict[str, Any]) -> dict[str, Any]:
    """``tuned_hyperparameters`` and ``best_training_job_name``, for the next task to pull."""
    best = result.get("best_training_job")
    if not best:
        return {}
    return {"tuned_hyperparameters": best["tuned_hyperparameters"], "best_training_job_name": best["name"]}


def tuning_reporter(hook: Any, job_name: str, log: Any, since_ms: int | None, after_trigger: bool) -> Any:
    """A line per finished trial (unless the trigger logged them), then the leaderboard."""
    from airflow_sm_provider.reporting import TrialProgress

    return TrialProgress(hook, job_name, log, trial_lines=not after_trigger)


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
    trigger="airflow_sm_provider.triggers.sagemaker.SageMakerTuningTrigger",
    amazon_xcom_key="Tuning",
    local_console_path="tuning-jobs",
    has_log_streams=False,
    console_fragment="hyper-tuning-jobs",
    # A summary has no best training job: a completed tuning job is Described before success.
    summary_settles_success=False,
    progress=tuning_progress,
    result=tuning_result,
    side_xcom=tuning_side_xcom,
    best_job=best_job,
    no_best_job_message=no_best_job_message,
    failure_details=trial_failures,
    reporter=tuning_reporter,
)
