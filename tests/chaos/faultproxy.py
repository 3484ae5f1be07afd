"""A fault-injecting HTTP proxy in front of the local backend.

Each request is forwarded unchanged (its SigV4 signature covers the proxy's Host, which the
backend is told to accept) or answered with a fault instead:

- ``throttle``: 400 ``ThrottlingException`` without forwarding;
- ``503`` / ``500``: that status without forwarding;
- ``reset``: the connection reset (RST) without an answer, without forwarding;
- ``lost``: forwarded (the backend acts) and then the connection reset, so the client never
  learns the outcome. Every ``Create*`` call's first attempt is lost this way.

Faults are drawn from a seeded RNG at ``rate``, never more than ``max_streak`` in a row for one
operation, so a run's length stays bounded while every kind of fault is exercised. An *outage*
(``outage(seconds)``) throttles every request, Create or not, until it is over.
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

KINDS = ("throttle", "503", "500", "reset", "lost")


class FaultProxy:
    """:param backend_port: where the backend listens on 127.0.0.1."""

    def __init__(
        self, backend_port: int = 0, *, rate: float = 0.3, seed: int = 1, max_streak: int = 2
    ) -> None:
        self.backend_port = backend_port
        self.rate = rate
        self.max_streak = max_streak
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.faults: Counter[str] = Counter()
        self.requests = 0
        self.streaks: Counter[str] = Counter()
        self.lost_creates: set[str] = set()
        self.outage_until = 0.0
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def injected(self) -> int:
        return sum(self.faults.values())

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def outage(self, seconds: float) -> None:
        """Throttle every request for the next ``seconds``."""
        with self.lock:
            self.outage_until = time.monotonic() + seconds

    def decide(self, target: str, body: bytes) -> str | None:
        operation = target.rsplit(".", 1)[-1]
        with self.lock:
            self.requests += 1
            if time.monotonic() < self.outage_until:
                self.faults["throttle"] += 1
                return "throttle"
            if operation.startswith("Create"):
                key = f"{operation}:{_name(body)}"
                if key not in self.lost_creates:  # the first attempt of each create is lost
                    self.lost_creates.add(key)
                    self.faults["lost"] += 1
                    return "lost"
            if self.streaks[operation] >= self.max_streak or self.random.random() >= self.rate:
                self.streaks[operation] = 0
                return None
            self.streaks[operation] += 1
            kind = self.random.choice(KINDS)
            self.faults[kind] += 1
            return kind


def _name(body: bytes) -> str:
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return ""
    return next((str(v) for k, v in payload.items() if k.endswith("Name")), "")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: FaultProxy


FAULT_ANSWERS = {
    "throttle": (400, "ThrottlingException"),
    "503": (503, "ServiceUnavailable"),
    "500": (500, "InternalFailure"),
}
KEPT_HEADERS = ("content-type", "x-amzn-requestid")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fault = self.server.proxy.decide(self.headers.get("X-Amz-Target", ""), body)
        if fault in FAULT_ANSWERS:
            status, code = FAULT_ANSWERS[fault]
            return self._answer(status, json.dumps({"__type": code, "message": "injected"}).encode(), {})
        if fault == "reset":
            return self._reset()
        status, payload, headers = self._forward(body)
        if fault == "lost":
            return self._reset()
        return self._answer(status, payload, headers)

    def do_GET(self) -> None:
        self._answer(*self._forward(b""))

    def _forward(self, body: bytes) -> tuple[int, bytes, dict[str, str]]:
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.proxy.backend_port, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            response = upstream.getresponse()
            payload = response.read()
            keep = {k: v for k, v in response.getheaders() if k.lower() in KEPT_HEADERS}
            return response.status, payload, keep
        except OSError:  # the backend is down: what a client sees is a refused connection
            return 503, b'{"__type":"ServiceUnavailable","message":"backend down"}', {}
        finally:
            upstream.close()

    def _answer(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        headers.setdefault("Content-Type", "application/x-amz-json-1.1")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()
