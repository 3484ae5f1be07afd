"""HTTP front of the local backend: AWS JSON 1.1 over ``POST /``, routed by ``X-Amz-Target``.

One thread per connection (``ThreadingHTTPServer``, daemon threads, HTTP/1.1 keep-alive), so
many pollers are served at once; handlers only copy in-memory state for reads. Errors become
``{"__type": code, "message": ...}`` with the service's HTTP status, which botocore turns into
``ClientError`` with that code.

Tests and embedding code use :class:`LocalServer`::

    with LocalServer(home=tmp_path, port=0) as server:
        client = boto3.client("sagemaker", endpoint_url=server.endpoint_url, ...)
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

from airflow_sm_provider.local import protocol
from airflow_sm_provider.local.arns import DEFAULT_ACCOUNT, DEFAULT_REGION
from airflow_sm_provider.local.backend import LocalBackend
from airflow_sm_provider.local.errors import LocalServiceError, UnknownOperation, ValidationError
from airflow_sm_provider.local.handlers import HANDLERS

log = logging.getLogger(__name__)

_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # many pollers may connect at once
    backend: LocalBackend


class _Server6(_Server):
    address_family = socket.AF_INET6


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        target = self.headers.get("X-Amz-Target", "")
        operation = target.removeprefix(protocol.TARGET_PREFIX)
        try:
            status, payload = 200, self._dispatch(operation, body)
        except LocalServiceError as err:
            status, payload = err.status, protocol.encode(err.to_body())
        except Exception as err:  # a bug: report it as the service would, keep serving
            log.exception("%s failed", operation)
            status, payload = 500, protocol.encode({"__type": "InternalFailure", "message": str(err)})
        self._reply(status, payload)

    def do_GET(self) -> None:
        self._reply(200, protocol.encode({"status": "ok", "service": "sagemaker-local"}))

    def _dispatch(self, operation: str, body: bytes) -> bytes:
        handler = HANDLERS.get(operation)
        if handler is None:
            raise UnknownOperation(f"Operation {operation or '(none)'} is not supported by the local backend")
        try:
            raw = json.loads(body or b"{}")
        except ValueError as err:
            raise ValidationError(f"Request body is not valid JSON: {err}") from err
        if not isinstance(raw, dict):
            raise ValidationError("Request body must be a JSON object")
        params = protocol.parse_request(operation, raw)
        match = _CREDENTIAL_SCOPE.search(self.headers.get("Authorization", ""))
        region = match.group(1) if match else self.server.backend.region
        return protocol.encode(handler(self.server.backend, params, region))

    def _reply(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", protocol.CONTENT_TYPE)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(payload)


class LocalServer:
    """The local SageMaker backend serving HTTP on a background thread.

    :param home: state directory (created if missing).
    :param host: interface to bind; 127.0.0.1 unless you mean to expose a code-running service.
    :param port: TCP port; 0 picks a free one (read it back from ``endpoint_url``).
    :param region: default region when a request is unsigned.
    :param account_id: account number in ARNs.
    :param stop_grace: seconds between SIGTERM and SIGKILL when stopping a job.
    """

    def __init__(
        self,
        home: Path | str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT,
        stop_grace: float = 5.0,
    ) -> None:
        self.home = Path(home)
        self.host = host
        self.port = port
        self._options = {"region": region, "account_id": account_id, "stop_grace": stop_grace}
        self.backend: LocalBackend | None = None
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server is not running")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._httpd.server_address[1]}"

    def start(self) -> Self:
        protocol.service_model()  # load botocore's model before the first request needs it
        self.backend = LocalBackend(self.home, **self._options)  # type: ignore[arg-type]
        server_class = _Server6 if ":" in self.host else _Server
        self._httpd = server_class((self.host, self.port), _RequestHandler)
        self._httpd.backend = self.backend
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            name="sagemaker-local-http",
            kwargs={"poll_interval": 0.2},
            daemon=True,
        )
        self._thread.start()
        log.info("local SageMaker backend listening on %s (home %s)", self.endpoint_url, self.home)
        return self

    def stop(self) -> None:
        """Stop serving, then stop running jobs and close the state (idempotent)."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self.backend is not None:
            self.backend.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
