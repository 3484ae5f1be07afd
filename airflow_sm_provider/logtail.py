"""Training job output from CloudWatch Logs, each line once, in order, at a bounded rate.

SageMaker writes a training job's output to log group ``/aws/sagemaker/TrainingJobs``, one stream
per instance named ``<TrainingJobName>/algo-<n>-<epoch seconds>``. A :class:`LogCursor` remembers
how far a job's output has been shown (the last event's timestamp, and the ids of the events
already shown at that very timestamp), so polling ``FilterLogEvents`` from that timestamp on shows
every line exactly once, prefixed with its instance.

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


def instance_of(stream_name: str, job_name: str) -> str:
    """``algo-2`` for stream ``<job>/algo-2-1700000000``."""
    host = stream_name.removeprefix(f"{job_name}/")
    head, _, tail = host.rpartition("-")
    return head if tail.isdigit() and head else host


@dataclass
class LogCursor:
    """How far one job's output has been shown. JSON-safe through :meth:`to_dict`."""

    job_name: str
    after_ms: int = 0
    seen: set[str] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        return {"job_name": self.job_name, "after_ms": self.after_ms, "seen": sorted(self.seen)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LogCursor:
        return cls(data["job_name"], int(data.get("after_ms", 0)), set(data.get("seen") or ()))

    def take(self, events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """The events not shown yet, in order; the cursor moves past them."""
        fresh = []
        for event in sorted(events, key=lambda e: (e.get("timestamp", 0), e.get("eventId", ""))):
            stamp, event_id = event.get("timestamp", 0), event.get("eventId", "")
            if stamp < self.after_ms or (stamp == self.after_ms and event_id in self.seen):
                continue
            if stamp > self.after_ms:
                self.after_ms, self.seen = stamp, set()
            self.seen.add(event_id)
            fresh.append(event)
        return fresh

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
        self._token: str | None = None
        self._pages = 0
        self._done = False

    def next_request(self) -> dict[str, Any] | None:
        """The FilterLogEvents arguments of the next page, or ``None`` when the poll is over."""
        if self._done:
            return None
        request: dict[str, Any] = {"logGroupName": LOG_GROUP, "startTime": self.cursor.after_ms}
        if self.stream_names:
            request["logStreamNames"] = self.stream_names
        else:
            request["logStreamNamePrefix"] = f"{self.cursor.job_name}/"
        if self._token:
            request["nextToken"] = self._token
        return request

    def feed(self, response: dict[str, Any]) -> None:
        self._pages += 1
        for event in self.cursor.take(response.get("events") or []):
            if len(self.batch.lines) < MAX_LINES_PER_POLL:
                self.batch.lines.append(self.cursor.line(event))
            else:
                self.batch.skipped += 1
        self._token = response.get("nextToken")
        if not self._token:
            self._done = True
        elif self._pages >= MAX_PAGES_PER_POLL:
            # stop reading; the cursor has moved past everything counted, later lines come next poll
            self._done = True
            self.batch.truncated = bool(self.batch.skipped)
