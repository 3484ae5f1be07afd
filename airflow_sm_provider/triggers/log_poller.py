"""Coalesced reading of training output: one log poller per (event loop, connection, region).

Every deferred training trigger with ``print_log`` registers its job's :class:`LogCursor` here
(:func:`airflow_sm_provider.triggers.registry.watch_logs`) and receives :class:`LogLines` on the
queue its status updates already arrive on. Each poll interval the poller reads the output of
all watched jobs with a number of CloudWatch Logs calls that grows with N/100, not N:

- **Streams first.** SageMaker writes one stream per instance, ``<job>/algo-<n>-<epoch>``,
  which appear only once the instance runs. A job is read once its trigger knows its first
  status (a Describe gives the instance count: that many streams are expected). A job whose
  streams are not all known yet is read directly (``FilterLogEvents`` by its name prefix: one
  call that shows its output *and* names its streams), at most :data:`DIRECT_READS` jobs per
  interval, the longest-waiting first. When more jobs than that wait, the group's streams are
  listed first, most recently written first (``DescribeLogStreams(orderBy=LastEventTime,
  descending=True)``), a page per 50 waiting jobs and at most :data:`LISTING_PAGES` pages per
  interval. A job whose instance count is unknown is re-read by prefix every
  :data:`RECHECK_SECONDS` (:data:`RECHECKS` jobs per interval), to find a stream nobody announced.
- **Then the output**: jobs with known streams, sorted by where their reading starts, in
  batches of up to 100 stream names, one ``FilterLogEvents(logStreamNames=...)`` per batch from
  the batch's oldest start. Each event goes to its job's cursor; ``LogCursor.take`` drops what
  was shown already, so starting from an older time than a job needs is safe. A job's reading
  starts where the earliest of its known streams is: its cursor keeps a place per stream, so a
  stream found late (a second instance, in a burst of jobs) starts from the job's start. After
  a complete read, what lies ``logtail.LATE_MS`` before its newest event counts as read for
  the streams it covered (``LogCursor.settle``), so one quiet job does not make its batch
  re-read minutes of the others' output.
- Each job gets at most ``logtail.MAX_LINES_PER_POLL`` lines per poll and a line saying how many
  were skipped, as :class:`~airflow_sm_provider.logtail.TailRun` does for the blocking wait;
  a batch reads at most ``logtail.MAX_PAGES_PER_POLL`` pages per poll.

Errors: a transient one (throttling, 5xx, connection) skips the rest of the poll; the next
interval reads on from the cursors. Any other (no ``logs:`` permission, an endpoint that does
not serve the Logs API) turns log streaming off for this poller, said once in the triggerer's
log and once in each watching task's log; status polling is a separate poller and goes on.

The poller holds the loop's shared logs client (:func:`.clients.shared_client` for service
``logs``, from the same session as the SageMaker client) while it has jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_sm_provider import logtail
from airflow_sm_provider.logtail import LATE_MS, LOG_GROUP, Batch, LogCursor, TailRun

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

#: Stream names per FilterLogEvents call (CloudWatch's maximum for ``logStreamNames``).
STREAMS_PER_CALL = 100
#: Jobs read directly by name prefix per interval (to find their streams).
DIRECT_READS = 10
#: A job whose instance count is unknown (its first status was a List summary, which has no
#: ResourceConfig) is re-read by its name prefix this often (seconds), at most
#: :data:`RECHECKS` jobs per interval, so that a second instance's stream is found.
RECHECK_SECONDS = 60.0
RECHECKS = 2
#: DescribeLogStreams pages (50 streams each) per interval, when many jobs' streams are unknown.
LISTING_PAGES = 20
#: Reads in flight at once (aiobotocore's default connection pool is 10).
CONCURRENCY = 4


@dataclass(frozen=True)
class LogLines:
    """Lines of a job's output for its trigger to log: an item on the trigger's update queue."""

    lines: tuple[str, ...]


@dataclass(eq=False)
class LogWatch:
    """One trigger's subscription to its job's output.

    :param cursor: How far the output has been shown; the poller moves it.
    :param updates: The trigger's queue; :class:`LogLines` are put on it.
    :param instances: How many streams to expect: the job's instance count, once a Describe
        gave it (``None``: one, and the job is re-read by prefix now and then).
    """

    cursor: LogCursor
    poll_interval: float
    updates: asyncio.Queue[Any]
    instances: int | None = None
    #: Loop time of the last direct read (or of joining): the longest-waiting job is read first.
    direct_at: float = 0.0
    #: Set by the trigger once the job's first status is known (and with it, from a Describe,
    #: its instance count): a stream found after its job's cursor moved on would lose lines.
    ready: bool = False
    #: Set when the connection turned out unable to read CloudWatch Logs.
    off: bool = False
    _leave: Callable[[], Awaitable[None]] | None = field(default=None, repr=False)

    @property
    def job_name(self) -> str:
        return self.cursor.job_name

    async def leave(self) -> None:
        """Stop reading (idempotent); lines already taken are on the queue."""
        leave, self._leave = self._leave, None
        if leave is not None:
            await leave()


class LogPoller:
    """Output of every watched training job on one connection and region, in one loop."""

    def __init__(self, aws_conn_id: str | None, region_name: str | None) -> None:
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self.watches: set[LogWatch] = set()
        #: Known stream names by job name.
        self.streams: dict[str, set[str]] = {}
        #: API calls made, by operation name; by operation in each of the latest polls; polls
        #: finished (tests and benchmarks read them).
        self.calls: Counter[str] = Counter()
        self.calls_per_tick: deque[Counter[str]] = deque(maxlen=100)
        self.polls = 0
        #: Set when the connection cannot read CloudWatch Logs: nothing more is read.
        self.off: str | None = None
        self._client: Any = None
        self._task: asyncio.Task[None] | None = None
        self._limit = asyncio.Semaphore(CONCURRENCY)

    # -- membership ----------------------------------------------------------------------
    def add(self, watch: LogWatch) -> None:
        watch.direct_at = asyncio.get_running_loop().time()
        self.watches.add(watch)
        if self.off:
            watch.off = True
            watch.updates.put_nowait(LogLines((self.off,)))

    def remove(self, watch: LogWatch) -> None:
        self.watches.discard(watch)
        if not any(w.job_name == watch.job_name for w in self.watches):
            self.streams.pop(watch.job_name, None)

    @property
    def interval(self) -> float:
        return min((w.poll_interval for w in self.watches), default=30.0)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._main(), name="sagemaker-log-poller")

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
        from airflow_sm_provider.triggers.clients import LOGS, shared_client

        try:
            async with shared_client(self.aws_conn_id, self.region_name, LOGS) as client:
                self._client = client
                await self._loop()
        except Exception as err:  # noqa: BLE001 - no logs client: status polling is unaffected
            self._turn_off(err)
        finally:
            self._client = None
        await asyncio.Event().wait()  # off: stay registered (so nobody retries) until the last leaves

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while not self.off:
            started = loop.time()
            before = self.calls.copy()
            await self.poll()
            self.calls_per_tick.append(self.calls - before)
            self.polls += 1
            await asyncio.sleep(max(0.0, started + self.interval - loop.time()))

    async def poll(self) -> None:
        """One interval's reading: find missing streams, then read every job's new output."""
        from airflow_sm_provider.transient import is_transient

        try:
            ready = [w for w in self.watches if w.ready]
            wanting = [w for w in ready if len(self.streams.get(w.job_name, ())) < (w.instances or 1)]
            wanting.sort(key=lambda w: w.direct_at)
            if len(wanting) > DIRECT_READS:
                await self._list_streams(wanting)
                wanting = [w for w in wanting if len(self.streams.get(w.job_name, ())) < (w.instances or 1)]
            direct = wanting[:DIRECT_READS]
            due = asyncio.get_running_loop().time() - RECHECK_SECONDS
            waiting = set(wanting)
            unsure = sorted(
                (w for w in ready if w.instances is None and w not in waiting), key=lambda w: w.direct_at
            )
            direct += [w for w in unsure if w.direct_at <= due][:RECHECKS]
            grouped = [w for w in ready if w not in direct and self.streams.get(w.job_name)]
            reads = [self._read_direct(w) for w in direct] + [self._read(b) for b in self._batches(grouped)]
            results = await asyncio.gather(*reads, return_exceptions=True)
        except Exception as err:  # noqa: BLE001 - sorted below
            results = [err]
        errors = [r for r in results if isinstance(r, BaseException)]
        if not errors:
            return
        lasting = [e for e in errors if not is_transient(e)]
        if lasting:
            self._turn_off(lasting[0])
        else:
            log.warning(
                "Transient errors reading training output from CloudWatch Logs (%d; will read on at "
                "the next interval): %s",
                len(errors),
                errors[0],
            )

    # -- the API calls -------------------------------------------------------------------
    async def _call(self, operation: str, method: str, **kwargs: Any) -> dict[str, Any]:
        async with self._limit:
            self.calls[operation] += 1
            try:
                response: dict[str, Any] = await getattr(self._client, method)(**kwargs)
            except Exception as err:
                from airflow_sm_provider.transient import error_code

                if error_code(err) == "ResourceNotFoundException":  # no such group or stream yet
                    return {}
                raise
            return response

    async def _list_streams(self, wanting: list[LogWatch]) -> None:
        """Learn streams of many jobs at once: the group's most recently written streams."""
        missing = {w.job_name for w in wanting}
        pages = min(LISTING_PAGES, len(wanting) // 50 + 1)
        token: str | None = None
        for _ in range(pages):
            extra = {"nextToken": token} if token else {}
            page = await self._call(
                "DescribeLogStreams",
                "describe_log_streams",
                logGroupName=LOG_GROUP,
                orderBy="LastEventTime",
                descending=True,
                limit=50,
                **extra,
            )
            for stream in page.get("logStreams") or []:
                job = stream["logStreamName"].rpartition("/")[0]
                if job in missing:
                    self.streams.setdefault(job, set()).add(stream["logStreamName"])
            missing = {
                w.job_name for w in wanting if len(self.streams.get(w.job_name, ())) < (w.instances or 1)
            }
            token = page.get("nextToken")
            if not missing or not token:
                return

    async def _read_direct(self, watch: LogWatch) -> None:
        """One job by its name prefix, exactly as the blocking wait reads it."""
        watch.direct_at = asyncio.get_running_loop().time()
        run = TailRun(watch.cursor)
        try:
            while (request := run.next_request()) is not None:
                page = await self._call("FilterLogEvents", "filter_log_events", **request)
                if watch not in self.watches:
                    return  # left mid-read: its trigger reads the rest itself
                for event in page.get("events") or []:
                    self.streams.setdefault(watch.job_name, set()).add(event["logStreamName"])
                run.feed(page)
        finally:
            self._deliver(watch, run.batch)

    def _batches(self, watches: list[LogWatch]) -> list[list[LogWatch]]:
        """Jobs in order of where their reading starts, up to 100 stream names per batch."""
        batches: list[list[LogWatch]] = []
        names: set[str] = set()
        for watch in sorted(watches, key=self._start_ms):
            streams = self.streams[watch.job_name]
            if not batches or len(names | streams) > STREAMS_PER_CALL:
                batches.append([])
                names = set()
            batches[-1].append(watch)
            names |= streams
        return batches

    async def _read(self, batch: list[LogWatch]) -> None:
        """New output of up to 100 streams' jobs, from the oldest start among them."""
        batch = [w for w in batch if w in self.watches]  # some may have left since the poll began
        owners: dict[str, list[LogWatch]] = defaultdict(list)
        covered = {watch: set(self.streams.get(watch.job_name, ())) for watch in batch}
        for watch, streams in covered.items():
            for stream in streams:
                owners[stream].append(watch)
        if not owners:
            return
        request: dict[str, Any] = {
            "logGroupName": LOG_GROUP,
            "logStreamNames": sorted(owners),
            "startTime": min(self._start_ms(w) for w in batch),
        }
        results = {watch: Batch() for watch in batch}
        newest, pages = 0, 0
        try:
            while True:
                page = await self._call("FilterLogEvents", "filter_log_events", **request)
                pages += 1
                newest = max(newest, self._dispatch(page.get("events") or [], owners, results))
                request["nextToken"] = page.get("nextToken")
                if not request["nextToken"]:
                    settled = newest - LATE_MS
                    break
                if pages >= logtail.MAX_PAGES_PER_POLL:
                    # the rest comes next poll; everything before the last event read is read
                    settled = newest
                    for result in results.values():
                        result.truncated = bool(result.skipped)
                    break
            for watch in batch:
                watch.cursor.settle(covered[watch], settled)
        finally:
            for watch, result in results.items():
                self._deliver(watch, result)

    def _start_ms(self, watch: LogWatch) -> int:
        """Where a read of a job's known streams starts (a stream not shown yet: the job's start)."""
        return watch.cursor.start_ms(self.streams.get(watch.job_name, ()))

    def _dispatch(
        self,
        events: list[dict[str, Any]],
        owners: dict[str, list[LogWatch]],
        results: dict[LogWatch, Batch],
    ) -> int:
        """Hand a page's events to their jobs' cursors; return the newest timestamp seen."""
        newest = 0
        mine: dict[LogWatch, list[dict[str, Any]]] = defaultdict(list)
        for event in events:
            newest = max(newest, event.get("timestamp", 0))
            for watch in owners.get(event.get("logStreamName", ""), ()):
                mine[watch].append(event)
        for watch, taken in mine.items():
            if watch in self.watches:  # one that left reads the rest itself
                _take(watch.cursor, taken, results[watch])
        return newest

    # -- delivering ----------------------------------------------------------------------
    def _deliver(self, watch: LogWatch, batch: Batch) -> None:
        lines = batch.report()
        if lines and watch in self.watches:
            watch.updates.put_nowait(LogLines(tuple(lines)))

    def _turn_off(self, err: BaseException) -> None:
        if self.off:
            return
        self.off = (
            f"Training output cannot be read from CloudWatch Logs on connection {self.aws_conn_id} "
            f"({type(err).__name__}: {err}); the task log will not show it"
        )
        log.warning("%s", self.off)
        for watch in self.watches:
            watch.off = True
            watch.updates.put_nowait(LogLines((self.off,)))


def _take(cursor: LogCursor, events: list[dict[str, Any]], batch: Batch) -> None:
    """Add the events not shown yet to a poll's batch, capped as ``TailRun.feed`` caps them."""
    for event in cursor.take(events):
        if len(batch.lines) < logtail.MAX_LINES_PER_POLL:
            batch.lines.append(cursor.line(event))
        else:
            batch.skipped += 1
