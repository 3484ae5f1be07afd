"""Exceptions raised by the provider.

All derive from :class:`SageMakerProviderError`, itself an ``AirflowException`` so Airflow
reports them as ordinary task failures::

    SageMakerProviderError (AirflowException)
     ├── AwsConnectionError         the aws connection is missing or gives no region; no API call
     ├── ApiUnavailableError        SageMaker throttled or answered 5xx for longer than the task waits
     ├── ConfigValidationError      a request failed validation; no API call was made
     ├── JobNameConflictError       an explicit job name belongs to a job started elsewhere
     ├── JobFailedError             the job ended Failed or Stopped (carries FailureReason)
     │    └── NoSuccessfulTrainingJobError   a tuning job completed without a usable best job
     ├── MissingMetricsError        a metric definition never matched (fail_on_missing_metrics)
     └── JobTimeoutError            max_ingestion_time elapsed before the job finished
"""

from __future__ import annotations

from airflow.exceptions import AirflowException

__all__ = [
    "ApiUnavailableError",
    "AwsConnectionError",
    "ConfigValidationError",
    "JobFailedError",
    "JobNameConflictError",
    "JobTimeoutError",
    "MissingMetricsError",
    "NoSuccessfulTrainingJobError",
    "SageMakerProviderError",
]


class SageMakerProviderError(AirflowException):
    """Base class of every error this provider raises on purpose."""


class ApiUnavailableError(SageMakerProviderError):
    """SageMaker kept throttling or failing with 5xx for longer than a task rides out."""


class AwsConnectionError(SageMakerProviderError):
    """The ``aws`` connection cannot be used: it does not exist, or it gives no region."""


class ConfigValidationError(SageMakerProviderError, ValueError):
    """A request is invalid: ``field`` is the dotted path (``HyperParameters.lr``), ``rule`` the rule."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"Invalid SageMaker request: {field}: {rule}")


class JobNameConflictError(SageMakerProviderError):
    """An explicit job name already exists and was not started by this task instance."""


class JobFailedError(SageMakerProviderError):
    """A job ended in a failure state; ``status`` and ``failure_reason`` come from SageMaker."""

    def __init__(
        self, message: str, *, job_name: str, status: str, failure_reason: str | None = None
    ) -> None:
        self.job_name = job_name
        self.status = status
        self.failure_reason = failure_reason
        super().__init__(message)


class NoSuccessfulTrainingJobError(JobFailedError):
    """A tuning job completed, but none of its training jobs produced an objective value."""


class JobTimeoutError(SageMakerProviderError):
    """``max_ingestion_time`` elapsed while the job was still running."""


class MissingMetricsError(SageMakerProviderError):
    """A training job completed without a value for a metric it defines (``fail_on_missing_metrics``)."""
