"""Filters, sorting and pagination of the List* operations: one implementation, SageMaker's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import botocore.session
import pytest

from airflow_sm_provider.local import listing
from airflow_sm_provider.local.errors import ValidationError
from airflow_sm_provider.local.handlers import HANDLERS

T0 = datetime(2024, 1, 1, tzinfo=UTC)
LIST_OPERATIONS = sorted(name for name in HANDLERS if name.startswith("List"))
HUNDRED_MAX = [op for op in LIST_OPERATIONS if op != "ListTags"]


def _max_results_shape(operation: str):
    model = botocore.session.get_session().get_service_model("sagemaker")
    return model.operation_model(operation).input_shape.members["MaxResults"]


@pytest.mark.parametrize("operation", LIST_OPERATIONS)
def test_every_list_operation_pages_with_the_service_models_max_results_range(operation):
    rule = listing.PAGE_SIZES[operation]
    metadata = _max_results_shape(operation).metadata
    assert (rule.minimum, rule.maximum) == (metadata.get("min"), metadata.get("max"))
    assert rule.minimum <= rule.default and (rule.maximum is None or rule.default <= rule.maximum)


@pytest.mark.parametrize("operation", LIST_OPERATIONS)
def test_pages_cover_every_item_once(operation):
    items = list(range(123))
    size = listing.PAGE_SIZES[operation].minimum + 2
    seen, request = [], {"MaxResults": size}
    while True:
        page, token = listing.page(items, request, operation)
        seen += page
        if token is None:
            break
        request = {"MaxResults": size, "NextToken": token}
    assert seen == items


@pytest.mark.parametrize(("operation", "default"), [(op, 10) for op in HUNDRED_MAX] + [("ListTags", 50)])
def test_default_page_sizes(operation, default):
    page, token = listing.page(list(range(500)), {}, operation)
    assert len(page) == default and token is not None


@pytest.mark.parametrize("operation", HUNDRED_MAX)
def test_max_results_above_100_is_a_validation_error_not_a_silent_cap(operation):
    assert len(listing.page(list(range(500)), {"MaxResults": 100}, operation)[0]) == 100
    with pytest.raises(ValidationError, match="less than or equal to 100"):
        listing.page(list(range(500)), {"MaxResults": 101}, operation)


def test_list_tags_takes_at_least_50_and_has_no_maximum():
    assert len(listing.page(list(range(500)), {"MaxResults": 300}, "ListTags")[0]) == 300
    with pytest.raises(ValidationError, match="greater than or equal to 50"):
        listing.page([1], {"MaxResults": 49}, "ListTags")


@pytest.mark.parametrize("token", ["garbage", "e30=", "MTA=", listing.encode_token(0)[:-2] + "x"])
def test_malformed_tokens_are_validation_errors(token):
    # "MTA=" is base64 of "10": the token format the tuning List operations used to issue
    with pytest.raises(ValidationError, match="NextToken"):
        listing.page([1, 2], {"NextToken": token}, "ListTrainingJobs")


def test_next_token_member_only_when_there_is_a_next_page():
    assert listing.next_token(None) == {}
    assert listing.next_token("t") == {"NextToken": "t"}


def test_time_window_bounds_are_exclusive():
    accept = listing.time_window(
        {"CreationTimeAfter": T0, "CreationTimeBefore": T0 + timedelta(seconds=2)}, "CreationTime"
    )
    assert [accept(T0 + timedelta(seconds=s)) for s in range(3)] == [False, True, False]
    assert listing.time_window({}, "CreationTime")(None)
    assert not listing.time_window({"CreationTimeAfter": T0}, "CreationTime")(None)


def test_time_window_takes_epoch_seconds_and_naive_datetimes_as_utc():
    epoch = listing.time_window({"CreationTimeAfter": T0.timestamp()}, "CreationTime")
    naive = listing.time_window({"CreationTimeAfter": T0.replace(tzinfo=None)}, "CreationTime")
    later = T0 + timedelta(seconds=1)
    assert epoch(later) and naive(later) and not epoch(T0) and not naive(T0)


ITEMS = [
    {"Name": "Train-Alpha", "Status": "Completed", "Created": T0, "Modified": T0 + timedelta(5)},
    {"Name": "train-beta", "Status": "Failed", "Created": T0 + timedelta(1), "Modified": T0 + timedelta(1)},
    {"Name": "other", "Status": "Completed", "Created": T0 + timedelta(2), "Modified": T0 + timedelta(2)},
]


def _names(request, **accessors):
    return [i["Name"] for i in listing.filter_by(ITEMS, request, **accessors)]


def test_name_contains_ignores_case_as_sagemaker_does():
    by_name = {"name": lambda i: i["Name"]}
    assert _names({"NameContains": "TRAIN"}, **by_name) == ["Train-Alpha", "train-beta"]
    assert _names({"NameContains": "alpha"}, **by_name) == ["Train-Alpha"]
    assert _names({"NameContains": ""}, **by_name) == ["Train-Alpha", "train-beta", "other"]


def test_filters_combine_and_each_reads_its_own_field():
    accessors = {
        "name": lambda i: i["Name"],
        "status": lambda i: i["Status"],
        "created": lambda i: i["Created"],
        "modified": lambda i: i["Modified"],
    }
    assert _names({"StatusEquals": "Completed"}, **accessors) == ["Train-Alpha", "other"]
    assert _names({"StatusEquals": "Completed", "NameContains": "train"}, **accessors) == ["Train-Alpha"]
    assert _names({"CreationTimeAfter": T0}, **accessors) == ["train-beta", "other"]
    assert _names({"LastModifiedTimeAfter": T0 + timedelta(3)}, **accessors) == ["Train-Alpha"]


def test_a_filter_the_operation_does_not_have_is_not_applied():
    assert _names({"NameContains": "zzz"}, status=lambda i: i["Status"]) == [i["Name"] for i in ITEMS]


def test_sort_by_key_and_order_with_stable_ties():
    keys = {"Name": lambda i: i["Name"].lower(), "Status": lambda i: i["Status"]}
    assert [i["Name"] for i in listing.sort(ITEMS, keys, {}, default="Name")] == [
        "other",
        "Train-Alpha",
        "train-beta",
    ]
    by_status = listing.sort(ITEMS, keys, {"SortBy": "Status", "SortOrder": "Descending"}, default="Name")
    assert [i["Name"] for i in by_status] == ["train-beta", "Train-Alpha", "other"]
