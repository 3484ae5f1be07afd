"""Filtering, sorting and ``NextToken`` pagination: one implementation for every List* operation.

SageMaker's rules, from botocore's service model (``MaxResults`` ranges) and the API reference
(defaults)::

    operation                                    MaxResults  page when omitted
    ListTrainingJobs                             1..100      10 (the service's; undocumented)
    ListHyperParameterTuningJobs                 1..100      10 (documented)
    ListTrainingJobsForHyperParameterTuningJob   1..100      10 (documented)
    ListModelPackageGroups                       1..100      10 (the service's; undocumented)
    ListModelPackages                            1..100      10 (the service's; undocumented)
    ListTags                                     50..        50 (a resource has at most 50 tags)

A ``MaxResults`` outside its range is a ValidationException, as the service answers (botocore's
client-side validator checks only the minimum, so a client can send 1000). ``NameContains``
matches case-insensitively, as the service does. The ``...After`` / ``...Before`` time filters
are exclusive. Sorting is stable, so ties keep creation order.

Tokens are opaque to clients: base64 of ``{"offset": n}`` into the filtered, sorted result, so a
caller paging with the same filters gets every item exactly once while the set does not change.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from airflow_sm_provider.local.errors import ValidationError
from airflow_sm_provider.local.times import as_datetime

__all__ = [
    "PAGE_SIZES",
    "PageSize",
    "decode_token",
    "encode_token",
    "filter_by",
    "next_token",
    "page",
    "sort",
    "time_window",
]

T = TypeVar("T")


@dataclass(frozen=True)
class PageSize:
    """One operation's ``MaxResults`` rule: its range and the page size when it is omitted."""

    default: int
    minimum: int = 1
    maximum: int | None = 100

    def of(self, request: Mapping[str, Any]) -> int:
        size = request.get("MaxResults")
        if size is None:
            return self.default
        if size < self.minimum:
            raise _range_error(size, f"greater than or equal to {self.minimum}")
        if self.maximum is not None and size > self.maximum:
            raise _range_error(size, f"less than or equal to {self.maximum}")
        return int(size)


PAGE_SIZES: dict[str, PageSize] = {
    "ListTrainingJobs": PageSize(default=10),
    "ListHyperParameterTuningJobs": PageSize(default=10),
    "ListTrainingJobsForHyperParameterTuningJob": PageSize(default=10),
    "ListModelPackageGroups": PageSize(default=10),
    "ListModelPackages": PageSize(default=10),
    "ListTags": PageSize(default=50, minimum=50, maximum=None),
}


def _range_error(size: int, bound: str) -> ValidationError:
    return ValidationError(
        f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy "
        f"constraint: Member must have value {bound}"
    )


def time_window(request: Mapping[str, Any], field: str) -> Callable[[datetime | None], bool]:
    """A predicate for the ``<field>After`` / ``<field>Before`` filters (both exclusive)."""
    after, before = request.get(f"{field}After"), request.get(f"{field}Before")
    after = None if after is None else as_datetime(after)
    before = None if before is None else as_datetime(before)

    def accept(value: datetime | None) -> bool:
        if value is None:
            return after is None and before is None
        return (after is None or value > after) and (before is None or value < before)

    return accept


def filter_by(
    items: Iterable[T],
    request: Mapping[str, Any],
    *,
    name: Callable[[T], str] | None = None,
    status: Callable[[T], str] | None = None,
    created: Callable[[T], datetime | None] | None = None,
    modified: Callable[[T], datetime | None] | None = None,
) -> list[T]:
    """The items the request's ``NameContains``, ``StatusEquals`` and time filters accept.

    Each accessor reads one field of an item; a filter whose accessor is not given is not one
    the operation has (botocore's validation has already refused it).
    """
    tests: list[Callable[[T], bool]] = []
    contains = (request.get("NameContains") or "").lower()
    if name is not None and contains:
        tests.append(lambda item: contains in name(item).lower())
    wanted = request.get("StatusEquals")
    if status is not None and wanted:
        tests.append(lambda item: status(item) == wanted)
    if created is not None:
        in_created = time_window(request, "CreationTime")
        tests.append(lambda item: in_created(created(item)))
    if modified is not None:
        in_modified = time_window(request, "LastModifiedTime")
        tests.append(lambda item: in_modified(modified(item)))
    return [item for item in items if all(test(item) for test in tests)]


def sort(
    items: Iterable[T],
    keys: Mapping[str, Callable[[T], Any]],
    request: Mapping[str, Any],
    *,
    default: str,
) -> list[T]:
    """Sort by ``SortBy`` (one of ``keys``; ``default`` when omitted) and ``SortOrder``
    (Ascending when omitted); ties keep the order ``items`` came in."""
    key = keys[request.get("SortBy") or default]
    descending = request.get("SortOrder") == "Descending"
    return sorted(items, key=key, reverse=descending)


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


def page(items: Sequence[T], request: Mapping[str, Any], operation: str) -> tuple[list[T], str | None]:
    """One page of ``items`` per ``MaxResults`` (see :data:`PAGE_SIZES`) and ``NextToken``;
    the token for the next page, None on the last one."""
    size = PAGE_SIZES[operation].of(request)
    start = decode_token(request.get("NextToken"))
    end = start + size
    return list(items[start:end]), encode_token(end) if end < len(items) else None


def next_token(token: str | None) -> dict[str, str]:
    """The response's ``NextToken`` member: present only when there is a next page."""
    return {"NextToken": token} if token else {}
