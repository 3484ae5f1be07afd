"""Training job output from CloudWatch Logs, each line once, in order, at a bounded rate.

SageMaker writes a training job's output to log group ``/aws/sagemaker/TrainingJobs``, one stream
per instance named ``<TrainingJobName>/algo-<n>-<epoch seconds>``. A :class:`LogCursor` remembers
how far each stream has been shown (its last event's timestamp, and the ids of the events already
shown at that very timestamp), so polling ``FilterLogEvents`` from the earliest of those on shows
every line exactly once, prefixed with its instance. Places are per stream because streams appear
one by one: a second instance's stream found after the first one's output moved on still starts
from the job's start, not from where the first one is.

A stream that stays quiet would hold every read back to its last line; once a read has come back
complete, what lies more than :data:`LATE_MS` before its newest event counts as read for every
stream it covered (:meth:`LogCursor.settle`), since CloudWatch makes events readable within
seconds of their timestamp.

A chatty script cannot flood the task log or the triggerer: one poll shows at most
:data:`MAX_LINES_PER_POLL` lines and reads at most :data:`MAX_PAGES_PER_POLL` pages; the rest is
skipped with a line saying how many lines were skipped (the full output stays in CloudWatch).

:class:`TailRun` holds the paging logic without doing I/O, so the blocking wait (boto3) and the
triggerer (aiobotocore) drive the same code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

LOG_GROUP = "/aws/sagemaker/TrainingJobs"
#: Lines shown per job per poll; beyond it, lines are counted and skipped.
MAX_LINES_PER_POLL = 200
#: Pages of FilterLogEvents read per poll (each up to CloudWatch's 10,000 events).
MAX_PAGES_PER_POLL = 5
#: How long after its timestamp an event may still appear in FilterLogEvents (ms).
LATE_MS = 10_000


def instance_of(stream_name: str, job_name: str) -> str:
    """``algo-2`` for stream ``<job>/algo-2-1700000000``."""
    host = stream_name.removeprefix(f"{job_name}/")
    head, _, tail = host.rpartition("-")
    return head if tail.isdigit() and head else host


@dataclass
class LogCursor:
    """How far one job's output has been shown, stream by stream. JSON-safe through :meth:`to_dict`.

    :param after_ms: Where a stream not read yet starts (the job's start, or "now" when a
        reattached wait shows only what comes next).
    :param streams: Per stream name: the timestamp of its last shown event and the ids of the
        events shown at that very timestamp.
    :param frontier_ms: Up to where a read by name prefix, which covers streams not known yet
        too, has read every stream.
    """

    job_name: str
    after_ms: int = 0
    streams: dict[str, tuple[int, frozenset[str]]] = field(default_factory=dict)
    frontier_ms: int = 0

    def to_dict(self) -> dict[str, Any]:
        streams = {name: [ms, sorted(seen)] for name, (ms, seen) in self.streams.items()}
        return {
            "job_name": self.job_name,
            "after_ms": self.after_ms,
            "streams": streams,
            "frontier_ms": self.frontier_ms,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LogCursor:
        streams = {
            str(name): (int(ms), frozenset(seen)) for name, (ms, seen) in (data.get("streams") or {}).items()
        }
        return cls(data["job_name"], int(data.get("after_ms", 0)), streams, int(data.get("frontier_ms", 0)))

    def place(self, stream: str) -> tuple[int, frozenset[str]]:
        return self.streams.get(stream, (self.after_ms, frozenset()))

    def start_ms(self, streams: Iterable[str] | None = None) -> int:
        """Where a read of ``streams`` must start; ``None``: a read by name prefix, which also
        covers streams not known yet (read up to :attr:`frontier_ms`)."""
        if streams is not None:
            return min((self.place(name)[0] for name in streams), default=self.after_ms)
        unknown = max(self.after_ms, self.frontier_ms)
        return min([unknown, *(ms for ms, _ in self.streams.values())])

    def take(self, events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """The events not shown yet, in order; each one's stream moves past it."""
        fresh = []
        for event in sorted(events, key=lambda e: (e.get("timestamp", 0), e.get("eventId", ""))):
            stream = event.get("logStreamName", "")
            stamp, event_id = event.get("timestamp", 0), event.get("eventId", "")
            at, seen = self.place(stream)
            if stamp < at or (stamp == at and event_id in seen):
                continue
            self.streams[stream] = (stamp, seen | {event_id} if stamp == at else frozenset({event_id}))
            fresh.append(event)
        return fresh

    def settle(self, streams: Iterable[str], ms: int) -> None:
        """Count everything of ``streams`` before ``ms`` as read (a complete read came back).

        Only a stream that is behind moves, and nothing at or after ``ms`` of it has been shown,
        so it starts at ``ms`` with no ids to skip.
        """
        for name in streams:
            if self.place(name)[0] < ms:
                self.streams[name] = (ms, frozenset())

    def skip_to(self, ms: int) -> None:
        """Show nothing from before ``ms``, in any stream (known or not)."""
        self.after_ms = max(self.after_ms, ms)
        self.frontier_ms = max(self.frontier_ms, ms)
        self.settle(list(self.streams), ms)

    def line(self, event: dict[str, Any]) -> str:
        instance = instance_of(event.get("logStreamName", ""), self.job_name)
        return f"[{instance}] {event.get('message', '').rstrip()}"


@dataclass
class Batch:
    """What one poll of one job's output produced."""

    lines: list[str] = field(default_factory=list)
    skipped: int = 0
    truncated: bool = False

    def report(self) -> list[str]:
        """The lines to log, with the skip notice last."""
        if not self.skipped:
            return self.lines
        more = "more than " if self.truncated else ""
        notice = (
            f"... {more}{self.skipped} lines skipped (at most {MAX_LINES_PER_POLL} lines are shown per "
            "poll; the full output is in CloudWatch Logs)"
        )
        return [*self.lines, notice]


class TailRun:
    """One poll of one job's output: the requests to make, and what their answers mean."""

    def __init__(self, cursor: LogCursor, *, stream_names: list[str] | None = None) -> None:
        self.cursor = cursor
        self.stream_names = stream_names
        self.batch = Batch()
        self._start = cursor.start_ms(stream_names)
        self._token: str | None = None
        self._pages = 0
        self._newest = 0
        self._done = False

    def next_request(self) -> dict[str, Any] | None:
        """The FilterLogEvents arguments of the next page, or ``None`` when the poll is over."""
        if self._done:
            return None
        request: dict[str, Any] = {"logGroupName": LOG_GROUP, "startTime": self._start}
        if self.stream_names:
            request["logStreamNames"] = self.stream_names
        else:
            request["logStreamNamePrefix"] = f"{self.cursor.job_name}/"
        if self._token:
            request["nextToken"] = self._token
        return request

    def feed(self, response: dict[str, Any]) -> None:
        self._pages += 1
        events = response.get("events") or []
        self._newest = max([self._newest, *(e.get("timestamp", 0) for e in events)])
        for event in self.cursor.take(events):
            if len(self.batch.lines) < MAX_LINES_PER_POLL:
                self.batch.lines.append(self.cursor.line(event))
            else:
                self.batch.skipped += 1
        self._token = response.get("nextToken")
        if not self._token:
            self._done = True
            self._settle(self._newest - LATE_MS)
        elif self._pages >= MAX_PAGES_PER_POLL:
            # stop reading: everything up to the newest event read has been read; the rest next poll
            self._done = True
            self.batch.truncated = bool(self.batch.skipped)
            self._settle(self._newest)

    def _settle(self, ms: int) -> None:
        if self.stream_names is not None:
            self.cursor.settle(self.stream_names, ms)
            return
        self.cursor.settle(list(self.cursor.streams), ms)
        self.cursor.frontier_ms = max(self.cursor.frontier_ms, ms)
