"""Filters, sorting and pagination tokens of the List* operations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from airflow_sm_provider.local import listing
from airflow_sm_provider.local.errors import ValidationError

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def test_pages_cover_every_item_once():
    items = list(range(23))
    seen, request = [], {"MaxResults": 10}
    while True:
        page, token = listing.paginate(items, request)
        seen += page
        if token is None:
            break
        request = {"MaxResults": 10, "NextToken": token}
    assert seen == items


def test_default_and_maximum_page_sizes():
    assert len(listing.paginate(list(range(500)), {})[0]) == 10
    assert len(listing.paginate(list(range(500)), {"MaxResults": 1000})[0]) == 100


@pytest.mark.parametrize("token", ["garbage", "e30=", listing.encode_token(0)[:-2] + "x"])
def test_malformed_tokens_are_validation_errors(token):
    with pytest.raises(ValidationError, match="NextToken"):
        listing.paginate([1, 2], {"NextToken": token})


def test_time_window_bounds_are_exclusive():
    accept = listing.time_window(
        {"CreationTimeAfter": T0, "CreationTimeBefore": T0 + timedelta(seconds=2)}, "CreationTime"
    )
    assert [accept(T0 + timedelta(seconds=s)) for s in range(3)] == [False, True, False]
    assert listing.time_window({}, "CreationTime")(None)


def test_sort_by_key_and_order():
    items = [{"Name": "b", "CreationTime": T0}, {"Name": "a", "CreationTime": T0 + timedelta(1)}]
    keys = {"Name": lambda i: i["Name"], "CreationTime": lambda i: i["CreationTime"]}
    assert [i["Name"] for i in listing.sort(items, keys, {})] == ["b", "a"]
    assert [i["Name"] for i in listing.sort(items, keys, {"SortBy": "Name"})] == ["a", "b"]
    assert [i["Name"] for i in listing.sort(items, keys, {"SortOrder": "Descending"})] == ["a", "b"]
