"""What differs between the Airflow 3 minors this provider supports (3.0 to 3.3).

Features are detected where they can be seen, not inferred from ``airflow.__version__``: a
feature backported to a patch release then needs no change here. Checks are functions, cached,
so importing this module costs nothing at DAG-parse time.

What differs:

- ``BaseTrigger.on_kill()`` (Airflow 3.3): the triggerer calls it when a user kills a deferred
  task (mark failed / success, clear). Before 3.3 the triggerer only cancels the trigger's
  ``run()`` and calls ``cleanup()``; nothing runs that could stop the SageMaker job, and the
  operator's own ``on_kill`` does not run either (no worker holds a deferred task).
- The task state store (``context["task_state_store"]``, Airflow 3.3): a durable key/value store
  per task instance. A sensor keeps its place in the job's output there, so a reschedule-mode
  sensor shows the output while the job runs; before 3.3 it shows it once the job has ended.
- :class:`TaskDeferralTimeout`, raised by ``BaseOperator.resume_execution`` when a deferral
  times out, lives in ``airflow.sdk.exceptions`` from 3.2 and in ``airflow.exceptions`` before.

Names that ``airflow.providers.common.compat.sdk`` already maps across versions (``TaskDeferred``,
``AirflowTaskTimeout``, ``AirflowSensorTimeout``, ...) are imported from there, not from here.
"""

from __future__ import annotations

import functools

try:  # where resume_execution raises it from
    from airflow.sdk.exceptions import TaskDeferralTimeout
except ImportError:  # Airflow < 3.2
    from airflow.exceptions import TaskDeferralTimeout  # type: ignore[no-redef,attr-defined]

__all__ = ["TaskDeferralTimeout", "deferred_kill_warning", "trigger_on_kill_supported"]


@functools.cache
def trigger_on_kill_supported() -> bool:
    """Whether the triggerer calls ``BaseTrigger.on_kill()`` when a user kills a deferred task."""
    from airflow.triggers.base import BaseTrigger

    return callable(getattr(BaseTrigger, "on_kill", None))


def deferred_kill_warning(label: str, job_name: str) -> str | None:
    """The warning to log when deferring with ``stop_job_on_kill``, or None if a kill stops the job.

    :param label: The job kind as written in logs (``training job``, ``tuning job``).
    :param job_name: The SageMaker job the deferred task watches.
    """
    if trigger_on_kill_supported():
        return None
    return (
        "This Airflow has no BaseTrigger.on_kill (added in 3.3): if a user marks this task failed "
        f"or success, or clears it, while it is deferred, SageMaker {label} {job_name} keeps running. "
        "Stop it in the SageMaker console or with its Stop API; a re-run of this task waits for "
        "that same job and does not start another."
    )
