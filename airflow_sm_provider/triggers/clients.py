"""One aiobotocore client per (event loop, connection, region, service), shared by triggers.

A triggerer runs hundreds of triggers in one event loop. Giving each its own aiobotocore session
and client costs a TCP connection, ~2 MB and a blocking service-model load apiece. Here triggers
(through :mod:`airflow_sm_provider.triggers.poller`) borrow a client with :func:`shared_client`;
the first borrower creates it, the last one to leave closes it. The endpoint comes from the
connection, so (connection, region) also fixes the endpoint.

Two services are used: ``sagemaker`` (status polling, trial listings, stopping) and ``logs``
(training output, :mod:`airflow_sm_provider.triggers.log_poller`). Both clients of a (loop,
connection, region) come from one session (one credential resolution, one role assumption);
the logs endpoint is resolved for service ``logs`` as ``AwsBaseHook`` does (the connection's
``service_config.logs.endpoint_url``, then its ``endpoint_url``, then botocore's own
configuration: ``AWS_ENDPOINT_URL_CLOUDWATCH_LOGS``, ``AWS_ENDPOINT_URL``), so the blocking
wait's ``AwsLogsHook`` and the triggers read the same endpoint.

Three things keep the event loop responsive and the client correct:

- The share is keyed by the running event loop itself (weakly, so an id is never recycled): an
  aiobotocore client and its aiohttp connector belong to the loop that created them and must
  never be used from another loop or thread.
- Everything that blocks runs in a worker thread before the client is built in the loop:
  reading the Airflow connection, assuming a role (STS), and parsing botocore's SageMaker
  service model (about 0.3 s of JSON that aiobotocore would otherwise load inside the loop).
- Credentials from an assumed role are refreshable; a long-lived shared client keeps them, and
  their refresh (a blocking STS call made by AwsBaseHook) is moved to a worker thread too.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from airflow_sm_provider.hooks.sagemaker import SageMakerHook

SERVICE = "sagemaker"
LOGS = "logs"


@dataclass
class _Entry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0
    client: Any = None
    stack: contextlib.AsyncExitStack | None = None


_Key = tuple[str | None, str | None, str]
_entries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[_Key, _Entry]] = (
    weakref.WeakKeyDictionary()
)
_session_key: contextvars.ContextVar[tuple[str | None, str | None]] = contextvars.ContextVar(
    "_session_key", default=(None, None)
)
#: The session behind a (connection, region)'s clients, kept while any of them is open.
_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str | None, str | None], Any]] = (
    weakref.WeakKeyDictionary()
)


def _prepare(hook: SageMakerHook, service: str = SERVICE, session: Any = None) -> tuple[Any, dict[str, Any]]:
    """The blocking half of making a client, run in a worker thread."""
    if session is None:
        session = hook.get_session(region_name=hook.region_name, deferrable=True)
        credentials = getattr(session, "_credentials", None)
        if credentials is not None:
            refresh_off_loop(credentials)
    session.warm_up_loader_caches(service)
    options = {
        "endpoint_url": hook.conn_config.get_service_endpoint_url(service_name=service),
        "config": hook.config,
        "verify": hook.verify,
    }
    return session, options


def refresh_off_loop(credentials: Any) -> None:
    """Make refreshable credentials run their (blocking) refresh function in a worker thread."""
    refresh: Callable[[], Any] | None = getattr(credentials, "_refresh_using", None)
    if refresh is None or asyncio.iscoroutinefunction(refresh) or getattr(refresh, "_off_loop", False):
        return

    async def refresh_in_thread() -> Any:
        return await sync_to_async(refresh, thread_sensitive=False)()

    refresh_in_thread._off_loop = True  # type: ignore[attr-defined]
    credentials._refresh_using = refresh_in_thread


async def _open(hook: SageMakerHook, service: str = SERVICE) -> tuple[Any, contextlib.AsyncExitStack]:
    sessions = _sessions.setdefault(asyncio.get_running_loop(), {})
    key = _session_key.get()  # not hook.region_name: that reads the connection, a blocking call
    # asgiref's worker thread, not asyncio.to_thread: reading the connection there may call back
    # into the triggerer's loop (Airflow 3.1's trigger runner sends its requests to the supervisor
    # with async_to_sync, whose lock must stay bound to this loop), which asgiref routes here
    prepare = sync_to_async(_prepare, thread_sensitive=False)
    session, options = await prepare(hook, service, sessions.get(key))
    sessions[key] = session
    stack = contextlib.AsyncExitStack()
    client = await stack.enter_async_context(session.create_client(service, **options))
    return client, stack


@contextlib.asynccontextmanager
async def shared_client(
    aws_conn_id: str | None, region_name: str | None, service: str = SERVICE
) -> AsyncIterator[Any]:
    """Borrow the shared client of ``service`` for this loop, connection and region."""
    from airflow_sm_provider.hooks.sagemaker import SageMakerHook

    loop = asyncio.get_running_loop()
    per_loop = _entries.setdefault(loop, {})
    key = (aws_conn_id, region_name, service)
    entry = per_loop.setdefault(key, _Entry())
    entry.users += 1
    try:
        async with entry.lock:
            if entry.client is None:
                hook = SageMakerHook(aws_conn_id=aws_conn_id, region_name=region_name)
                _session_key.set(key[:2])
                # the SageMaker client is opened as it always was (tests replace _open with one argument)
                opened = _open(hook) if service == SERVICE else _open(hook, service)
                entry.client, entry.stack = await opened
        yield entry.client
    finally:
        entry.users -= 1
        if entry.users == 0:
            if per_loop.get(key) is entry:
                del per_loop[key]
            if entry.stack is not None:
                stack, entry.stack, entry.client = entry.stack, None, None
                await stack.aclose()
            if not any(k[:2] == key[:2] for k in per_loop):  # the last client of this session closed
                _sessions.get(loop, {}).pop(key[:2], None)


def open_clients() -> int:
    """Number of clients currently open in this process (for tests and benchmarks)."""
    return sum(
        1 for per_loop in list(_entries.values()) for entry in per_loop.values() if entry.client is not None
    )
