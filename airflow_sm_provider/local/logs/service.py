"""DescribeLogStreams, GetLogEvents and FilterLogEvents over the training hosts' journals.

Bounds, as CloudWatch's: a page holds at most 10,000 events and 1 MB (each event's message bytes
plus 26), DescribeLogStreams at most 50 streams; FilterLogEvents searches at most 100 streams at
once (name them, or narrow the prefix). A request reads at most about 1 MB of journal per stream
it searches, plus a few small probes to find a start time.

Tokens carry journal byte offsets, which never move:

- GetLogEvents: ``f/<offset>`` (forward) and ``b/<offset>`` (backward), as CloudWatch spells
  them. Reading forward, the offset is just after the last event returned, so when nothing new
  has arrived the same ``nextForwardToken`` comes back (SageMaker's and the amazon provider's
  end-of-stream rule). A token decides the direction; without one ``startFromHead`` does
  (default false: the latest events).
- FilterLogEvents: each searched stream's offset (opaque, base64). Events are interleaved by
  time; a page stops early rather than return an event out of order, and ``nextToken`` is given
  exactly when something matching is not yet returned.
- DescribeLogStreams: the last key returned (opaque, base64), so pages neither repeat nor skip a
  stream while the set is unchanged. Ordered by ``LastEventTime``, the key is a journal's
  modification time, which moves as the stream grows (CloudWatch's is eventually consistent too).
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
import re
import zlib
from dataclasses import dataclass, field
from typing import Any

from airflow_sm_provider.local.logs.errors import InvalidParameter
from airflow_sm_provider.local.logs.journal import Event, JournalReader
from airflow_sm_provider.local.logs.streams import Stream, Streams, check_group

MAX_EVENTS = 10_000
MAX_PAGE_BYTES = 1_048_576
EVENT_OVERHEAD = 26
MAX_STREAMS_PAGE = 50
MAX_FILTER_STREAMS = 100
MIN_STREAM_CHUNK = 64 * 1024

_POSITION = re.compile(r"([fb])/(\d{1,20})")
_BAD_TOKEN = "The specified nextToken is invalid."


@dataclass
class _Read:
    """What a forward read of one stream found."""

    events: list[Event]
    after: int  # the offset after the last record consumed (returned or skipped)
    done: bool  # nothing more in the stream now (or before ``endTime``)


@dataclass
class _Search:
    stream: Stream
    start: int
    read: _Read
    taken: int = 0
    position: int = field(init=False)

    def __post_init__(self) -> None:
        self.position = self.start


def _cost(event: Event) -> int:
    return len(event.message) + EVENT_OVERHEAD


def read_forward(
    journal: JournalReader,
    start: int,
    *,
    start_time: int | None,
    end_time: int | None,
    limit: int,
    max_bytes: int,
) -> _Read:
    """Events from ``start`` in ``[start_time, end_time)``, at most ``limit`` and ``max_bytes``."""
    records, after = journal.records(start, max_bytes)
    events: list[Event] = []
    used, consumed = 0, start
    for record in records:
        if end_time is not None and record.timestamp >= end_time:
            return _Read(events, consumed, True)
        if start_time is not None and record.timestamp < start_time:
            consumed = record.end
            continue
        if len(events) == limit or (events and used + _cost(record) > max_bytes):
            return _Read(events, consumed, False)
        events.append(record)
        used += _cost(record)
        consumed = record.end
    return _Read(events, consumed, after >= journal.end())


def _encode(document: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(document, separators=(",", ":")).encode()).decode()


def _decode(token: str) -> dict[str, Any]:
    try:
        document = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error):
        raise InvalidParameter(_BAD_TOKEN) from None
    if not isinstance(document, dict):
        raise InvalidParameter(_BAD_TOKEN)
    return document


class LogsService:
    """The CloudWatch Logs operations of one backend.

    :param streams: the training jobs' streams.
    :param account_id: account number in stream ARNs.
    """

    def __init__(self, streams: Streams, account_id: str) -> None:
        self.streams = streams
        self.account_id = account_id

    # DescribeLogStreams ----------------------------------------------------------------------
    def describe_log_streams(self, params: dict[str, Any], region: str) -> dict[str, Any]:
        group = check_group(params)
        order = params.get("orderBy", "LogStreamName")
        descending = bool(params.get("descending", False))
        prefix = params.get("logStreamNamePrefix")
        if prefix is not None and order == "LastEventTime":
            raise InvalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
        limit = params.get("limit", MAX_STREAMS_PAGE)

        def key(stream: Stream) -> list[Any]:
            if order == "LogStreamName":
                return [stream.name]
            return [stream.journal.modified_ms(), stream.name]

        keyed = sorted(((key(s), s) for s in self.streams.matching(prefix or "")), reverse=descending)
        if params.get("nextToken"):
            token = _decode(params["nextToken"])
            after = token.get("k")
            kinds = [str] if order == "LogStreamName" else [int, str]
            if (
                token.get("o") != order
                or token.get("d") != descending
                or not isinstance(after, list)
                or [type(part) for part in after] != kinds
            ):
                raise InvalidParameter(_BAD_TOKEN)
            keyed = [(k, s) for k, s in keyed if (k < after if descending else k > after)]
        page = keyed[:limit]
        response: dict[str, Any] = {"logStreams": [self._describe(s, group, region) for _, s in page]}
        if len(keyed) > limit:
            response["nextToken"] = _encode({"o": order, "d": descending, "k": page[-1][0]})
        return response

    def _describe(self, stream: Stream, group: str, region: str) -> dict[str, Any]:
        arn = f"arn:aws:logs:{region}:{self.account_id}:log-group:{group}:log-stream:{stream.name}"
        out: dict[str, Any] = {
            "logStreamName": stream.name,
            "creationTime": stream.creation_ms,
            "arn": arn,
            "storedBytes": 0,  # deprecated by CloudWatch, which reports 0
        }
        first, last = stream.journal.first(), stream.journal.last()
        if first is not None:
            out["firstEventTimestamp"] = first.timestamp
        if last is not None:
            out["lastEventTimestamp"] = last.timestamp
            out["lastIngestionTime"] = last.timestamp
        return out

    # GetLogEvents ----------------------------------------------------------------------------
    def get_log_events(self, params: dict[str, Any]) -> dict[str, Any]:
        check_group(params)
        journal = self.streams.require(params["logStreamName"]).journal
        limit = params.get("limit", MAX_EVENTS)
        start_time, end_time = params.get("startTime"), params.get("endTime")
        if params.get("nextToken"):
            direction, offset = self._position(params["nextToken"], journal)
        else:
            direction, offset = ("f" if params.get("startFromHead") else "b"), None
        if direction == "f":
            if offset is None:
                offset = journal.seek_time(start_time) if start_time is not None else 0
            read = read_forward(
                journal,
                offset,
                start_time=start_time,
                end_time=end_time,
                limit=limit,
                max_bytes=MAX_PAGE_BYTES,
            )
            events, forward = read.events, read.after
            backward = events[0].offset if events else offset
        else:
            if offset is None:
                offset = journal.seek_time(end_time) if end_time is not None else journal.end()
            events = self._backward(journal, offset, start_time, limit)
            forward = events[-1].end if events else offset
            backward = events[0].offset if events else offset
        return {
            "events": [
                {"timestamp": e.timestamp, "message": e.text, "ingestionTime": e.timestamp} for e in events
            ],
            "nextForwardToken": f"f/{forward:020d}",
            "nextBackwardToken": f"b/{backward:020d}",
        }

    @staticmethod
    def _position(token: str, journal: JournalReader) -> tuple[str, int]:
        match = _POSITION.fullmatch(token)
        if match is None or not journal.is_boundary(int(match.group(2))):
            raise InvalidParameter(_BAD_TOKEN)
        return match.group(1), int(match.group(2))

    @staticmethod
    def _backward(journal: JournalReader, end: int, start_time: int | None, limit: int) -> list[Event]:
        """The latest events before ``end`` (and not before ``start_time``), oldest first."""
        picked: list[Event] = []
        used = 0
        for record in reversed(journal.records_before(end, MAX_PAGE_BYTES)):
            if start_time is not None and record.timestamp < start_time:
                break
            if len(picked) == limit or (picked and used + _cost(record) > MAX_PAGE_BYTES):
                break
            picked.append(record)
            used += _cost(record)
        picked.reverse()
        return picked

    # FilterLogEvents -------------------------------------------------------------------------
    def filter_log_events(self, params: dict[str, Any]) -> dict[str, Any]:
        check_group(params)
        if (params.get("filterPattern") or "").strip():
            raise InvalidParameter("The local backend does not support filterPattern; leave it empty.")
        streams = self._searched(params)
        positions = _decode(params["nextToken"]).get("s", {}) if params.get("nextToken") else {}
        if not isinstance(positions, dict):
            raise InvalidParameter(_BAD_TOKEN)
        limit = params.get("limit", MAX_EVENTS)
        start_time, end_time = params.get("startTime"), params.get("endTime")
        chunk = max(MIN_STREAM_CHUNK, MAX_PAGE_BYTES // max(1, len(streams)))
        searches = []
        for stream in streams:
            start = positions.get(stream.name)
            if start is None:
                start = stream.journal.seek_time(start_time) if start_time is not None else 0
            elif not isinstance(start, int) or not stream.journal.is_boundary(start):
                raise InvalidParameter(_BAD_TOKEN)
            read = read_forward(
                stream.journal, start, start_time=start_time, end_time=end_time, limit=limit, max_bytes=chunk
            )
            searches.append(_Search(stream, start, read))
        response: dict[str, Any] = {"events": self._interleave(searches, limit), "searchedLogStreams": []}
        for search in searches:
            if search.taken == len(search.read.events):
                search.position = search.read.after
            elif search.taken:
                search.position = search.read.events[search.taken - 1].end
            complete = search.taken == len(search.read.events) and search.read.done
            response["searchedLogStreams"].append(
                {"logStreamName": search.stream.name, "searchedCompletely": complete}
            )
        if not all(s["searchedCompletely"] for s in response["searchedLogStreams"]):
            response["nextToken"] = _encode({"s": {s.stream.name: s.position for s in searches}})
        return response

    def _searched(self, params: dict[str, Any]) -> list[Stream]:
        names, prefix = params.get("logStreamNames"), params.get("logStreamNamePrefix")
        if names is not None and prefix is not None:
            raise InvalidParameter("logStreamNames and logStreamNamePrefix cannot both be specified.")
        if names is not None:
            streams = [s for s in (self.streams.named(n) for n in dict.fromkeys(names)) if s is not None]
        else:
            streams = self.streams.matching(prefix or "")
        if len(streams) > MAX_FILTER_STREAMS:
            raise InvalidParameter(
                f"{len(streams)} log streams match; the local backend searches at most "
                f"{MAX_FILTER_STREAMS} at once: name them in logStreamNames or narrow logStreamNamePrefix."
            )
        return streams

    @staticmethod
    def _interleave(searches: list[_Search], limit: int) -> list[dict[str, Any]]:
        """Merge the streams' events by time; stop where a stream's next event is not read yet."""
        heap = [(s.read.events[0].timestamp, i, 0) for i, s in enumerate(searches) if s.read.events]
        heapq.heapify(heap)
        out: list[dict[str, Any]] = []
        used = 0
        while heap and len(out) < limit:
            _, i, j = heap[0]
            search = searches[i]
            event = search.read.events[j]
            if out and used + _cost(event) > MAX_PAGE_BYTES:
                break
            heapq.heappop(heap)
            used += _cost(event)
            search.taken = j + 1
            out.append(
                {
                    "logStreamName": search.stream.name,
                    "timestamp": event.timestamp,
                    "message": event.text,
                    "ingestionTime": event.timestamp,
                    "eventId": f"{zlib.crc32(search.stream.name.encode()):010d}{event.offset:020d}",
                }
            )
            if j + 1 < len(search.read.events):
                heapq.heappush(heap, (search.read.events[j + 1].timestamp, i, j + 1))
            elif not search.read.done:
                break  # its next event may be earlier than any other stream's: read it first
        return out
