"""Deferrable triggers that watch SageMaker training and tuning jobs from the triggerer.

Both triggers share one loop (:class:`SageMakerJobTrigger`) and differ only by the job kind row
from :mod:`airflow_sm_provider.jobs`. A trigger does not call SageMaker itself: it registers its
job with the process-wide poller of its loop, connection and region
(:mod:`airflow_sm_provider.triggers.poller`), which learns the status of every watched job with
a constant number of calls per interval and hands each trigger only its own job's updates.
With ``print_log`` the trigger also shows the job's progress in the task log
(:mod:`airflow_sm_provider.triggers.progress`): a training job's output as it is written, read
by the coalesced log poller of its loop, connection and region
(:mod:`airflow_sm_provider.triggers.log_poller`), and drained before the event; a line per
finished trial of a tuning job.

Events always have the shape built by :func:`job_event`: ``{"status": "success" | "failed" |
"timeout" | "error", "kind", "job_name", "job_status", "message"}``. The operator re-describes
the job on resume to build its XCom, so events stay small.

``on_kill`` stops the job only when a user acts on the deferred task (mark failed / success,
clear); a triggerer restart or a move to another triggerer runs only ``cleanup``, which leaves
the job alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_sm_provider.jobs import TRAINING, TUNING, JobKind, Outcome
from airflow_sm_provider.triggers.log_poller import LogLines
from airflow_sm_provider.triggers.progress import Progress, TrainingLogs, TrialLines
from airflow_sm_provider.waiting import Watcher, timeout_message

if TYPE_CHECKING:
    from airflow_sm_provider.triggers.poller import Watch

#: Bound on how long on_kill may spend stopping the job.
STOP_TIMEOUT = 30.0
#: However early the timeout falls, a trigger waits this long for the job's first status before
#: it may report one: a job that ended while nobody watched (a triggerer restart across the
#: deadline) must yield its real outcome, not "still running".
FIRST_STATUS_GRACE = 120.0


def job_event(
    kind: JobKind, job_name: str, status: str, job_status: str | None, message: str
) -> TriggerEvent:
    """The one place trigger events are built."""
    return TriggerEvent(
        {
            "status": status,
            "kind": kind.name,
            "job_name": job_name,
            "job_status": job_status,
            "message": message,
        }
    )


def trigger_for(kind: JobKind) -> type[SageMakerJobTrigger]:
    """The trigger class named on the kind's row."""
    module, _, name = kind.trigger.rpartition(".")
    trigger: type[SageMakerJobTrigger] = getattr(importlib.import_module(module), name)
    return trigger


class SageMakerJobTrigger(BaseTrigger):
    """Poll one SageMaker job until it reaches a terminal status.

    :param job_name: The job to watch.
    :param aws_conn_id: Airflow ``aws`` connection id.
    :param region_name: AWS region; the connection's by default.
    :param poll_interval: Seconds between status checks.
    :param timeout_at: Unix time after which the wait ends with a ``timeout`` event (fixed when
        the task first deferred); ``None`` waits as long as the job runs. The job's status is
        always learned first, so a job that has ended is reported as such even after the deadline.
    :param timeout_name: The task parameter that set ``timeout_at`` (``max_ingestion_time`` for
        operators, ``timeout`` for sensors), named in the timeout message.
    :param timeout_seconds: That parameter's value, for the message.
    :param stop_job_on_kill: Stop the job when a user kills the deferred task (the triggerer calls
        ``on_kill`` from Airflow 3.3; earlier versions never call it).
    :param print_log: Show the job's progress in the task log (training output, finished trials).
    :param log_since_ms: Show training output from this time (ms since the epoch); ``None`` from
        the start.
    :param shown: What the task already showed of the job before deferring (its reporter's
        state: a training job's :class:`~airflow_sm_provider.logtail.LogCursor` as a dict, a
        tuning job's reported trials); the trigger carries on from there, showing nothing twice.
    :param deferred_at: When the task deferred (seconds since the epoch). A trigger that starts
        long after it (a triggerer restart, or another triggerer adopting it) cannot know what the
        one before it showed, so it shows the job's progress from a little before "now" on, says
        so, and does not repeat pages of it.
    """

    kind: ClassVar[JobKind]
    #: What the task log shows of the job with ``print_log`` (nothing, for this base).
    progress_class: ClassVar[type[Progress]] = Progress

    def __init__(
        self,
        job_name: str,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        poll_interval: float = 30,
        timeout_at: float | None = None,
        stop_job_on_kill: bool = True,
        timeout_name: str = "max_ingestion_time",
        timeout_seconds: float | None = None,
        print_log: bool = False,
        log_since_ms: int | None = None,
        shown: dict[str, Any] | None = None,
        deferred_at: float | None = None,
    ) -> None:
        super().__init__()
        self.job_name = job_name
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self.poll_interval = poll_interval
        self.timeout_at = timeout_at
        self.stop_job_on_kill = stop_job_on_kill
        self.timeout_name = timeout_name
        self.timeout_seconds = timeout_seconds
        self.print_log = print_log
        self.log_since_ms = log_since_ms
        self.shown = shown
        self.deferred_at = deferred_at
        #: The status seen at the last successful poll (not serialised; for logs and tests).
        self.last_status: str | None = None
        self._watching: Watch | None = None
        self._progress: Progress | None = None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            self.kind.trigger,
            {
                "job_name": self.job_name,
                "aws_conn_id": self.aws_conn_id,
                "region_name": self.region_name,
                "poll_interval": self.poll_interval,
                "timeout_at": self.timeout_at,
                "stop_job_on_kill": self.stop_job_on_kill,
                "timeout_name": self.timeout_name,
                "timeout_seconds": self.timeout_seconds,
                "print_log": self.print_log,
                "log_since_ms": self.log_since_ms,
                "shown": self.shown,
                "deferred_at": self.deferred_at,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        try:
            # aclosing: leave the shared client cleanly even though we stop after one event
            async with contextlib.aclosing(self._watch()) as events:
                async for event in events:
                    yield event
                    return
        except Exception as err:
            self.log.exception("Watching SageMaker %s %s failed", self.kind.label, self.job_name)
            yield job_event(self.kind, self.job_name, "error", None, f"{type(err).__name__}: {err}")

    def _seconds_left(self, first_status_by: float) -> float | None:
        """How long the next wait for news may last before a timeout is due (``None``: forever)."""
        if self.timeout_at is None:
            return None
        left = self.timeout_at - time.time()
        if self.last_status is None:  # never time out before the job's status is known
            left = max(left, first_status_by - time.monotonic())
        return left

    async def _watch(self) -> AsyncGenerator[TriggerEvent]:
        from airflow_sm_provider.triggers.registry import watch

        watcher = Watcher(self.kind, self.job_name, self.log)
        progress = self._progress = (self.progress_class if self.print_log else Progress)(self)
        first_status_by = time.monotonic() + FIRST_STATUS_GRACE
        subscription = watch(self.kind, self.aws_conn_id, self.region_name, self.job_name, self.poll_interval)
        async with subscription as sub, progress.attached(sub):
            self._watching = sub
            while True:
                left = self._seconds_left(first_status_by)
                if left is not None and left <= 0:
                    progress.flush(sub)
                    yield self._timeout_event()
                    return
                try:
                    item = await asyncio.wait_for(sub.updates.get(), left)
                except TimeoutError:
                    continue
                if isinstance(item, LogLines):  # training output, on the same queue as the status
                    progress.show(item)
                    continue
                if isinstance(item, BaseException):
                    raise item
                verdict = watcher.observe(item)
                self.last_status = verdict.status
                if verdict.outcome is Outcome.RUNNING:
                    await progress.observe(item)
                    continue
                await progress.finish(item)  # the job's last output before its event
                status = "success" if verdict.outcome is Outcome.SUCCEEDED else "failed"
                yield job_event(self.kind, self.job_name, status, verdict.status, verdict.message)
                return

    def _timeout_event(self) -> TriggerEvent:
        message = timeout_message(self.kind, self.job_name, self.timeout_name, self.timeout_seconds)
        if self.last_status is None:
            message = (
                f"SageMaker {self.kind.label} {self.job_name}: no status could be read within "
                f"{FIRST_STATUS_GRACE:g} s after {self.timeout_name} ran out; the job was left as it is"
            )
        return job_event(self.kind, self.job_name, "timeout", self.last_status, message)

    async def cleanup(self) -> None:
        """Leave the shared poller even if ``run()`` was abandoned without being closed.

        Leaving is idempotent: a ``run()`` that ended normally has already left. The job itself
        is never touched here (a triggerer restart or a move also ends in ``cleanup``).
        """
        if self._progress is not None:
            await self._progress.leave()
        if self._watching is not None:
            await self._watching.leave()

    async def on_kill(self) -> None:
        if not self.stop_job_on_kill:
            return
        from airflow_sm_provider.hooks.sagemaker import SageMakerHook
        from airflow_sm_provider.triggers.clients import shared_client

        self.log.info("Task was killed by a user: stopping SageMaker %s %s", self.kind.label, self.job_name)
        async with shared_client(self.aws_conn_id, self.region_name) as client:
            await asyncio.wait_for(SageMakerHook.astop(client, self.kind, self.job_name), STOP_TIMEOUT)


class SageMakerTrainingTrigger(SageMakerJobTrigger):
    """Watch a SageMaker training job. See :class:`SageMakerJobTrigger` for the parameters."""

    kind = TRAINING
    progress_class = TrainingLogs


class SageMakerTuningTrigger(SageMakerJobTrigger):
    """Watch a SageMaker hyperparameter tuning job. See :class:`SageMakerJobTrigger` for the parameters."""

    kind = TUNING
    progress_class = TrialLines
