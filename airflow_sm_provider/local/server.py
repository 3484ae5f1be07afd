"""HTTP front of the local backend: AWS JSON 1.1 over ``POST /``, routed by ``X-Amz-Target``.

One thread per connection (``ThreadingHTTPServer``, daemon threads, HTTP/1.1 keep-alive), so
many pollers are served at once; handlers only copy in-memory state for reads. What a client may
cost is bounded (``limits``): request size, idle and slow connections, connections at once.
Errors become ``{"__type": code, "message": ...}`` with the service's HTTP status (4xx for
anything malformed), which botocore turns into ``ClientError`` with that code.

Who is answered, checked in this order for every request, before anything else happens:

1. its ``Host`` must name this server (``hosts``; a DNS-rebinding page sends its own name), and
   it must carry no ``Origin`` (only browsers send one; no page may use this API, so CORS
   preflights are refused too and no ``Access-Control-*`` header is ever sent): otherwise
   403 ``AccessDeniedException``, and the connection is closed;
2. ``POST`` (the API) must carry an AWS Signature Version 4 for the backend's credentials
   (``auth``, ``credentials``); a request refused before its body is read is answered and its
   connection closed. ``GET /console/...`` is the read-only console (``console``), which takes
   its own token instead (a browser cannot sign); any other ``GET`` answers a fixed health
   document only and is not authenticated.

Tests and embedding code use :class:`LocalServer`::

    with LocalServer(home=tmp_path, port=0) as server:
        client = boto3.client("sagemaker", endpoint_url=server.endpoint_url,
                              aws_access_key_id=server.credentials.access_key_id,
                              aws_secret_access_key=server.credentials.secret_access_key)
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import uuid
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

from airflow_sm_provider.local import credentials as keys
from airflow_sm_provider.local import home as private
from airflow_sm_provider.local import limits, protocol
from airflow_sm_provider.local.arns import DEFAULT_ACCOUNT, DEFAULT_REGION
from airflow_sm_provider.local.auth import SigV4Verifier
from airflow_sm_provider.local.backend import LocalBackend
from airflow_sm_provider.local.console import token as console_token
from airflow_sm_provider.local.console.app import Console
from airflow_sm_provider.local.console.token import ConsoleToken
from airflow_sm_provider.local.credentials import Credentials
from airflow_sm_provider.local.errors import (
    AccessDenied,
    LocalServiceError,
    UnknownOperation,
    ValidationError,
)
from airflow_sm_provider.local.handlers import HANDLERS
from airflow_sm_provider.local.hosts import DEFAULT_HTTP_PORT, AllowedHosts
from airflow_sm_provider.local.logs import api as logs_api
from airflow_sm_provider.local.training.options import TrainingOptions

log = logging.getLogger(__name__)

HEALTH = {"status": "ok", "service": "sagemaker-local"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # many pollers may connect at once
    backend: LocalBackend
    allowed_hosts: AllowedHosts
    verifier: SigV4Verifier
    console: Console
    slots: limits.ConnectionSlots

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.take():  # over the limit: answered without a thread
            limits.refuse_busy(request)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.give()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.give()


class _Server6(_Server):
    address_family = socket.AF_INET6


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(limits.IDLE_TIMEOUT)  # idle or stalled: closed, not held forever

    def handle(self) -> None:
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            # the client went away before the answer was written: nothing to answer, nothing broken
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_POST(self) -> None:
        body_read = False
        try:
            self._admit()
            signed = self.server.verifier.check_headers(self.headers)
            body = self._read_body(limits.read_length(self.headers.get("Content-Length")))
            body_read = True
            self.server.verifier.check_signature(signed, self.command, self.path, self.headers, body)
            target = self.headers.get("X-Amz-Target", "")
            if logs_api.is_logs_target(target):  # CloudWatch Logs, on the same port
                payload = logs_api.dispatch(self.server.backend.logs, target, body, signed.region)
            elif target.startswith(protocol.TARGET_PREFIX):
                payload = self._dispatch(target.removeprefix(protocol.TARGET_PREFIX), body, signed.region)
            else:
                raise UnknownOperation(f"X-Amz-Target must name a {protocol.TARGET_PREFIX}* operation")
            status = 200
        except LocalServiceError as err:
            status, payload = err.status, protocol.encode(err.to_body())
        except RecursionError:  # nested deeper than any request shape: refused, not a crash
            status, payload = (
                400,
                protocol.encode(
                    {"__type": "ValidationException", "message": "Request body is nested too deeply"}
                ),
            )
        except Exception as err:  # a bug: report it as the service would, keep serving
            log.exception("%s failed", self.headers.get("X-Amz-Target"))
            status, payload = 500, protocol.encode({"__type": "InternalFailure", "message": str(err)})
        self._reply(status, payload, close=not body_read)

    def _read_body(self, length: int) -> bytes:
        if not length:
            return b""
        try:
            body = self.rfile.read(length)
        except TimeoutError as err:
            raise limits.RequestTimeout("Request body not received in time") from err
        if len(body) < length:
            raise limits.RequestTimeout("Request body shorter than its Content-Length")
        return body

    def do_GET(self) -> None:
        try:
            self._admit()
        except LocalServiceError as err:
            self._reply(err.status, protocol.encode(err.to_body()), close=True)
            return
        if self.path == "/console" or self.path.startswith(("/console/", "/console?")):
            page = self.server.console.handle(self.path, self.headers.get("Cookie"))
            self.send_response(page.status)
            for name, value in page.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(page.body)))
            self.end_headers()
            self.wfile.write(page.body)
            return
        self._reply(200, protocol.encode(HEALTH))

    def do_OPTIONS(self) -> None:
        # A CORS preflight: refused (with no Access-Control-* header) whatever it asks.
        try:
            self._admit()
            raise AccessDenied("The local SageMaker backend does not answer requests from web pages")
        except LocalServiceError as err:
            self._reply(err.status, protocol.encode(err.to_body()), close=True)

    def _admit(self) -> None:
        """Refuse a request not addressed to this server by name, or sent by a web page."""
        hosts = self.headers.get_all("Host") or []
        host = hosts[0] if len(hosts) == 1 else None  # two Host headers: which one would a proxy use?
        if not self.server.allowed_hosts.allows(host):
            # the names it does answer go to the log only: the refused may be a rebinding page
            log.warning(
                "refused a request for Host %r: this server answers %s (--allowed-host adds names)",
                host,
                ", ".join(self.server.allowed_hosts),
            )
            raise AccessDenied(
                f"Host {host!r} is not a name of this server; start it with --allowed-host NAME "
                "to accept another"
            )
        if self.headers.get("Origin") is not None:
            log.warning("refused a request from a web page (Origin %r)", self.headers.get("Origin"))
            raise AccessDenied("The local SageMaker backend does not answer requests from web pages")

    def _dispatch(self, operation: str, body: bytes, region: str) -> bytes:
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
        return protocol.encode(handler(self.server.backend, params, region))

    def _reply(self, status: int, payload: bytes, *, close: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", protocol.CONTENT_TYPE)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if close:  # an unread body would be parsed as the next request on this connection
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(payload)


class LocalServer:
    """The local SageMaker backend serving HTTP on a background thread.

    :param home: state directory (created if missing; made private: 0700, its files 0600).
    :param host: interface to bind; 127.0.0.1 unless you mean to expose a code-running service.
    :param port: TCP port; 0 picks a free one (read it back from ``endpoint_url``).
    :param region: region of the connection :meth:`connection` describes (a signed request's
        own region is the one its ARNs get).
    :param account_id: account number in ARNs.
    :param stop_grace: seconds between SIGTERM and SIGKILL when stopping a job.
    :param credentials: the access key requests must be signed with; by default the home's
        (generated on first use, see :mod:`~airflow_sm_provider.local.credentials`).
    :param allowed_hosts: more ``Host`` names to answer, ``NAME`` or ``NAME:PORT`` (see
        :mod:`~airflow_sm_provider.local.hosts`).
    :param training: instance limit, spot interruption simulator (see
        :mod:`~airflow_sm_provider.local.training.options`).
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
        credentials: Credentials | None = None,
        allowed_hosts: Sequence[str] = (),
        training: TrainingOptions | None = None,
    ) -> None:
        self.home = Path(home)
        self.host = host
        self.port = port
        self.region = region
        self.allowed_hosts = tuple(allowed_hosts)
        # a malformed name fails here rather than after start() has launched the backend
        AllowedHosts(host, port or DEFAULT_HTTP_PORT, self.allowed_hosts)
        self._credentials = credentials
        self._options = {
            "region": region,
            "account_id": account_id,
            "stop_grace": stop_grace,
            "training": training,
        }
        self.backend: LocalBackend | None = None
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def credentials(self) -> Credentials:
        """The access key every request must be signed with."""
        if self._credentials is None:
            self._credentials = keys.for_home(self.home)
        return self._credentials

    @property
    def endpoint_url(self) -> str:
        """The URL a client on this machine uses (loopback when bound to every interface)."""
        if self._httpd is None:
            raise RuntimeError("the server is not running")
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self._httpd.server_address[1]}"

    @property
    def console_url(self) -> str:
        """The console's base URL (pages are below it; see :mod:`~airflow_sm_provider.local.console`)."""
        return f"{self.endpoint_url}/console/"

    @property
    def console_token(self) -> str:
        """The token a console link carries once (``?token=``); the home's ``console-token``."""
        return console_token.for_home(self.home)

    def connection(self) -> dict[str, Any]:
        """An Airflow ``aws`` connection for this server (contains the secret and the console token)."""
        connection = keys.connection(self.credentials, self.endpoint_url, self.region)
        connection["extra"].update(console_token.connection_extra(self.console_url, self.console_token))
        return connection

    def connection_json(self) -> str:
        """:meth:`connection` as an ``AIRFLOW_CONN_AWS_DEFAULT`` value."""
        return json.dumps(self.connection())

    def start(self) -> Self:
        protocol.service_model()  # load botocore's model before the first request needs it
        private.prepare(self.home)
        verifier = SigV4Verifier(self.credentials)
        self.backend = LocalBackend(self.home, **self._options)  # type: ignore[arg-type]
        server_class = _Server6 if ":" in self.host else _Server
        self._httpd = server_class((self.host, self.port), _RequestHandler)
        self._httpd.backend = self.backend
        self._httpd.verifier = verifier
        self._httpd.console = Console(self.backend, ConsoleToken(console_token.for_home(self.home)))
        self._httpd.slots = limits.ConnectionSlots()
        self._httpd.allowed_hosts = AllowedHosts(self.host, self._httpd.server_address[1], self.allowed_hosts)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            name="sagemaker-local-http",
            kwargs={"poll_interval": 0.2},
            daemon=True,
        )
        self._thread.start()
        log.info(
            "local SageMaker backend listening on %s (home %s); it answers Host %s and requests signed "
            "with access key id %s",
            self.endpoint_url,
            self.home,
            ", ".join(self._httpd.allowed_hosts),
            self.credentials.access_key_id,
        )
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
