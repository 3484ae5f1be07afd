"""What operators and sensors do once a job's fate is known: fail loudly or publish XCom.

Shared by every wait path (blocking wait, ``poke()``, resume from a trigger event), so the
XCom and the error messages are the same however the task waited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_sm_provider.exceptions import (
    JobFailedError,
    JobTimeoutError,
    NoSuccessfulTrainingJobError,
    SageMakerProviderError,
)
from airflow_sm_provider.jobs import TUNING, JobKind, Outcome, classify, training_result, tuning_result

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_sm_provider.hooks.sagemaker import SageMakerHook


def raise_for_failure(kind: JobKind, description: dict[str, Any]) -> None:
    """Raise the right error if the description is a failure verdict."""
    verdict = classify(kind, description)
    if verdict.outcome is not Outcome.FAILED:
        return
    name = description.get(kind.name_key, "?")
    error = NoSuccessfulTrainingJobError if verdict.status == "Completed" else JobFailedError
    raise error(
        verdict.message, job_name=name, status=verdict.status, failure_reason=description.get("FailureReason")
    )


def raise_for_event(event: dict[str, Any] | None) -> None:
    """Turn a non-success trigger event into the matching exception."""
    if not event:
        raise SageMakerProviderError("Resumed from the triggerer without an event")
    status = event.get("status")
    if status == "success":
        return
    message = event.get("message") or f"SageMaker job {event.get('job_name')} did not succeed"
    if status == "timeout":
        raise JobTimeoutError(message)
    if status == "failed":
        error = NoSuccessfulTrainingJobError if event.get("job_status") == "Completed" else JobFailedError
        raise error(message, job_name=event.get("job_name", "?"), status=event.get("job_status") or "?")
    raise SageMakerProviderError(message)


def build_result(kind: JobKind, hook: SageMakerHook, description: dict[str, Any]) -> dict[str, Any]:
    """The ``return_value`` of DESIGN.md's XCom contract for a successful job."""
    raise_for_failure(kind, description)
    if kind is not TUNING:
        return training_result(description)
    best = description.get("OverallBestTrainingJob") or description.get("BestTrainingJob")
    best_description = hook.describe_training_job(best["TrainingJobName"]) if best else None
    return tuning_result(description, best_description)


def push_result(kind: JobKind, context: Context, result: dict[str, Any]) -> dict[str, Any]:
    """Push the side keys of the contract; the caller returns ``result`` as ``return_value``."""
    if kind is TUNING and result.get("best_training_job"):
        best = result["best_training_job"]
        context["ti"].xcom_push(key="tuned_hyperparameters", value=best["tuned_hyperparameters"])
        context["ti"].xcom_push(key="best_training_job_name", value=best["name"])
    return result
