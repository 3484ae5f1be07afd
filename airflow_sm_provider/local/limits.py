"""What one client may cost the local backend: request size, connections, time.

Every bound answers with AWS's error shape (``{"__type", "message"}``) and a 4xx status, never a
dropped connection or a 500:

- ``MAX_REQUEST_BYTES``: a larger ``Content-Length`` is refused before the body is read
  (413 ``RequestEntityTooLarge``); a missing one means no body; one that is negative or not a
  number is 400 (``read_length``). SageMaker's largest legitimate requests (a tuning job with
  every definition at its maximum) stay far below it.
- ``IDLE_TIMEOUT``: a connection that sends nothing for this long, between requests or in the
  middle of one (a slow or stalled body), is closed; mid-request it first gets 408.
- ``MAX_CONNECTIONS``: connections served at once; one more is answered 503
  ``ServiceUnavailable`` (botocore retries it) and closed, instead of holding a thread.

And what one job may cost:

- ``MAX_GRID_POINTS``: a Grid tuning job's combinations, counted from its ranges' sizes before
  anything is listed; more is a ValidationException at create (three integer ranges 0..999
  would otherwise be 10^9 points in memory).
- ``METRIC_LINE_CHARS`` and ``METRIC_SECONDS_PER_LINE``: metric regexes see at most the first
  ``METRIC_LINE_CHARS`` characters of a line, in a process of their own; one that spends longer
  than ``METRIC_SECONDS_PER_LINE`` on a line is disabled for that job (``training/matching``).
"""

from __future__ import annotations

import json
import socket
import threading

from airflow_sm_provider.local.errors import LocalServiceError, ValidationError

MAX_REQUEST_BYTES = 8 * 1024 * 1024
IDLE_TIMEOUT = 60.0
MAX_CONNECTIONS = 256
MAX_GRID_POINTS = 10_000
METRIC_LINE_CHARS = 4096
METRIC_SECONDS_PER_LINE = 1.0


class RequestTooLarge(LocalServiceError):
    code = "RequestEntityTooLarge"
    status = 413


class RequestTimeout(LocalServiceError):
    code = "RequestTimeout"
    status = 408


def read_length(value: str | None) -> int:
    """The body length a request announces, validated."""
    if value is None or value.strip() == "":
        return 0
    text = value.strip()
    if not text.isdigit():  # no sign, no exponent, no fraction
        raise ValidationError("Content-Length must be a non-negative integer")
    length = int(text)
    if length > MAX_REQUEST_BYTES:
        raise RequestTooLarge(f"Request body larger than {MAX_REQUEST_BYTES} bytes")
    return length


class ConnectionSlots:
    """At most ``limit`` connections served at once."""

    def __init__(self, limit: int | None = None) -> None:
        self._slots = threading.BoundedSemaphore(limit or MAX_CONNECTIONS)

    def take(self) -> bool:
        return self._slots.acquire(blocking=False)

    def give(self) -> None:
        self._slots.release()


BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Content-Type: application/x-amz-json-1.1\r\n"
    b"Connection: close\r\n"
    b"Content-Length: %d\r\n\r\n%s"
)


def refuse_busy(connection: socket.socket) -> None:
    """Answer a connection over the limit without a thread: 503, then close."""
    body = json.dumps(
        {"__type": "ServiceUnavailable", "message": "Too many connections to the local SageMaker backend"}
    ).encode()
    try:
        connection.settimeout(1.0)
        connection.sendall(BUSY % (len(body), body))
    except OSError:
        pass
