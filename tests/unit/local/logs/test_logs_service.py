"""The Logs operations over journals with known times; every response checked against botocore's
``logs`` output shape."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from airflow_sm_provider.local.errors import ValidationError
from airflow_sm_provider.local.logs import service as logs_service
from airflow_sm_provider.local.logs.errors import InvalidParameter, LogResourceNotFound
from airflow_sm_provider.local.logs.journal import path_for
from airflow_sm_provider.local.logs.service import LogsService
from airflow_sm_provider.local.logs.streams import TRAINING_GROUP, Streams

MODEL = botocore.session.get_session().get_service_model("logs")
CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
EPOCH = int(CREATED.timestamp())
GROUP = {"logGroupName": TRAINING_GROUP}


def checked(operation: str, response: dict[str, Any]) -> dict[str, Any]:
    report = ParamValidator().validate(response, MODEL.operation_model(operation).output_shape)
    assert not report.has_errors(), report.generate_report()
    return response


class Jobs:
    """Training jobs as the Logs service sees them: descriptions, and journals under jobs_dir."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.described: dict[str, dict[str, Any]] = {}

    def add(self, name: str, hosts: dict[int, list[tuple[int, str]]], count: int | None = None) -> None:
        count = count or len(hosts)
        self.described[name] = {
            "TrainingJobName": name,
            "CreationTime": CREATED,
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": count},
        }
        for number, records in hosts.items():
            root = self.root / name if count == 1 else self.root / name / f"algo-{number}"
            root.mkdir(parents=True, exist_ok=True)
            path_for(root).write_bytes(b"".join(b"%d\t%s\n" % (t, m.encode()) for t, m in records))

    def describe(self, name: str) -> dict[str, Any]:
        if name not in self.described:
            raise ValidationError("Requested resource not found.")
        return self.described[name]

    def list(self, request: dict[str, Any]) -> dict[str, Any]:
        names = [n for n in self.described if (request.get("NameContains") or "").lower() in n.lower()]
        return {"TrainingJobSummaries": [{"TrainingJobName": n} for n in names]}


@pytest.fixture
def jobs(tmp_path: Path) -> Jobs:
    return Jobs(tmp_path / "jobs")


@pytest.fixture
def logs(jobs: Jobs) -> LogsService:
    return LogsService(Streams(jobs.root, jobs.describe, jobs.list), "000000000000")


def stream(job: str, host: int = 1) -> str:
    return f"{job}/algo-{host}-{EPOCH}"


def messages(response: dict[str, Any]) -> list[str]:
    return [e["message"] for e in response["events"]]


# DescribeLogStreams ------------------------------------------------------------------------------
def test_streams_are_named_per_instance_as_sagemaker_names_them(jobs, logs):
    jobs.add("train", {1: [(10, "a")], 2: [(20, "b")]})
    response = checked(
        "DescribeLogStreams",
        logs.describe_log_streams({**GROUP, "logStreamNamePrefix": "train/"}, "eu-west-1"),
    )
    assert [s["logStreamName"] for s in response["logStreams"]] == [stream("train", 1), stream("train", 2)]
    first = response["logStreams"][0]
    assert first["creationTime"] == EPOCH * 1000
    assert (first["firstEventTimestamp"], first["lastEventTimestamp"], first["lastIngestionTime"]) == (
        10,
        10,
        10,
    )
    assert first["arn"].startswith(
        "arn:aws:logs:eu-west-1:000000000000:log-group:/aws/sagemaker/TrainingJobs:"
    )


def test_a_stream_exists_once_its_host_started_even_before_any_output(jobs, logs):
    jobs.add("quiet", {1: []}, count=2)  # algo-2 has not started: no journal
    response = logs.describe_log_streams({**GROUP, "logStreamNamePrefix": "quiet/"}, "us-east-1")
    (only,) = checked("DescribeLogStreams", response)["logStreams"]
    assert only["logStreamName"] == stream("quiet", 1) and "lastEventTimestamp" not in only


def test_stream_prefixes_match_names_not_substrings(jobs, logs):
    for name in ("abc", "abcd", "xabc"):
        jobs.add(name, {1: [(1, "x")]})
    names = [
        s["logStreamName"]
        for s in logs.describe_log_streams({**GROUP, "logStreamNamePrefix": "abc"}, "r")["logStreams"]
    ]
    assert names == [stream("abc"), stream("abcd")]


def test_stream_listing_pages_and_orders(jobs, logs):
    for i in range(5):
        jobs.add(f"job-{i}", {1: [(i, "x")]})
    seen, token = [], None
    while True:
        request = {**GROUP, "limit": 2, "descending": True, **({"nextToken": token} if token else {})}
        page = checked("DescribeLogStreams", logs.describe_log_streams(request, "r"))
        seen += [s["logStreamName"] for s in page["logStreams"]]
        token = page.get("nextToken")
        if token is None:
            break
    assert seen == [stream(f"job-{i}") for i in reversed(range(5))]
    by_time = logs.describe_log_streams({**GROUP, "orderBy": "LastEventTime"}, "r")["logStreams"]
    assert len(by_time) == 5


def test_last_event_time_order_refuses_a_prefix_and_other_groups_do_not_exist(logs):
    with pytest.raises(InvalidParameter):
        logs.describe_log_streams({**GROUP, "orderBy": "LastEventTime", "logStreamNamePrefix": "a"}, "r")
    with pytest.raises(LogResourceNotFound):
        logs.describe_log_streams({"logGroupName": "/aws/lambda/x"}, "r")


# GetLogEvents ------------------------------------------------------------------------------------
def test_forward_reading_ends_with_the_same_token_when_nothing_is_new(jobs, logs):
    jobs.add("j", {1: [(1, "one"), (2, "two")]})
    request = {**GROUP, "logStreamName": stream("j"), "startFromHead": True}
    first = checked("GetLogEvents", logs.get_log_events(request))
    assert messages(first) == ["one", "two"]
    again = checked("GetLogEvents", logs.get_log_events({**request, "nextToken": first["nextForwardToken"]}))
    assert messages(again) == [] and again["nextForwardToken"] == first["nextForwardToken"]
    # a line arrives: the same token now returns it, then the rule holds again
    with open(path_for(jobs.root / "j"), "ab") as journal:
        journal.write(b"3\tthree\n")
    more = logs.get_log_events({**request, "nextToken": first["nextForwardToken"]})
    assert messages(more) == ["three"] and more["nextForwardToken"] != first["nextForwardToken"]


def test_without_start_from_head_the_latest_events_come_first_and_backward_tokens_page_back(jobs, logs):
    jobs.add("j", {1: [(i, f"m{i}") for i in range(10)]})
    request = {**GROUP, "logStreamName": stream("j"), "limit": 4}
    latest = checked("GetLogEvents", logs.get_log_events(request))
    assert messages(latest) == ["m6", "m7", "m8", "m9"]
    older = logs.get_log_events({**request, "nextToken": latest["nextBackwardToken"]})
    assert messages(older) == ["m2", "m3", "m4", "m5"]
    oldest = logs.get_log_events({**request, "nextToken": older["nextBackwardToken"]})
    assert messages(oldest) == ["m0", "m1"]
    end = logs.get_log_events({**request, "nextToken": oldest["nextBackwardToken"]})
    assert messages(end) == [] and end["nextBackwardToken"] == oldest["nextBackwardToken"]


def test_start_and_end_time_bound_events_end_exclusive(jobs, logs):
    jobs.add("j", {1: [(t, f"t{t}") for t in (10, 20, 20, 30, 40)]})
    request = {**GROUP, "logStreamName": stream("j"), "startTime": 20, "endTime": 40}
    assert messages(logs.get_log_events({**request, "startFromHead": True})) == ["t20", "t20", "t30"]
    assert messages(logs.get_log_events(request)) == ["t20", "t20", "t30"]


def test_a_page_stops_at_the_limit_and_at_one_megabyte(jobs, logs, monkeypatch):
    jobs.add("j", {1: [(i, "x" * 100) for i in range(50)]})
    request = {**GROUP, "logStreamName": stream("j"), "startFromHead": True}
    assert len(logs.get_log_events({**request, "limit": 7})["events"]) == 7
    monkeypatch.setattr(logs_service, "MAX_PAGE_BYTES", 1260)  # ten events of 100 bytes + 26
    page = logs.get_log_events(request)
    assert len(page["events"]) == 10
    rest = logs.get_log_events({**request, "nextToken": page["nextForwardToken"]})
    assert len(rest["events"]) == 10 and rest["events"][0]["timestamp"] == 10


def test_default_and_most_events_per_page_are_cloudwatchs():
    assert (logs_service.MAX_EVENTS, logs_service.MAX_PAGE_BYTES) == (10_000, 1_048_576)


@pytest.mark.parametrize("token", ["garbage", "f/1", "x/0", "f/999999"])
def test_a_token_not_at_a_record_of_this_stream_is_refused(jobs, logs, token):
    jobs.add("j", {1: [(1, "one"), (2, "two")]})
    with pytest.raises(InvalidParameter):
        logs.get_log_events({**GROUP, "logStreamName": stream("j"), "nextToken": token})


def test_an_unknown_stream_is_not_found(jobs, logs):
    jobs.add("j", {1: [(1, "one")]})
    for name in ("j/algo-2-1", "missing/algo-1-1", stream("j", 1) + "x"):
        with pytest.raises(LogResourceNotFound):
            logs.get_log_events({**GROUP, "logStreamName": name})


# FilterLogEvents ---------------------------------------------------------------------------------
def test_filter_interleaves_streams_by_time_and_names_each_event_stream(jobs, logs):
    jobs.add("j", {1: [(1, "a1"), (3, "a3"), (5, "a5")], 2: [(2, "b2"), (4, "b4")]})
    response = checked("FilterLogEvents", logs.filter_log_events({**GROUP, "logStreamNamePrefix": "j/"}))
    assert messages(response) == ["a1", "b2", "a3", "b4", "a5"]
    assert response["events"][1]["logStreamName"] == stream("j", 2)
    assert len({e["eventId"] for e in response["events"]}) == 5
    assert (
        all(s["searchedCompletely"] for s in response["searchedLogStreams"]) and "nextToken" not in response
    )


def test_filter_pages_through_every_event_exactly_once(jobs, logs):
    jobs.add("j", {1: [(t, f"a{t}") for t in range(0, 60, 2)], 2: [(t, f"b{t}") for t in range(1, 60, 2)]})
    seen, token = [], None
    while True:
        request = {**GROUP, "logStreamNames": [stream("j", 1), stream("j", 2)], "limit": 7}
        page = checked(
            "FilterLogEvents", logs.filter_log_events({**request, **({"nextToken": token} if token else {})})
        )
        seen += [e["timestamp"] for e in page["events"]]
        token = page.get("nextToken")
        if token is None:
            break
    assert seen == list(range(60))


def test_filter_stops_before_an_event_it_has_not_read_from_every_stream(jobs, logs, monkeypatch):
    # stream 1 reads in small chunks; stream 2's later events must wait for stream 1's earlier ones
    monkeypatch.setattr(logs_service, "MIN_STREAM_CHUNK", 64)
    monkeypatch.setattr(logs_service, "MAX_PAGE_BYTES", 64)
    jobs.add(
        "j", {1: [(t, f"a{t:02d}") for t in range(0, 20, 2)], 2: [(t, f"b{t:02d}") for t in range(1, 20, 2)]}
    )
    seen, token = [], None
    for _ in range(100):
        request = {**GROUP, "logStreamNamePrefix": "j/", **({"nextToken": token} if token else {})}
        page = logs.filter_log_events(request)
        seen += [e["timestamp"] for e in page["events"]]
        token = page.get("nextToken")
        if token is None:
            break
    assert seen == list(range(20))


def test_filter_time_window(jobs, logs):
    jobs.add("j", {1: [(t, f"a{t}") for t in range(10)], 2: [(t, f"b{t}") for t in range(10)]})
    response = logs.filter_log_events({**GROUP, "startTime": 4, "endTime": 6})
    assert messages(response) == ["a4", "b4", "a5", "b5"]


def test_filter_ignores_unknown_stream_names(jobs, logs):
    jobs.add("j", {1: [(1, "a")]})
    response = checked(
        "FilterLogEvents", logs.filter_log_events({**GROUP, "logStreamNames": ["nope/x", stream("j")]})
    )
    assert messages(response) == ["a"]
    assert [s["logStreamName"] for s in response["searchedLogStreams"]] == [stream("j")]


@pytest.mark.parametrize(
    "params",
    [
        {"logStreamNames": ["a"], "logStreamNamePrefix": "a"},
        {"filterPattern": "ERROR"},
        {"nextToken": "not-a-token"},
    ],
)
def test_filter_refuses_what_it_cannot_answer(jobs, logs, params):
    jobs.add("j", {1: [(1, "a")]})
    with pytest.raises(InvalidParameter):
        logs.filter_log_events({**GROUP, **params})


def test_filter_searches_at_most_a_hundred_streams_at_once(jobs, logs):
    for i in range(101):
        jobs.add(f"many-{i:03d}", {1: [(i, "x")]})
    with pytest.raises(InvalidParameter, match="at most 100"):
        logs.filter_log_events({**GROUP, "logStreamNamePrefix": "many-"})
    assert len(logs.filter_log_events({**GROUP, "logStreamNamePrefix": "many-05"})["events"]) == 10


@pytest.mark.parametrize("key", [[1], ["a", "b"], "a", None])
def test_a_stream_listing_token_of_another_shape_is_refused(jobs, logs, key):
    import base64
    import json

    jobs.add("j", {1: [(1, "a")]})
    token = base64.urlsafe_b64encode(
        json.dumps({"o": "LogStreamName", "d": False, "k": key}).encode()
    ).decode()
    with pytest.raises(InvalidParameter):
        logs.describe_log_streams({**GROUP, "nextToken": token}, "r")
