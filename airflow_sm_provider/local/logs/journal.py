"""One log stream on disk: the lines of one training host, each with the time it was read.

A journal is an append-only file next to the host's ``log.txt``, one record per line of output::

    <epoch milliseconds>\\t<the line's bytes, without its line break>\\n

The writer (the host's output readers, see ``training/process.py``) never lets a timestamp go
backwards, within a run or across a retry appending to the same file, so records are sorted by
time and a time is found by bisection. A record's byte offset is its stable cursor: it never
moves, survives a restart, and is what the Logs tokens carry. Every read here is bounded: a
chunk of at most ``max_bytes`` (plus one record), or a handful of probes for a time.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

FILE_NAME = "log.events"
# CloudWatch refuses an event above 256 KB including 26 bytes of overhead; longer lines are cut.
MAX_MESSAGE_BYTES = 256 * 1024 - 26
# A record is its timestamp (at most 20 digits), a tab, the message and a newline.
MAX_RECORD_BYTES = MAX_MESSAGE_BYTES + 22
PROBE_BYTES = 4096
BISECT_WINDOW = 64 * 1024


def path_for(host_root: Path) -> Path:
    """The journal of the host whose ``/opt/ml`` is ``host_root``."""
    return host_root / FILE_NAME


@dataclass(frozen=True)
class Event:
    """A record as read back: where it starts and ends in the file, its time and its message."""

    offset: int
    end: int
    timestamp: int
    message: bytes

    @property
    def text(self) -> str:
        return self.message.decode("utf-8", errors="replace")


class JournalWriter:
    """Appends records for one host; thread-safe (a host's stdout and stderr share it).

    :param path: the journal file (created 0600 if missing; appended to otherwise).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._file: IO[bytes] = os.fdopen(fd, "ab", buffering=0)
        self._lock = threading.Lock()
        last = JournalReader(path).last()
        self._last = last.timestamp if last is not None else 0

    def append(self, line: bytes) -> None:
        """Record one line of output (its line break stripped, cut at CloudWatch's event size)."""
        message = line.rstrip(b"\r\n").replace(b"\n", b" ")[:MAX_MESSAGE_BYTES]
        with self._lock:
            self._last = max(self._last, time.time_ns() // 1_000_000)
            # one write per record: a reader sees whole records, or a partial last line it skips
            self._file.write(b"%d\t%s\n" % (self._last, message))

    def close(self) -> None:
        with self._lock:
            self._file.close()


def _parse(chunk: bytes, base: int) -> tuple[list[Event], int]:
    """The complete records of ``chunk`` (read at offset ``base``) and the offset after them."""
    events, position = [], 0
    while True:
        newline = chunk.find(b"\n", position)
        if newline < 0:
            break
        record = chunk[position:newline]
        stamp, _, message = record.partition(b"\t")
        try:
            timestamp = int(stamp)
        except ValueError:  # not a record (a damaged file): skip the line
            timestamp = -1
        if timestamp >= 0:
            events.append(Event(base + position, base + newline + 1, timestamp, message))
        position = newline + 1
    return events, base + position


class JournalReader:
    """Bounded reads of one journal; a missing file reads as empty.

    :param path: the journal file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def exists(self) -> bool:
        return self.path.is_file()

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def modified_ms(self) -> int:
        try:
            return self.path.stat().st_mtime_ns // 1_000_000
        except OSError:
            return 0

    def _read(self, offset: int, length: int) -> bytes:
        try:
            with open(self.path, "rb") as stream:
                stream.seek(offset)
                return stream.read(max(0, length))
        except OSError:
            return b""

    def is_boundary(self, offset: int) -> bool:
        """Whether a record starts (or the complete data ends) at ``offset``."""
        if offset == 0:
            return True
        return 0 < offset <= self.size() and self._read(offset - 1, 1) == b"\n"

    def records(self, offset: int, max_bytes: int) -> tuple[list[Event], int]:
        """Complete records from ``offset`` in about ``max_bytes`` (always at least one if there
        is one), and the offset after the last of them."""
        chunk = self._read(offset, max_bytes)
        events, after = _parse(chunk, offset)
        if not events and len(chunk) == max_bytes and max_bytes < MAX_RECORD_BYTES:
            events, after = _parse(self._read(offset, MAX_RECORD_BYTES), offset)
        return events, after

    def records_before(self, end: int, max_bytes: int) -> list[Event]:
        """Complete records ending at or before ``end``, from about ``max_bytes`` before it."""
        for span in (max_bytes, MAX_RECORD_BYTES):
            start = max(0, end - span)
            chunk = self._read(start, end - start)
            if start > 0:  # the chunk starts inside a record: begin after the first line break
                cut = chunk.find(b"\n")
                if cut < 0:
                    continue
                events, _ = _parse(chunk[cut + 1 :], start + cut + 1)
            else:
                events, _ = _parse(chunk, 0)
            if events or start == 0:
                return events
        return []

    def first(self) -> Event | None:
        events, _ = self.records(0, PROBE_BYTES)
        return events[0] if events else None

    def last(self) -> Event | None:
        events = self.records_before(self.end(), PROBE_BYTES)
        return events[-1] if events else None

    def end(self) -> int:
        """The offset after the last complete record (a line being written is not yet one)."""
        size = self.size()
        if size == 0 or self._read(size - 1, 1) == b"\n":
            return size
        tail = self._read(max(0, size - MAX_RECORD_BYTES), min(size, MAX_RECORD_BYTES))
        cut = tail.rfind(b"\n")
        return 0 if cut < 0 else size - len(tail) + cut + 1

    def _next_start(self, offset: int) -> int:
        """The first record start at or after ``offset``."""
        if self.is_boundary(offset):
            return offset
        chunk = self._read(offset, MAX_RECORD_BYTES)
        cut = chunk.find(b"\n")
        return offset + len(chunk) if cut < 0 else offset + cut + 1

    def seek_time(self, timestamp: int, end: int | None = None) -> int:
        """The offset of the first record at or after ``timestamp`` (``end`` if none)."""
        # lo: a record start with every record before it earlier than ``timestamp``;
        # hi: ``end`` or a record start at or after ``timestamp``.
        lo, hi = 0, self.end() if end is None else end
        while hi - lo > BISECT_WINDOW:
            probe = self._next_start((lo + hi) // 2)
            if probe >= hi:
                break
            events, _ = self.records(probe, PROBE_BYTES)
            if not events:
                break
            if events[0].timestamp < timestamp:
                lo = events[0].end
            else:
                hi = probe
        while lo < hi:
            events, after = self.records(lo, min(hi - lo, BISECT_WINDOW))
            for event in events:
                if event.offset >= hi or event.timestamp >= timestamp:
                    return min(event.offset, hi)
            if not events or after <= lo:
                break
            lo = after
        return hi
