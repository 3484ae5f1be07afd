"""Which poller a trigger joins: one :class:`~airflow_sm_provider.triggers.poller.JobPoller` per
(event loop, connection, region, job kind), and for training output one
:class:`~airflow_sm_provider.triggers.log_poller.LogPoller` per (event loop, connection, region),
each created by its first watcher and stopped when the last one leaves.

Keyed by the running loop (weakly, so a closed loop's pollers go with it): a poller owns an
aiobotocore client, which must never be used from another loop or thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import TYPE_CHECKING, Any

from airflow_sm_provider.triggers.log_poller import LogPoller, LogWatch
from airflow_sm_provider.triggers.poller import JobPoller, Watch

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from airflow_sm_provider.jobs import JobKind
    from airflow_sm_provider.logtail import LogCursor

_pollers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[Any, ...], JobPoller]] = (
    weakref.WeakKeyDictionary()
)
_log_pollers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[Any, ...], LogPoller]] = (
    weakref.WeakKeyDictionary()
)


def pollers() -> list[JobPoller]:
    """The pollers of the running loop (for tests and benchmarks)."""
    return list(_pollers.get(asyncio.get_running_loop(), {}).values())


@contextlib.asynccontextmanager
async def watch(
    kind: JobKind, aws_conn_id: str | None, region_name: str | None, job_name: str, poll_interval: float
) -> AsyncIterator[Watch]:
    """Watch one job through the shared poller of this loop; leave it on exit."""
    per_loop = _pollers.setdefault(asyncio.get_running_loop(), {})
    key = (kind.name, aws_conn_id, region_name)
    poller = per_loop.get(key)
    if poller is None or not poller.running:
        poller = per_loop[key] = JobPoller(kind, aws_conn_id, region_name)
        poller.start()
    subscription = Watch(job_name, poll_interval)

    async def leave() -> None:
        poller.remove(subscription)
        if not poller.jobs:
            if per_loop.get(key) is poller:
                del per_loop[key]
            await poller.stop()

    subscription._leave = leave
    poller.add(subscription)
    try:
        yield subscription
    finally:
        await subscription.leave()


def log_pollers() -> list[LogPoller]:
    """The log pollers of the running loop (for tests and benchmarks)."""
    return list(_log_pollers.get(asyncio.get_running_loop(), {}).values())


@contextlib.asynccontextmanager
async def watch_logs(
    aws_conn_id: str | None,
    region_name: str | None,
    cursor: LogCursor,
    updates: asyncio.Queue[Any],
    poll_interval: float,
) -> AsyncIterator[LogWatch]:
    """Have one job's output put on ``updates`` by the shared log poller of this loop."""
    per_loop = _log_pollers.setdefault(asyncio.get_running_loop(), {})
    key = (aws_conn_id, region_name)
    poller = per_loop.get(key)
    if poller is None or not poller.running:
        poller = per_loop[key] = LogPoller(aws_conn_id, region_name)
        poller.start()
    subscription = LogWatch(cursor, poll_interval, updates)

    async def leave() -> None:
        poller.remove(subscription)
        if not poller.watches:
            if per_loop.get(key) is poller:
                del per_loop[key]
            await poller.stop()

    subscription._leave = leave
    poller.add(subscription)
    try:
        yield subscription
    finally:
        await subscription.leave()
