"""Small readers of aiobotocore calls and responses used by the poller."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any


def page_args(token: str | None) -> dict[str, str]:
    return {"NextToken": token} if token else {}


def server_time(response: dict[str, Any]) -> datetime:
    """When the service answered, by its own clock (the ``Date`` header); ours if it gave none.

    Sweeps compare this with SageMaker's ``LastModifiedTime``, so the service's clock is the one
    that matters: a triggerer whose clock is off would otherwise miss changes.
    """
    headers = (response.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}
    date = headers.get("date")
    if date:
        try:
            parsed = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)
