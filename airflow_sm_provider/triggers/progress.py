"""What a deferred task's log shows of its job while the trigger waits (``print_log``).

The deferred counterparts of :mod:`airflow_sm_provider.reporting`, on the triggerer's shared
clients instead of a hook (trigger log lines land in the task's log in Airflow 3):

- :class:`TrainingLogs` subscribes the job's :class:`~airflow_sm_provider.logtail.LogCursor` to
  the coalesced log poller (:mod:`.log_poller`), whose lines arrive on the trigger's own update
  queue, and when the job has ended reads what is left with one direct
  :class:`~airflow_sm_provider.logtail.TailRun` before the trigger yields its event.
- :class:`TrialLines` logs one line per finished trial of a tuning job, listing the trials only
  when the job's counters (delivered by the status poller whenever they change) say that one
  more trial ended. The leaderboard is printed by the operator on resume.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from airflow_sm_provider import leaderboard
from airflow_sm_provider.logtail import LATE_MS, LogCursor, TailRun
from airflow_sm_provider.triggers.log_poller import LogLines

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from airflow_sm_provider.triggers.log_poller import LogWatch
    from airflow_sm_provider.triggers.poller import Watch
    from airflow_sm_provider.triggers.sagemaker import SageMakerJobTrigger


#: Drains in flight at once per event loop: a sweep that sees hundreds of jobs end together
#: wakes their triggers at once, and preparing that many requests in one pass would stall the loop.
DRAIN_CONCURRENCY = 4
_drains: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _drain_slot() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    return _drains.setdefault(loop, asyncio.Semaphore(DRAIN_CONCURRENCY))


#: A trigger that starts this long after its task deferred (or three poll intervals, if longer)
#: was started again: by a triggerer that restarted, or one that adopted it from another.
RESTART_AFTER = 120.0


def restarted_from(trigger: SageMakerJobTrigger) -> float | None:
    """For a trigger started again long after its task deferred: the time (seconds since the
    epoch) from which to show progress, a poll interval and CloudWatch's lateness back from now;
    else ``None``."""
    if trigger.deferred_at is None:
        return None
    now = time.time()
    if now - trigger.deferred_at < max(RESTART_AFTER, 3 * trigger.poll_interval):
        return None
    return max(trigger.deferred_at, now - trigger.poll_interval - LATE_MS / 1000)


def _clock(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%H:%M:%S UTC")


class Progress:
    """Shows nothing: the base for kinds without progress to show."""

    def __init__(self, trigger: SageMakerJobTrigger) -> None:
        self.trigger = trigger
        self.log = trigger.log

    @contextlib.asynccontextmanager
    async def attached(self, sub: Watch) -> AsyncIterator[None]:
        yield

    async def observe(self, item: dict[str, Any]) -> None:
        """A status update of the job (a Describe* response or a List* summary)."""

    async def finish(self, item: dict[str, Any]) -> None:
        """The job has ended: show what is left before the trigger yields its event."""

    async def leave(self) -> None:
        """Stop receiving progress (idempotent; for ``cleanup`` of an abandoned ``run()``)."""

    def show(self, lines: LogLines) -> None:
        for line in lines.lines:
            self.log.info("%s", line)

    def flush(self, sub: Watch) -> None:
        """Show the lines already queued (the wait is over; status updates left are moot)."""
        while not sub.updates.empty():
            queued = sub.updates.get_nowait()
            if isinstance(queued, LogLines):
                self.show(queued)


class TrainingLogs(Progress):
    """The training script's output, from the trigger's ``log_since_ms`` (``None``: the start)."""

    def __init__(self, trigger: SageMakerJobTrigger) -> None:
        super().__init__(trigger)
        self.cursor = LogCursor(trigger.job_name, after_ms=trigger.log_since_ms or 0)
        if trigger.shown:  # the task showed some output before deferring
            self.cursor = LogCursor.from_dict({**trigger.shown, "job_name": trigger.job_name})
        if (since := restarted_from(trigger)) is not None:
            self.cursor.skip_to(int(since * 1000))
            self.log.info(
                "Watching %s again, %.0f s after the task deferred (a triggerer restarted or took "
                "it over): its output is shown from %s on, not repeated from the start; all of it "
                "is behind the Training Logs link",
                trigger.job_name,
                time.time() - (trigger.deferred_at or 0),
                _clock(since),
            )
        self._sub: Watch | None = None
        self._logs: LogWatch | None = None

    @contextlib.asynccontextmanager
    async def attached(self, sub: Watch) -> AsyncIterator[None]:
        from airflow_sm_provider.triggers.registry import watch_logs

        t = self.trigger
        self._sub = sub
        subscription = watch_logs(t.aws_conn_id, t.region_name, self.cursor, sub.updates, t.poll_interval)
        async with subscription as logs:
            self._logs = logs
            yield

    async def observe(self, item: dict[str, Any]) -> None:
        if self._logs is None:
            return
        resources = item.get("ResourceConfig") or {}
        groups = resources.get("InstanceGroups") or []
        count = sum(g.get("InstanceCount", 0) for g in groups) or resources.get("InstanceCount")
        if count:  # a stream per instance: the poller looks for this many
            self._logs.instances = int(count)
        self._logs.ready = True

    async def finish(self, item: dict[str, Any]) -> None:
        from airflow_sm_provider.triggers.clients import LOGS, shared_client

        t = self.trigger
        async with contextlib.AsyncExitStack() as stack:
            client = None
            if self._logs is None or not self._logs.off:
                try:
                    # borrowed before leaving the poller: the last trigger to leave does not reopen it
                    client = await stack.enter_async_context(
                        shared_client(t.aws_conn_id, t.region_name, LOGS)
                    )
                except Exception as err:  # noqa: BLE001 - best effort: the output never fails the task
                    self.log.info("The end of %s's output cannot be read (%s)", t.job_name, err)
            await self.leave()
            if self._sub is not None:  # lines the poller queued before we left come first
                self.flush(self._sub)
            if client is not None:
                await self._drain(client)

    async def leave(self) -> None:
        if self._logs is not None:
            await self._logs.leave()

    async def _drain(self, client: Any) -> None:
        """What the job wrote since the last poll: one direct read of its own streams."""
        from airflow_sm_provider.transient import is_transient

        run = TailRun(self.cursor)
        try:
            async with _drain_slot():
                while (request := run.next_request()) is not None:
                    run.feed(await client.filter_log_events(**request))
        except Exception as err:  # noqa: BLE001 - best effort: the output never fails the task
            how = "transient error" if is_transient(err) else "error"
            self.log.info(
                "The end of %s's output could not be read (%s: %s)", self.trigger.job_name, how, err
            )
        finally:
            for line in run.batch.report():
                self.log.info("%s", line)


class TrialLines(Progress):
    """One line per finished trial of a tuning job."""

    def __init__(self, trigger: SageMakerJobTrigger) -> None:
        super().__init__(trigger)
        shown = trigger.shown or {}  # the trials the task reported before deferring
        self._reported: set[str] = set(shown.get("reported") or ())
        self._ended = int(shown.get("ended") or 0)
        self._off = False
        #: Started again long after the task deferred: trials that ended before this are not
        #: reported (the trigger before may have), as the first listing will say.
        self._restarted_from = restarted_from(trigger)

    async def observe(self, item: dict[str, Any]) -> None:
        counters = item.get("TrainingJobStatusCounters") or {}
        ended = sum(v for k, v in counters.items() if k != "InProgress")
        if self._off or ended == self._ended:
            return
        try:
            trials = await self._list_trials()
        except Exception as err:  # noqa: BLE001 - sorted below; trial lines never fail the task
            from airflow_sm_provider.transient import is_transient

            if not is_transient(err):  # a transient error: the next change lists again
                self._off = True
                self.log.info("The trials of %s cannot be listed (%s)", self.trigger.job_name, err)
            return
        self._ended = ended
        objective = (item.get("HyperParameterTuningJobConfig") or {}).get(
            "HyperParameterTuningJobObjective"
        ) or {}
        done = [t for t in trials if t.get("TrainingJobStatus") in leaderboard.TERMINAL]
        if self._restarted_from is not None:
            self._skip_ended_before(done, self._restarted_from)
            self._restarted_from = None
        for trial in sorted(done, key=lambda t: str(t.get("TrainingEndTime") or t["TrainingJobName"])):
            if trial["TrainingJobName"] not in self._reported:
                self._reported.add(trial["TrainingJobName"])
                self.log.info("%s", leaderboard.trial_line(trial, objective.get("MetricName")))

    async def finish(self, item: dict[str, Any]) -> None:
        await self.observe(item)

    def _skip_ended_before(self, done: list[dict[str, Any]], since: float) -> None:
        older = {
            t["TrainingJobName"]
            for t in done
            if isinstance(t.get("TrainingEndTime"), datetime) and t["TrainingEndTime"].timestamp() < since
        } - self._reported
        if older:
            self._reported |= older
            self.log.info(
                "Watching %s again after the task deferred (a triggerer restarted or took it over): "
                "%d trials that ended before %s are not repeated; the leaderboard at the end lists "
                "every trial",
                self.trigger.job_name,
                len(older),
                _clock(since),
            )

    async def _list_trials(self) -> list[dict[str, Any]]:
        from airflow_sm_provider.triggers.clients import shared_client

        t = self.trigger
        trials: list[dict[str, Any]] = []
        token: dict[str, str] = {}
        async with shared_client(t.aws_conn_id, t.region_name) as client:
            while True:
                page = await client.list_training_jobs_for_hyper_parameter_tuning_job(
                    HyperParameterTuningJobName=t.job_name, MaxResults=100, **token
                )
                trials.extend(page.get("TrainingJobSummaries") or [])
                if not page.get("NextToken"):
                    return trials
                token = {"NextToken": page["NextToken"]}
