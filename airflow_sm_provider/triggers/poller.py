"""Coalesced status polling: one poller per (event loop, connection, region, job kind).

Every deferred trigger registers its job with the poller of its loop, connection, region and
kind (:func:`airflow_sm_provider.triggers.registry.watch`) and reads status updates from its own
queue; the poller learns the status of all of them with a number of API calls that does not grow
with the number of jobs:

- **A job's first status** comes from one Describe when its trigger starts, so a job that ended
  while nobody watched (triggerer restart, trigger moved to another triggerer) is still
  reported. A burst of newcomers (a triggerer starting a thousand triggers) is resolved instead
  by listing the InProgress jobs, newest first, never paging further than the Describes it saves.
- **Then, every poll interval (a little more often: :data:`SWEEP_PERIOD`), one sweep**:
  ``List*Jobs(LastModifiedTimeAfter=...)`` from the oldest time any watched job's status is
  known to be current (the server's clock, from the response's ``Date`` header), minus
  :data:`SWEEP_OVERLAP`. Only the watched jobs whose status
  changed are looked at, and only those whose summary cannot give the verdict (failures need
  their ``FailureReason``, a completed tuning job its best training job) are Described.
- **A lone job is Described directly**, as a per-job poller would: one job costs no more and
  hears no later than before.
- If the connection may Describe but not List, the poller says so once and Describes each job.

Why a process-wide poller rather than Airflow 3.3's ``BaseEventTrigger`` shared stream
(``shared_stream_key`` / ``open_shared_stream`` / ``filter_shared_stream``):

- The shared stream is opened with *one* trigger's kwargs and is never told which jobs its
  subscribers watch, so it cannot Describe a newcomer's job, nor skip the sweep for a lone job.
  Every subscriber's filter also sees every raw event (O(jobs x changes) work per interval).
- Its fan-out is snapshot-at-subscription: a trigger that (re)subscribes late misses events
  broadcast before it joined (the framework's docs say so for restarts), which is exactly the
  "job finished while nobody watched" case we must not lose; each subscriber would need its
  own Describe anyway. Bounded subscriber queues force-fail a trigger that falls behind.
- Only the triggerer's own runner honours it; ``dag.test()`` and other hosts call ``run()``.
  A poller behind ``run()`` behaves the same everywhere, so there is one code path to test.
- ``BaseEventTrigger`` exists for event-driven scheduling (asset watchers, hashed by kwargs);
  these triggers resume deferred tasks.

The poller holds the loop's shared client (:mod:`.clients`) while it has jobs, and stops (the
client closes) when the last trigger leaves. It never stops a job: only a trigger's ``on_kill``
does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_sm_provider.hooks.sagemaker import client_method
from airflow_sm_provider.jobs import JobKind, Outcome, classify
from airflow_sm_provider.triggers import responses

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable, Callable

log = logging.getLogger(__name__)

#: How far before the last known-current time a sweep starts looking (list consistency, the
#: one-second resolution of the ``Date`` header); re-listed jobs cost nothing unless changed.
SWEEP_OVERLAP = timedelta(seconds=5)
#: Newcomers that arrive within this many seconds are resolved together.
NEWCOMER_DELAY = 0.1
#: From this many newcomers at once, list the InProgress jobs instead of Describing each.
BASELINE_MIN = 8
#: Up to this many watched jobs, Describe each instead of sweeping.
DIRECT_LIMIT = 1
#: Describes in flight at once (aiobotocore's default connection pool is 10).
DESCRIBE_CONCURRENCY = 10
#: Sweeps run this much more often than the shortest poll interval, so that a change is reported
#: within the interval *including* the sweep's own time; one List costs little, and a lone job
#: (Described directly) keeps exactly its interval.
SWEEP_PERIOD = 0.9


@dataclass(eq=False)
class Watch:
    """One trigger's subscription: its job and the queue its status updates arrive on.

    Items are Describe* responses or List* summaries (both carry the job's name and status
    keys, so :func:`airflow_sm_provider.jobs.classify` reads either), or an exception that
    ends the wait.
    """

    job_name: str
    poll_interval: float
    updates: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)
    _leave: Callable[[], Awaitable[None]] | None = field(default=None, repr=False)

    async def leave(self) -> None:
        """Stop watching (idempotent); the last watcher to leave stops the poller and its client."""
        leave, self._leave = self._leave, None
        if leave is not None:
            await leave()


@dataclass(eq=False)
class _Job:
    watches: set[Watch] = field(default_factory=set)
    last: dict[str, Any] | None = None
    state: tuple[Any, ...] | None = None
    #: The server time at which ``state`` was known to be current; None until first resolved.
    as_of: datetime | None = None
    ended: bool = False
    retry_at: float = 0.0


class JobPoller:
    """Status of every watched job of one kind on one connection and region, in one loop."""

    def __init__(self, kind: JobKind, aws_conn_id: str | None, region_name: str | None) -> None:
        self.kind = kind
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self.jobs: dict[str, _Job] = {}
        #: API calls made, by operation name (tests and benchmarks read it).
        self.calls: Counter[str] = Counter()
        #: API calls made by each of the latest refreshes (newcomers' first status excluded),
        #: and how many refreshes have finished.
        self.calls_per_tick: deque[int] = deque(maxlen=100)
        self.refreshes = 0
        #: Off for kinds whose List* cannot sweep (the row says so): each watched job is Described.
        self.sweeps_enabled = kind.list_sweeps
        self._client: Any = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- membership ----------------------------------------------------------------------
    def add(self, watch: Watch) -> None:
        job = self.jobs.setdefault(watch.job_name, _Job())
        job.watches.add(watch)
        if job.last is not None:
            watch.updates.put_nowait(job.last)
        self._wake.set()

    def remove(self, watch: Watch) -> None:
        job = self.jobs.get(watch.job_name)
        if job is not None:
            job.watches.discard(watch)
            if not job.watches:
                del self.jobs[watch.job_name]

    @property
    def interval(self) -> float:
        """The shortest poll interval any watcher asked for: nobody hears later than asked."""
        return min((w.poll_interval for job in self.jobs.values() for w in job.watches), default=30.0)

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self._main(), name=f"sagemaker-{self.kind.name}-poller")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    # -- the loop ------------------------------------------------------------------------
    async def _main(self) -> None:
        from airflow_sm_provider.triggers.clients import shared_client

        try:
            async with shared_client(self.aws_conn_id, self.region_name) as client:
                self._client = client
                await self._loop()
        except Exception as err:
            log.exception("SageMaker %s poller failed", self.kind.label)
            for job in self.jobs.values():
                for watch in job.watches:
                    watch.updates.put_nowait(err)
        finally:
            self._client = None

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        last_tick = loop.time()
        while True:
            await asyncio.sleep(0)  # every pass yields, even when a refresh had nothing to call
            now = loop.time()
            next_tick = last_tick + self._period()
            if self._newcomers(now):
                await asyncio.sleep(NEWCOMER_DELAY)  # let the rest of a burst arrive
                await self._resolve(self._newcomers(loop.time()))
                continue
            if now >= next_tick:
                last_tick = now
                before = sum(self.calls.values())
                await self._refresh()
                self.calls_per_tick.append(sum(self.calls.values()) - before)
                self.refreshes += 1
                continue
            unresolved = (j.retry_at for j in self.jobs.values() if j.as_of is None and not j.ended)
            retry = min(unresolved, default=next_tick)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.0, min(next_tick, retry) - now))

    def _sweeping(self) -> bool:
        established = sum(1 for j in self.jobs.values() if j.as_of is not None and not j.ended)
        return self.sweeps_enabled and established > DIRECT_LIMIT

    def _period(self) -> float:
        return self.interval * (SWEEP_PERIOD if self._sweeping() else 1.0)

    def _newcomers(self, now: float) -> list[str]:
        return [n for n, j in self.jobs.items() if j.as_of is None and not j.ended and j.retry_at <= now]

    async def _resolve(self, names: list[str]) -> None:
        """First status of newly watched jobs."""
        if not names:
            return
        if self.sweeps_enabled and len(names) >= BASELINE_MIN:
            names = await self._baseline(names)
        await self._describe_all(names, first=True)

    async def _refresh(self) -> None:
        established = [n for n, j in self.jobs.items() if j.as_of is not None and not j.ended]
        if not established:
            return
        if self._sweeping():
            await self._sweep(established)
        else:
            await self._describe_all(established)

    # -- the API calls -------------------------------------------------------------------
    async def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        self.calls[operation] += 1
        return await getattr(self._client, client_method(operation))(**kwargs)

    async def _list(self, **kwargs: Any) -> AsyncGenerator[dict[str, Any]]:
        token = None
        while True:
            page = await self._call(
                self.kind.list_operation, MaxResults=100, **kwargs, **responses.page_args(token)
            )
            yield page
            token = page.get("NextToken")
            if not token:
                return

    async def _baseline(self, names: list[str]) -> list[str]:
        """Resolve many newcomers from the InProgress listing; return those it did not find."""
        wanted = set(names)
        pages = 0
        try:
            newest_first = {"SortBy": "CreationTime", "SortOrder": "Descending"}
            async with contextlib.aclosing(self._list(StatusEquals="InProgress", **newest_first)) as listing:
                async for page in listing:
                    pages += 1
                    as_of = responses.server_time(page)
                    for summary in page.get(self.kind.list_key, []):
                        name = summary[self.kind.name_key]
                        if name in wanted:
                            wanted.discard(name)
                            self._observe(name, summary, as_of)
                    if not wanted or pages >= len(wanted):  # more pages would cost more than Describes
                        break
        except Exception as err:  # noqa: BLE001 - sorted into transient or not by the handler
            self._list_failed(err)
        return [n for n in names if n in wanted]

    async def _sweep(self, established: list[str]) -> None:
        after = min(t for n in established if (t := self.jobs[n].as_of) is not None) - SWEEP_OVERLAP
        changed: list[str] = []
        started: datetime | None = None
        try:
            async for page in self._list(LastModifiedTimeAfter=after):
                started = started or responses.server_time(page)
                for summary in page.get(self.kind.list_key, []):
                    name = summary[self.kind.name_key]
                    job = self.jobs.get(name)
                    if job is None or job.as_of is None or job.ended or self._state(summary) == job.state:
                        continue
                    if self._summary_is_enough(summary):
                        self._observe(name, summary, None)
                    else:
                        changed.append(name)
        except Exception as err:  # noqa: BLE001 - sorted into transient or not by the handler
            if self._list_failed(err):
                await self._describe_all(established)
            return
        for name in established:
            job = self.jobs.get(name)
            if job is not None and name not in changed and started is not None:
                job.as_of = max(job.as_of or started, started)
        await self._describe_all(changed)

    def _list_failed(self, err: Exception) -> bool:
        """Log a failed List; True if sweeps are now off and the caller should Describe instead."""
        from airflow_sm_provider.transient import is_transient

        if is_transient(err):
            log.warning("Transient error listing SageMaker %ss (will retry): %s", self.kind.label, err)
            return False
        self.sweeps_enabled = False
        log.warning(
            "Cannot list SageMaker %ss on connection %s (%s): describing each watched job instead",
            self.kind.label,
            self.aws_conn_id,
            err,
        )
        return True

    async def _describe_all(self, names: list[str], first: bool = False) -> None:
        from airflow_sm_provider.transient import is_transient

        limit = asyncio.Semaphore(DESCRIBE_CONCURRENCY)
        transient: list[BaseException] = []

        async def describe(name: str) -> None:
            async with limit:
                try:
                    description = await self._call(self.kind.describe_operation, **{self.kind.name_key: name})
                except Exception as err:  # noqa: BLE001 - sorted into transient or not by the handler
                    if not is_transient(err):
                        self._end(name, err)
                        return
                    transient.append(err)
                    job = self.jobs.get(name)
                    if job is not None and first:
                        job.retry_at = asyncio.get_running_loop().time() + self.interval
                    return
            self._observe(name, description, responses.server_time(description))

        await asyncio.gather(*(describe(name) for name in names))
        if transient:
            log.warning(
                "Transient errors describing %d SageMaker %s(s) (will poll again): %s",
                len(transient),
                self.kind.label,
                transient[0],
            )

    # -- delivering ------------------------------------------------------------------------
    def _summary_is_enough(self, summary: dict[str, Any]) -> bool:
        """A summary gives the whole verdict while running, and on success where the kind says so."""
        outcome = classify(self.kind, summary).outcome
        return outcome is Outcome.RUNNING or (
            outcome is Outcome.SUCCEEDED and self.kind.summary_settles_success
        )

    def _observe(self, name: str, item: dict[str, Any], as_of: datetime | None) -> None:
        job = self.jobs.get(name)
        if job is None:
            return
        if as_of is not None:
            job.as_of = as_of
        state = self._state(item)
        if state == job.state:
            return
        job.state, job.last = state, item
        job.ended = classify(self.kind, item).outcome.is_terminal()
        for watch in job.watches:
            watch.updates.put_nowait(item)

    def _state(self, item: dict[str, Any]) -> tuple[Any, ...]:
        """What, in a Describe or a summary, is worth telling a trigger about when it changes."""
        counters = item.get("TrainingJobStatusCounters") or {}
        return item.get(self.kind.status_key), item.get("SecondaryStatus"), tuple(sorted(counters.items()))

    def _end(self, name: str, err: BaseException) -> None:
        job = self.jobs.get(name)
        if job is not None:
            job.ended = True
            for watch in job.watches:
                watch.updates.put_nowait(err)
