"""Filtering, sorting and ``NextToken`` pagination shared by the List* operations.

Tokens are opaque to clients: a base64 offset into the filtered, sorted result, so a caller
paging with the same filters gets every item exactly once while the set does not change.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from airflow_sm_provider.local.errors import ValidationError


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError) as err:
        raise ValidationError(f"Invalid pagination token: NextToken {token!r}") from err
    if not isinstance(offset, int) or offset < 0:
        raise ValidationError(f"Invalid pagination token: NextToken {token!r}")
    return offset


def paginate(
    items: list[Any], request: dict[str, Any], default_max: int = 10, limit: int = 100
) -> tuple[list[Any], str | None]:
    """One page of ``items`` per ``MaxResults`` / ``NextToken``; the token for the next page."""
    size = min(request.get("MaxResults") or default_max, limit)
    start = decode_token(request.get("NextToken"))
    page = items[start : start + size]
    return page, encode_token(start + size) if start + size < len(items) else None


def time_window(request: dict[str, Any], field: str) -> Callable[[datetime | None], bool]:
    """A predicate for the ``<field>After`` / ``<field>Before`` filters (both exclusive)."""
    after, before = request.get(f"{field}After"), request.get(f"{field}Before")

    def accept(value: datetime | None) -> bool:
        if value is None:
            return after is None and before is None
        return (after is None or value > after) and (before is None or value < before)

    return accept


def sort(
    items: Iterable[dict[str, Any]],
    keys: dict[str, Callable[[dict[str, Any]], Any]],
    request: dict[str, Any],
    default: str = "CreationTime",
    default_order: str = "Ascending",
) -> list[dict[str, Any]]:
    """Sort by ``SortBy`` (one of ``keys``), ``SortOrder``; ties broken by creation order."""
    key = keys[request.get("SortBy") or default]
    descending = (request.get("SortOrder") or default_order) == "Descending"
    return sorted(items, key=key, reverse=descending)
