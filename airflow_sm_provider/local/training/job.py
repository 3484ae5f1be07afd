"""The training job record and its explicit lifecycle.

A training job moves through SageMaker's secondary statuses; each one implies the primary
status (``TrainingJobStatus``)::

    Starting -> Downloading -> Training -> Uploading -> Completed
       |            |             |            |
       +------------+------+------+------------+--> Failed
                           +--> MaxRuntimeExceeded (primary Stopped)
       any live status --> Stopping --> Stopped (or Failed if teardown fails)
       any live status --> MaxWaitTimeExceeded (primary Stopped; managed spot only)
    Training -> Interrupted -> Starting (a spot interruption: the job starts again)
    any live status --> Restarting -> Downloading (RetryStrategy, after a backend restart)

``enter()`` refuses any other move, so the runner cannot put a job into an impossible state.
Records are plain data: the backend serialises access to them, and ``to_doc()`` / ``from_doc()``
turn them into the JSON the store keeps (datetimes as epoch seconds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from airflow_sm_provider.local.times import from_epoch, to_epoch, utcnow
from airflow_sm_provider.local.training.metrics import MetricSeries

PRIMARY = {
    "Starting": "InProgress",
    "Downloading": "InProgress",
    "Training": "InProgress",
    "Uploading": "InProgress",
    "Stopping": "Stopping",
    "Completed": "Completed",
    "Failed": "Failed",
    "Stopped": "Stopped",
    "MaxRuntimeExceeded": "Stopped",
    "Interrupted": "InProgress",
    "MaxWaitTimeExceeded": "Stopped",
    "Restarting": "InProgress",
}
TERMINAL_STATUSES = frozenset({"Completed", "Failed", "Stopped"})
ALLOWED = {
    "Starting": {"Downloading", "Failed", "Stopping", "MaxWaitTimeExceeded", "Restarting"},
    "Downloading": {"Training", "Failed", "Stopping", "MaxWaitTimeExceeded", "Restarting"},
    "Training": {
        "Uploading",
        "Failed",
        "Stopping",
        "MaxRuntimeExceeded",
        "MaxWaitTimeExceeded",
        "Interrupted",
        "Restarting",
    },
    "Interrupted": {"Starting", "Failed", "Stopping", "MaxWaitTimeExceeded", "Restarting"},
    "Restarting": {"Downloading", "Failed", "Stopping", "MaxWaitTimeExceeded"},
    "Uploading": {"Completed", "Failed", "Stopping", "Restarting"},
    "Stopping": {"Stopped", "Failed"},
}
MESSAGES = {
    "Starting": "Preparing the local job directory",
    "Downloading": "Downloading input data and training code",
    "Training": "Training in progress",
    "Uploading": "Uploading generated training model",
    "Completed": "Training job completed",
    "Failed": "Training job failed",
    "Stopping": "Stopping the training job",
    "Stopped": "Training job stopped",
    "MaxRuntimeExceeded": "Training job exceeded MaxRuntimeInSeconds and was stopped",
    "Interrupted": "Spot instance interrupted (simulated); the job restarts from its checkpoints",
    "MaxWaitTimeExceeded": "Training job exceeded MaxWaitTimeInSeconds and was stopped",
    "Restarting": "The local backend restarted while the job ran; retrying it (RetryStrategy)",
}
# locally nothing is billed; a managed spot job reports SageMaker's typical saving so that
# BillableTimeInSeconds < TrainingTimeInSeconds, as on AWS
SPOT_BILLED_FRACTION = 0.3
# Request fields DescribeTrainingJob echoes back (everything else in the request is not reported).
ECHOED_TRAINING_FIELDS = (
    "HyperParameters",
    "AlgorithmSpecification",
    "RoleArn",
    "InputDataConfig",
    "OutputDataConfig",
    "ResourceConfig",
    "VpcConfig",
    "StoppingCondition",
    "EnableNetworkIsolation",
    "EnableInterContainerTrafficEncryption",
    "EnableManagedSpotTraining",
    "CheckpointConfig",
    "DebugHookConfig",
    "ExperimentConfig",
    "DebugRuleConfigurations",
    "TensorBoardOutputConfig",
    "ProfilerConfig",
    "ProfilerRuleConfigurations",
    "Environment",
    "RetryStrategy",
    "RemoteDebugConfig",
    "InfraCheckConfig",
)


class IllegalTransition(RuntimeError):
    """A lifecycle move the state machine above does not allow (a bug, not a user error)."""


@dataclass
class TrainingJob:
    """One training job's state. ``version`` increases on every change the store must see."""

    name: str
    arn: str
    request: dict[str, Any]
    creation_time: datetime
    model_artifacts: str
    tuning_job_arn: str | None = None
    secondary_status: str = "Starting"
    last_modified_time: datetime | None = None
    transitions: list[dict[str, Any]] = field(default_factory=list)
    failure_reason: str | None = None
    training_start_time: datetime | None = None
    training_end_time: datetime | None = None
    metrics: MetricSeries = field(default_factory=lambda: MetricSeries(definitions=[]))
    version: int = 0
    retries: int = 0  # RetryStrategy attempts used

    def __post_init__(self) -> None:
        if not self.transitions:
            self.last_modified_time = self.creation_time
            self.transitions.append(self._transition("Starting", self.creation_time))

    @staticmethod
    def _transition(status: str, now: datetime, message: str | None = None) -> dict[str, Any]:
        return {"Status": status, "StartTime": now, "StatusMessage": message or MESSAGES[status]}

    @property
    def status(self) -> str:
        return PRIMARY[self.secondary_status]

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def can_enter(self, secondary: str) -> bool:
        return secondary in ALLOWED.get(self.secondary_status, ())

    def enter(
        self,
        secondary: str,
        now: datetime | None = None,
        *,
        reason: str | None = None,
        message: str | None = None,
    ) -> None:
        """Move to ``secondary``; close the previous transition and stamp the times it implies.

        :param reason: the ``FailureReason`` to report (kept to SageMaker's 1024 characters).
        :param message: the transition's ``StatusMessage`` instead of the default one.
        """
        if not self.can_enter(secondary):
            raise IllegalTransition(f"{self.name}: {self.secondary_status} -> {secondary}")
        now = now or utcnow()
        self.transitions[-1]["EndTime"] = now
        self.transitions.append(self._transition(secondary, now, message))
        self.secondary_status = secondary
        self.last_modified_time = now
        if secondary == "Downloading" and self.training_start_time is None:
            self.training_start_time = now
        if reason is not None:
            self.failure_reason = reason[:1024]
        if self.is_terminal:
            self.transitions[-1]["EndTime"] = now
            self.training_end_time = now
            self.training_start_time = self.training_start_time or now
        self.version += 1

    def may_retry(self) -> bool:
        """Whether ``RetryStrategy.MaximumRetryAttempts`` allows another attempt."""
        allowed = (self.request.get("RetryStrategy") or {}).get("MaximumRetryAttempts", 0)
        return self.retries < allowed

    def training_seconds(self) -> int | None:
        if self.training_start_time is None or self.training_end_time is None:
            return None
        elapsed = (self.training_end_time - self.training_start_time).total_seconds()
        return max(1, math.ceil(elapsed))

    def describe(self) -> dict[str, Any]:
        """The DescribeTrainingJob response (datetimes stay datetimes; the server serialises)."""
        out: dict[str, Any] = {"TrainingJobName": self.name, "TrainingJobArn": self.arn}
        if self.tuning_job_arn:
            out["TuningJobArn"] = self.tuning_job_arn
        out["ModelArtifacts"] = {"S3ModelArtifacts": self.model_artifacts}
        out["TrainingJobStatus"] = self.status
        out["SecondaryStatus"] = self.secondary_status
        if self.failure_reason:
            out["FailureReason"] = self.failure_reason
        for key in ECHOED_TRAINING_FIELDS:
            if key in self.request:
                out[key] = self.request[key]
        out.setdefault("StoppingCondition", {"MaxRuntimeInSeconds": 86400})
        for flag in (
            "EnableNetworkIsolation",
            "EnableInterContainerTrafficEncryption",
            "EnableManagedSpotTraining",
        ):
            out.setdefault(flag, False)  # SageMaker reports these even when not requested
        out["CreationTime"] = self.creation_time
        for key, value in (
            ("TrainingStartTime", self.training_start_time),
            ("TrainingEndTime", self.training_end_time),
        ):
            if value is not None:
                out[key] = value
        out["LastModifiedTime"] = self.last_modified_time
        out["SecondaryStatusTransitions"] = [dict(t) for t in self.transitions]
        out["FinalMetricDataList"] = self.metrics.final()
        seconds = self.training_seconds()
        if seconds is not None:
            out["TrainingTimeInSeconds"] = seconds
            out["BillableTimeInSeconds"] = seconds
            if self.request.get("EnableManagedSpotTraining"):
                out["BillableTimeInSeconds"] = max(1, math.floor(seconds * SPOT_BILLED_FRACTION))
        return out

    def summary(self) -> dict[str, Any]:
        """A ``TrainingJobSummary`` as ListTrainingJobs reports it."""
        out: dict[str, Any] = {
            "TrainingJobName": self.name,
            "TrainingJobArn": self.arn,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "TrainingJobStatus": self.status,
            "SecondaryStatus": self.secondary_status,
        }
        if self.training_end_time is not None:
            out["TrainingEndTime"] = self.training_end_time
        return out

    def to_doc(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "arn": self.arn,
            "request": self.request,
            "creation_time": to_epoch(self.creation_time),
            "model_artifacts": self.model_artifacts,
            "tuning_job_arn": self.tuning_job_arn,
            "secondary_status": self.secondary_status,
            "last_modified_time": to_epoch(self.last_modified_time),
            "transitions": [
                {**t, "StartTime": to_epoch(t["StartTime"]), "EndTime": to_epoch(t.get("EndTime"))}
                for t in self.transitions
            ],
            "failure_reason": self.failure_reason,
            "training_start_time": to_epoch(self.training_start_time),
            "training_end_time": to_epoch(self.training_end_time),
            "metrics": self.metrics.to_doc(),
            "version": self.version,
            "retries": self.retries,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> TrainingJob:
        transitions = []
        for t in doc["transitions"]:
            item = {**t, "StartTime": from_epoch(t["StartTime"])}
            if item.get("EndTime") is None:
                item.pop("EndTime", None)
            else:
                item["EndTime"] = from_epoch(item["EndTime"])
            transitions.append(item)
        return cls(
            name=doc["name"],
            arn=doc["arn"],
            request=doc["request"],
            creation_time=from_epoch(doc["creation_time"]),  # type: ignore[arg-type]
            model_artifacts=doc["model_artifacts"],
            tuning_job_arn=doc.get("tuning_job_arn"),
            secondary_status=doc["secondary_status"],
            last_modified_time=from_epoch(doc["last_modified_time"]),
            transitions=transitions,
            failure_reason=doc.get("failure_reason"),
            training_start_time=from_epoch(doc.get("training_start_time")),
            training_end_time=from_epoch(doc.get("training_end_time")),
            metrics=MetricSeries.from_doc(doc.get("metrics", {})),
            version=doc.get("version", 0),
            retries=doc.get("retries", 0),
        )
