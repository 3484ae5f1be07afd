"""Deferrable triggers that watch SageMaker training and tuning jobs from the triggerer.

Both triggers share one loop (:class:`SageMakerJobTrigger`) and differ only by the job kind row
from :mod:`airflow_sm_provider.jobs`. A trigger does not call SageMaker itself: it registers its
job with the process-wide poller of its loop, connection and region
(:mod:`airflow_sm_provider.triggers.poller`), which learns the status of every watched job with
a constant number of calls per interval and hands each trigger only its own job's updates.
Events always have the shape built by :func:`job_event`: ``{"status": "success" | "failed" |
"timeout" | "error", "kind", "job_name", "job_status", "message"}``. The operator re-describes the
job on resume to build its XCom, so events stay small.

``on_kill`` stops the job only when a user acts on the deferred task (mark failed / success,
clear); a triggerer restart or a move to another triggerer runs only ``cleanup``, which leaves
the job alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_sm_provider.jobs import TRAINING, TUNING, JobKind, Outcome, classify, progress

if TYPE_CHECKING:
    from airflow_sm_provider.triggers.poller import Watch

#: Bound on how long on_kill may spend stopping the job.
STOP_TIMEOUT = 30.0


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


class SageMakerJobTrigger(BaseTrigger):
    """Poll one SageMaker job until it reaches a terminal status.

    :param job_name: The job to watch.
    :param aws_conn_id: Airflow ``aws`` connection id.
    :param region_name: AWS region; the connection's by default.
    :param poll_interval: Seconds between status checks.
    :param timeout_at: Unix time after which the wait ends with a ``timeout`` event (the
        operator's ``max_ingestion_time``, fixed when the task first deferred); ``None`` waits
        as long as the job runs.
    :param stop_job_on_kill: Stop the job when a user kills the deferred task.
    """

    kind: ClassVar[JobKind]

    def __init__(
        self,
        job_name: str,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        poll_interval: float = 30,
        timeout_at: float | None = None,
        stop_job_on_kill: bool = True,
    ) -> None:
        super().__init__()
        self.job_name = job_name
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self.poll_interval = poll_interval
        self.timeout_at = timeout_at
        self.stop_job_on_kill = stop_job_on_kill
        #: The status seen at the last successful poll (not serialised; for logs and tests).
        self.last_status: str | None = None
        self._watching: Watch | None = None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "job_name": self.job_name,
                "aws_conn_id": self.aws_conn_id,
                "region_name": self.region_name,
                "poll_interval": self.poll_interval,
                "timeout_at": self.timeout_at,
                "stop_job_on_kill": self.stop_job_on_kill,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        try:
            # aclosing: leave the shared client cleanly even though we stop after one event
            async with contextlib.aclosing(self._watch()) as events:
                async for event in events:
                    yield event
                    return
        except Exception as err:  # the only broad except: report, never crash the triggerer
            self.log.exception("Watching SageMaker %s %s failed", self.kind.label, self.job_name)
            yield job_event(self.kind, self.job_name, "error", None, f"{type(err).__name__}: {err}")

    async def _watch(self) -> AsyncIterator[TriggerEvent]:
        from airflow_sm_provider.triggers.registry import watch

        last_progress = None
        subscription = watch(self.kind, self.aws_conn_id, self.region_name, self.job_name, self.poll_interval)
        async with subscription as sub:
            self._watching = sub
            while True:
                remaining = None if self.timeout_at is None else self.timeout_at - time.time()
                if remaining is not None and remaining <= 0 and self.last_status is not None:
                    yield self._timeout_event()
                    return
                if remaining is not None and self.last_status is None:
                    remaining = max(remaining, self.poll_interval)  # learn the status once first
                try:
                    item = await asyncio.wait_for(sub.updates.get(), remaining)
                except TimeoutError:
                    if self.last_status is None:  # no status within the grace: time out anyway
                        yield self._timeout_event()
                        return
                    continue
                if isinstance(item, BaseException):
                    raise item
                verdict = classify(self.kind, item)
                self.last_status = verdict.status
                line = progress(self.kind, item)
                if line != last_progress:
                    self.log.info("%s %s: %s", self.kind.label, self.job_name, line)
                    last_progress = line
                if verdict.outcome is Outcome.SUCCEEDED:
                    yield job_event(self.kind, self.job_name, "success", verdict.status, verdict.message)
                    return
                if verdict.outcome is Outcome.FAILED:
                    yield job_event(self.kind, self.job_name, "failed", verdict.status, verdict.message)
                    return

    def _timeout_event(self) -> TriggerEvent:
        return job_event(
            self.kind,
            self.job_name,
            "timeout",
            None,
            f"SageMaker {self.kind.label} {self.job_name} was still running when "
            "max_ingestion_time elapsed; the job was left running",
        )

    async def cleanup(self) -> None:
        """Leave the shared poller even if ``run()`` was abandoned without being closed.

        Leaving is idempotent: a ``run()`` that ended normally has already left. The job itself
        is never touched here (a triggerer restart or a move also ends in ``cleanup``).
        """
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


class SageMakerTuningTrigger(SageMakerJobTrigger):
    """Watch a SageMaker hyperparameter tuning job. See :class:`SageMakerJobTrigger` for the parameters."""

    kind = TUNING
