"""Metric regexes run where they cannot stall the API: in a worker process, with a time limit.

SageMaker lets a job define up to 40 ``MetricDefinitions`` of its own choosing and searches
every output line with each. A regex such as ``^(a+)+$`` against a long line of ``a``'s takes
time exponential in the line's length, and Python's ``re`` holds the GIL throughout: run in the
backend, it would freeze every API call. So each job's regexes run in a small worker process
(``regex_worker``), on at most ``limits.METRIC_LINE_CHARS`` characters of each line; a regex
still searching one line after ``limits.METRIC_SECONDS_PER_LINE`` is disabled for that job (the
worker is killed and restarted without it) and ``on_disabled`` is told, so the job's log says so.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from airflow_sm_provider.local import limits

WORKER = Path(__file__).with_name("regex_worker.py")
STARTUP_SECONDS = 30.0  # a worker's start is not a regex's time (the machine may be busy)


class RegexTimeout(Exception):
    """The worker spent longer than allowed on one regex."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


class GuardedRegexes:
    """A job's metric regexes, searched in a worker process with a time limit per line.

    :param definitions: ``(name, regex)`` pairs (compiled once already: they are valid).
    :param on_disabled: called with ``(name, regex)`` when a regex is disabled.
    :param seconds: the time one regex may take on one line.
    :param max_chars: how much of a line the regexes see.
    """

    def __init__(
        self,
        definitions: list[tuple[str, str]],
        on_disabled: Callable[[str, str], None] | None = None,
        seconds: float = limits.METRIC_SECONDS_PER_LINE,
        max_chars: int = limits.METRIC_LINE_CHARS,
    ) -> None:
        self.definitions = definitions
        self.on_disabled = on_disabled
        self.seconds = seconds
        self.max_chars = max_chars
        self.enabled = list(range(len(definitions)))
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._lock = threading.Lock()

    def search(self, line: str) -> list[tuple[str, str]]:
        """``(name, captured text)`` for every enabled regex that matches ``line``."""
        with self._lock:
            if not self.enabled:
                return []
            request = json.dumps({"line": line[: self.max_chars], "enabled": self.enabled}) + "\n"
            for _attempt in range(2):  # a worker that died on its own is started again, once
                try:
                    found = self._ask(request.encode())
                except RegexTimeout as slow:
                    self._disable(slow.index)
                    return []
                except OSError:
                    self._stop()
                    continue
                return [(self.definitions[index][0], text) for index, text in found]
            return []

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _ask(self, request: bytes) -> list[tuple[int, str]]:
        proc = self._worker()
        assert proc.stdin is not None
        proc.stdin.write(request)
        proc.stdin.flush()
        running = -1
        while True:
            reply = self._reply(running)
            if reply.startswith(b"s "):
                running = int(reply[2:])
                continue
            return [(int(index), str(text)) for index, text in json.loads(reply[2:])]

    def _reply(self, running: int, seconds: float | None = None) -> bytes:
        """The worker's next line, or ``RegexTimeout`` once ``running`` has taken too long."""
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        deadline = time.monotonic() + (seconds or self.seconds)
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                if running < 0:  # no regex was running: the worker itself is stuck
                    raise OSError("the regex worker does not answer")
                raise RegexTimeout(running)
            ready, _, _ = select.select([proc.stdout], [], [], left)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    raise OSError("the regex worker ended")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _worker(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            self._buffer = b""
            self._proc = subprocess.Popen(
                [sys.executable, "-I", str(WORKER), str(os.getpid())],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            assert self._proc.stdin is not None
            self._proc.stdin.write((json.dumps([regex for _, regex in self.definitions]) + "\n").encode())
            self._proc.stdin.flush()
            if self._reply(-1, STARTUP_SECONDS) != b"ready":
                raise OSError("the regex worker did not start")
        return self._proc

    def _stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            for stream in (self._proc.stdin, self._proc.stdout):
                if stream is not None:
                    try:
                        stream.close()
                    except OSError:  # an unflushed write to the dead worker
                        pass
            self._proc = None

    def _disable(self, index: int) -> None:
        self._stop()
        if index in self.enabled:
            self.enabled.remove(index)
            if self.on_disabled is not None:
                self.on_disabled(*self.definitions[index])
