"""Time as the local backend keeps it: timezone-aware UTC datetimes in memory.

The training and model tables store epoch seconds (:func:`to_epoch` / :func:`from_epoch`); the
tuning tables store ISO strings (see ``tuning/records.py``). Both read back as aware datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

__all__ = ["as_datetime", "from_epoch", "to_epoch", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def from_epoch(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def as_datetime(value: Any) -> datetime:
    """A request timestamp (datetime, epoch seconds or ISO string) as an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC)
    return as_datetime(datetime.fromisoformat(str(value)))
