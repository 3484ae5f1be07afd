"""What operators and sensors do once a job's fate is known: fail loudly or publish XCom.

Shared by every wait path (blocking wait, ``poke()``, resume from a trigger event), so the
XCom and the error messages are the same however the task waited. Nothing here knows which
kind of job it handles: the kind's row says how to build its result and side keys.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from airflow_sm_provider.exceptions import (
    JobFailedError,
    JobTimeoutError,
    NoSuccessfulTrainingJobError,
    SageMakerProviderError,
)
from airflow_sm_provider.jobs import JobKind, Outcome, classify

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_sm_provider.hooks.sagemaker import SageMakerHook


#: ``default``: DESIGN.md's contract. ``amazon``: the amazon provider's ``{"Training": describe}`` /
#: ``{"Tuning": describe}``, for DAGs migrating from it (datetimes as ISO 8601 strings).
XCOM_FORMATS = ("default", "amazon")


def json_safe(value: Any) -> Any:
    """A Describe* response with every datetime as an ISO 8601 string, everything else as is."""
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items() if key != "ResponseMetadata"}
    if isinstance(value, list):
        return [json_safe(item) for item in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def raise_for_failure(kind: JobKind, description: dict[str, Any], hook: SageMakerHook | None = None) -> None:
    """Raise the right error if the description is a failure verdict.

    With a ``hook``, the kind's ``failure_details`` (which may call the API) join the message.
    """
    verdict = classify(kind, description)
    if verdict.outcome is not Outcome.FAILED:
        return
    name = description.get(kind.name_key, "?")
    message = verdict.message
    if hook is not None and kind.failure_details is not None:
        details = kind.failure_details(hook, description)
        message += f". {details}" if details else ""
    error = NoSuccessfulTrainingJobError if verdict.status == "Completed" else JobFailedError
    raise error(
        message, job_name=name, status=verdict.status, failure_reason=description.get(kind.reason_key)
    )


def refuse_other_job(event: dict[str, Any] | None, watched: str | None) -> None:
    """Refuse an event about another job than the one the task deferred on (``watched``, when
    known) rather than publish it as this task's result."""
    other = (event or {}).get("job_name")
    if watched and other and other != watched:
        raise SageMakerProviderError(
            f"Resumed with an event about SageMaker job {other}, but this task deferred watching "
            f"{watched}; not publishing another job's result"
        )


def raise_for_event(
    event: dict[str, Any] | None, timeout_error: type[Exception] = JobTimeoutError
) -> dict[str, Any]:
    """Turn a trigger event that ends the wait without a verdict into an exception.

    ``success`` and ``failed`` events are returned: the caller Describes the job again and
    publishes or raises from that, so a failure's message is the same on every wait path.

    :param timeout_error: What a ``timeout`` event raises: :class:`JobTimeoutError` for
        operators (retried like any failure), ``AirflowSensorTimeout`` for sensors (not retried,
        as in poke mode).
    """
    if not event:
        raise SageMakerProviderError("Resumed from the triggerer without an event")
    status = event.get("status")
    if status in ("success", "failed"):
        return event
    message = event.get("message") or f"SageMaker job {event.get('job_name')} did not succeed"
    if status == "timeout":
        raise timeout_error(message)
    raise SageMakerProviderError(message)


def result_of(kind: JobKind, hook: SageMakerHook, description: dict[str, Any]) -> dict[str, Any]:
    """The ``return_value`` of DESIGN.md's XCom contract for a successful job (raises otherwise)."""
    raise_for_failure(kind, description, hook)
    best = kind.best_job_name(description)
    return kind.result(description, hook.describe_training_job(best) if best else None)


def publish(
    kind: JobKind,
    hook: SageMakerHook,
    context: Context,
    description: dict[str, Any],
    *,
    xcom_format: str = "default",
) -> dict[str, Any]:
    """Build the result and push its side keys; the caller returns what this returns as ``return_value``."""
    result = result_of(kind, hook, description)
    for key, value in kind.side_xcom(result).items():
        context["ti"].xcom_push(key=key, value=value)
    return _formatted(kind, result, description, xcom_format)


def summary(kind: JobKind, description: dict[str, Any], *, xcom_format: str = "default") -> dict[str, Any]:
    """The result shape for a job that is still running (``wait_for_completion=False``)."""
    return _formatted(kind, kind.result(description, None), description, xcom_format)


def _formatted(
    kind: JobKind, result: dict[str, Any], description: dict[str, Any], xcom_format: str
) -> dict[str, Any]:
    if xcom_format == "amazon":
        return {kind.amazon_xcom_key: json_safe(description)}
    return result
