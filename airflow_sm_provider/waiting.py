"""The one wait core: what the blocking wait, a sensor's ``poke()`` and a trigger do alike.

- :class:`Watcher` reads each Describe* response the same way on every path: one progress line
  per change, then :func:`~airflow_sm_provider.jobs.classify`.
- :func:`describe_or_none` treats a transient error (throttling, 5xx, a reset connection that
  botocore's retries could not hide) as "no news this time", never as a failure.
- :func:`timeout_message` is the one wording of a timeout, naming the parameter that ran out.
- :func:`defer` is the one way an operator or a sensor hands its wait to the triggerer.
- :func:`ride_out` repeats an idempotent step (find-or-create, publishing) through an API outage
  longer than botocore's own retries cover.

Nothing here imports boto3: operators import this module at DAG-parse time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from airflow_sm_provider.jobs import Classification, JobKind, Outcome, classify

T = TypeVar("T")

if TYPE_CHECKING:
    import logging

    from airflow.sdk import BaseOperator

    from airflow_sm_provider.hooks.sagemaker import SageMakerHook


@dataclass
class Watcher:
    """What every wait path does with one Describe: log progress once per change, then classify."""

    kind: JobKind
    job_name: str
    log: logging.Logger | Any
    #: Shows what the job prints, or its finished trials (see :mod:`airflow_sm_provider.reporting`).
    reporter: Any = None
    _last: str | None = field(default=None, repr=False)

    def observe(self, description: dict[str, Any]) -> Classification:
        line = self.kind.progress(description)
        if line != self._last:
            self.log.info("%s %s: %s", self.kind.label, self.job_name, line)
            self._last = line
        verdict = classify(self.kind, description)
        if self.reporter is not None:
            if verdict.outcome is Outcome.RUNNING:
                self.reporter.poll(description)
            else:
                self.reporter.finish(description)
        return verdict


def describe_or_none(hook: SageMakerHook, kind: JobKind, name: str, log: logging.Logger | Any) -> dict | None:
    """Describe the job; ``None`` (and one warning) on a transient error, which a wait rides out."""
    from airflow_sm_provider.transient import is_transient

    try:
        return hook.describe(kind, name)
    except Exception as err:
        if not is_transient(err):
            raise
        log.warning("Transient error describing %s %s (will poll again): %s", kind.label, name, err)
        return None


#: How long a step that may be repeated safely (find-or-create, publishing a result) keeps trying
#: through throttling and 5xx answers, on top of botocore's own retries, before the task fails.
OUTAGE_LIMIT = 600.0


def ride_out(step: Callable[[], T], what: str, log: logging.Logger | Any, *, pause: float) -> T:
    """Run an idempotent ``step``, repeating it while the API is throttled or failing with 5xx.

    botocore's retry mode already retries each call a few minutes; this covers a longer outage
    (up to :data:`OUTAGE_LIMIT`), and then fails saying that the API was unavailable and for how
    long. Only whole steps that are safe to repeat go through here: find-or-create reattaches to
    a job whose create went through before its answer was lost.
    """
    from airflow_sm_provider.exceptions import ApiUnavailableError
    from airflow_sm_provider.transient import error_code, is_transient

    started = time.monotonic()
    while True:
        try:
            return step()
        except Exception as err:
            if not is_transient(err):
                raise
            waited = time.monotonic() - started
            if waited >= OUTAGE_LIMIT:
                raise ApiUnavailableError(
                    f"SageMaker API throttled or unavailable ({error_code(err) or type(err).__name__}) for "
                    f"{waited:.0f} s while {what}; giving up after {OUTAGE_LIMIT:g} s"
                ) from err
            log.warning("SageMaker API unavailable while %s (will try again): %s", what, err)
            time.sleep(max(0.0, min(pause, OUTAGE_LIMIT - waited)))


def timeout_message(kind: JobKind, name: str, limit_name: str, seconds: float | None) -> str:
    limit = limit_name if seconds is None else f"{limit_name} ({seconds:g} s)"
    still, left = kind.timeout_words
    return f"SageMaker {kind.label} {name} was {still} when {limit} ran out; {left}"


def wait(
    hook: SageMakerHook,
    watcher: Watcher,
    *,
    poll_interval: float,
    timeout: float | None,
    limit_name: str,
    on_timeout: type[Exception],
) -> dict[str, Any]:
    """Block until the job is terminal; its last Describe. ``on_timeout`` is raised at ``timeout``."""
    kind, name = watcher.kind, watcher.job_name
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        description = describe_or_none(hook, kind, name, watcher.log)
        if description is not None and watcher.observe(description).outcome is not Outcome.RUNNING:
            return description
        if deadline is not None and time.monotonic() >= deadline:
            raise on_timeout(timeout_message(kind, name, limit_name, timeout))
        pause = poll_interval if deadline is None else min(poll_interval, deadline - time.monotonic())
        time.sleep(max(0.0, pause))


def defer(
    task: BaseOperator,
    kind: JobKind,
    name: str,
    *,
    aws_conn_id: str | None,
    region_name: str | None,
    poll_interval: float,
    timeout: float | None,
    limit_name: str,
    stop_job_on_kill: bool,
    print_log: bool = False,
    log_since_ms: int | None = None,
    shown: dict[str, Any] | None = None,
) -> NoReturn:
    """Hand the wait to the kind's trigger; the task resumes in ``execute_complete``.

    With ``print_log`` the trigger shows the job's progress in the task log as the blocking wait
    does (training output from ``log_since_ms``, ``None`` meaning from the start; finished trials),
    carrying on from ``shown``, the state of the reporter that showed some of it before deferring.
    """
    from airflow_sm_provider.compat import deferred_kill_warning
    from airflow_sm_provider.triggers.sagemaker import trigger_for

    if stop_job_on_kill and (warning := deferred_kill_warning(kind.label, name)):
        task.log.warning("%s", warning)
    trigger = trigger_for(kind)(
        job_name=name,
        aws_conn_id=aws_conn_id,
        region_name=region_name,
        poll_interval=poll_interval,
        timeout_at=None if timeout is None else time.time() + timeout,
        timeout_name=limit_name,
        timeout_seconds=timeout,
        stop_job_on_kill=stop_job_on_kill,
        print_log=print_log,
        log_since_ms=log_since_ms,
        shown=shown,
        deferred_at=time.time(),
    )
    task.defer(trigger=trigger, method_name="execute_complete")
