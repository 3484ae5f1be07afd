"""One aiobotocore SageMaker client per (event loop, connection, region), shared by triggers.

A triggerer runs hundreds of triggers in one event loop. Giving each its own aiobotocore session
and client costs a TCP connection, ~2 MB and a blocking service-model load apiece. Here triggers
(through :mod:`airflow_sm_provider.triggers.poller`) borrow a client with :func:`shared_client`;
the first borrower creates it, the last one to leave closes it. The endpoint comes from the
connection, so (connection, region) also fixes the endpoint.

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
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from airflow_sm_provider.hooks.sagemaker import SageMakerHook

SERVICE = "sagemaker"


@dataclass
class _Entry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0
    client: Any = None
    stack: contextlib.AsyncExitStack | None = None


_Key = tuple[str | None, str | None]
_entries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[_Key, _Entry]] = (
    weakref.WeakKeyDictionary()
)


def _prepare(hook: SageMakerHook) -> tuple[Any, dict[str, Any]]:
    """The blocking half of making a client, run in a worker thread."""
    session = hook.get_session(region_name=hook.region_name, deferrable=True)
    session.warm_up_loader_caches(SERVICE)
    credentials = getattr(session, "_credentials", None)
    if credentials is not None:
        refresh_off_loop(credentials)
    options = {
        "endpoint_url": hook.conn_config.get_service_endpoint_url(service_name=SERVICE),
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
        return await asyncio.to_thread(refresh)

    refresh_in_thread._off_loop = True  # type: ignore[attr-defined]
    credentials._refresh_using = refresh_in_thread


async def _open(hook: SageMakerHook) -> tuple[Any, contextlib.AsyncExitStack]:
    session, options = await asyncio.to_thread(_prepare, hook)
    stack = contextlib.AsyncExitStack()
    client = await stack.enter_async_context(session.create_client(SERVICE, **options))
    return client, stack


@contextlib.asynccontextmanager
async def shared_client(aws_conn_id: str | None, region_name: str | None) -> AsyncIterator[Any]:
    """Borrow the shared client for this loop, connection and region."""
    from airflow_sm_provider.hooks.sagemaker import SageMakerHook

    per_loop = _entries.setdefault(asyncio.get_running_loop(), {})
    key = (aws_conn_id, region_name)
    entry = per_loop.setdefault(key, _Entry())
    entry.users += 1
    try:
        async with entry.lock:
            if entry.client is None:
                hook = SageMakerHook(aws_conn_id=aws_conn_id, region_name=region_name)
                entry.client, entry.stack = await _open(hook)
        yield entry.client
    finally:
        entry.users -= 1
        if entry.users == 0:
            if per_loop.get(key) is entry:
                del per_loop[key]
            if entry.stack is not None:
                stack, entry.stack, entry.client = entry.stack, None, None
                await stack.aclose()


def open_clients() -> int:
    """Number of clients currently open in this process (for tests and benchmarks)."""
    return sum(
        1 for per_loop in list(_entries.values()) for entry in per_loop.values() if entry.client is not None
    )
