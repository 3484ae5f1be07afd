"""One aiobotocore SageMaker client per (event loop, connection, region), shared by triggers.

A triggerer runs hundreds of triggers in one event loop. Giving each its own aiobotocore session
and client costs a TCP connection, ~2 MB and a blocking service-model load apiece. Here triggers
borrow a client with :func:`shared_client`; the first borrower creates it, the last one to leave
closes it.

The key includes the running event loop: an aiobotocore client (its aiohttp connector) is bound
to the loop it was created in and must never be used from another loop or thread. Credentials
come from AwsBaseHook's session factory, which gives assumed-role sessions refreshable
credentials, so a long-lived shared client keeps working after the first credentials expire.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from airflow_sm_provider.hooks.sagemaker import SageMakerHook


@dataclass
class _Entry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0
    client: Any = None
    stack: contextlib.AsyncExitStack | None = None


_entries: dict[tuple[int, str | None, str | None], _Entry] = {}
#: How many clients this process created; benchmarks and tests read it.
created_count = 0


def _key(aws_conn_id: str | None, region_name: str | None) -> tuple[int, str | None, str | None]:
    return (id(asyncio.get_running_loop()), aws_conn_id, region_name)


async def _open(hook: SageMakerHook) -> tuple[Any, contextlib.AsyncExitStack]:
    global created_count
    creator = await hook.get_async_conn()  # reads the connection in a thread
    stack = contextlib.AsyncExitStack()
    client = await stack.enter_async_context(creator)
    created_count += 1
    return client, stack


@contextlib.asynccontextmanager
async def shared_client(aws_conn_id: str | None, region_name: str | None) -> AsyncIterator[Any]:
    """Borrow the shared client for this loop, connection and region."""
    from airflow_sm_provider.hooks.sagemaker import SageMakerHook

    key = _key(aws_conn_id, region_name)
    entry = _entries.setdefault(key, _Entry())
    entry.users += 1
    try:
        async with entry.lock:
            if entry.client is None:
                entry.client, entry.stack = await _open(SageMakerHook(aws_conn_id=aws_conn_id, region_name=region_name))
        yield entry.client
    finally:
        entry.users -= 1
        if entry.users == 0:
            _entries.pop(key, None)
            if entry.stack is not None:
                stack, entry.stack, entry.client = entry.stack, None, None
                await stack.aclose()


def open_clients() -> int:
    """Number of clients currently open in this process (for tests and benchmarks)."""
    return sum(1 for entry in _entries.values() if entry.client is not None)
