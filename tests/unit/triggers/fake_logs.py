"""An in-memory stand-in for an aiobotocore CloudWatch Logs client, for the log poller's tests.

It holds SageMaker's training log group (one stream per instance, ``<job>/algo-<n>-<epoch>``),
answers DescribeLogStreams (``logStreamNamePrefix``, ``orderBy=LastEventTime``, ``descending``,
``limit``, ``nextToken``) and FilterLogEvents (``logStreamNames`` or ``logStreamNamePrefix``,
``startTime``, ``nextToken``; events interleaved by time, pages of :attr:`page_size` events),
counts every call by operation, and can be told to refuse an operation with an error code.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from botocore.exceptions import ClientError

GROUP = "/aws/sagemaker/TrainingJobs"


def _error(code: str, operation: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation
    )


class FakeLogs:
    def __init__(self, page_size: int = 10_000) -> None:
        #: stream name -> events (each with timestamp, message, eventId, logStreamName)
        self.streams: dict[str, list[dict[str, Any]]] = {}
        self.calls: Counter[str] = Counter()
        self.refuse: dict[str, str] = {}  # method -> error code
        self.page_size = page_size
        #: When set, reads by ``logStreamNames`` (the poller's) wait for it; prefix reads do not.
        self.gate: asyncio.Event | None = None
        self.closed = False
        self._clock = 1_700_000_000_000
        self._ids = 0

    # -- test controls -----------------------------------------------------------------------
    def stream(self, job: str, host: int = 1) -> str:
        name = f"{job}/algo-{host}-1700000000"
        self.streams.setdefault(name, [])
        return name

    def write(self, job: str, *messages: str, host: int = 1, at: int | None = None) -> None:
        """Append lines to a job's stream, each a millisecond after the last (or all ``at``)."""
        name = self.stream(job, host)
        for message in messages:
            self._clock = self._clock + 1 if at is None else max(self._clock, at)
            self._ids += 1
            stamp = self._clock if at is None else at
            self.streams[name].append(
                {"logStreamName": name, "timestamp": stamp, "message": message, "eventId": f"{self._ids:09d}"}
            )

    def total_calls(self) -> int:
        return sum(self.calls.values())

    # -- the client's interface ----------------------------------------------------------------
    async def describe_log_streams(self, **kwargs: Any) -> dict[str, Any]:
        self._enter("describe_log_streams", kwargs)
        await asyncio.sleep(0)
        names = list(self.streams)
        if prefix := kwargs.get("logStreamNamePrefix"):
            names = sorted(n for n in names if n.startswith(prefix))
        if kwargs.get("orderBy") == "LastEventTime":
            names.sort(key=self._last_event, reverse=bool(kwargs.get("descending")))
        start = int(kwargs.get("nextToken") or 0)
        size = kwargs.get("limit", 50)
        page = {"logStreams": [self._describe(n) for n in names[start : start + size]]}
        if start + size < len(names):
            page["nextToken"] = str(start + size)
        return page

    async def filter_log_events(self, **kwargs: Any) -> dict[str, Any]:
        self._enter("filter_log_events", kwargs)
        await asyncio.sleep(0)
        names = kwargs.get("logStreamNames")
        if names is not None and self.gate is not None:
            await self.gate.wait()
        if names is not None:
            assert len(names) <= 100, "CloudWatch takes at most 100 logStreamNames"
            if missing := [n for n in names if n not in self.streams]:
                raise _error("ResourceNotFoundException", f"FilterLogEvents {missing}")
        else:
            prefix = kwargs.get("logStreamNamePrefix", "")
            names = [n for n in self.streams if n.startswith(prefix)]
        since = kwargs.get("startTime", 0)
        events = sorted(
            (e for n in names for e in self.streams[n] if e["timestamp"] >= since),
            key=lambda e: (e["timestamp"], e["eventId"]),
        )
        start = int(kwargs.get("nextToken") or 0)
        page: dict[str, Any] = {"events": [dict(e) for e in events[start : start + self.page_size]]}
        if start + self.page_size < len(events):
            page["nextToken"] = str(start + self.page_size)
        return page

    def _enter(self, method: str, kwargs: dict[str, Any]) -> None:
        self.calls[method] += 1
        assert kwargs.get("logGroupName") == GROUP
        if method in self.refuse:
            raise _error(self.refuse[method], method)

    def _last_event(self, name: str) -> int:
        events = self.streams[name]
        return events[-1]["timestamp"] if events else 0

    def _describe(self, name: str) -> dict[str, Any]:
        described: dict[str, Any] = {"logStreamName": name, "creationTime": 1_700_000_000_000}
        if self.streams[name]:
            described["lastEventTimestamp"] = self._last_event(name)
        return described
