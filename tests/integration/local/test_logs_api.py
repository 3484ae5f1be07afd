"""The CloudWatch Logs API of the local backend, through a real boto3 ``logs`` client signed for
``logs``: SageMaker's group and stream names, the script's lines, tokens, a restart, and the
amazon provider's ``SageMakerTrainingOperator(print_log=True)`` printing what the script printed.
"""

from __future__ import annotations

import itertools
import time
import types
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from sm_local_helpers import ROLE, check_output, make_client, wait_until

from airflow_sm_provider.local.server import LocalServer

pytestmark = pytest.mark.integration

GROUP = "/aws/sagemaker/TrainingJobs"
PRINTS = """
import os, sys
host = os.environ["SM_CURRENT_HOST"]
for i in range(3):
    print(f"{host} line {i}", flush=True)
print(f"{host} to stderr", file=sys.stderr, flush=True)
"""


def logs_client(server: LocalServer) -> Any:
    """A boto3 ``logs`` client for ``server``; every successful response checked against its shape."""
    client = boto3.client(
        "logs",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=server.credentials.access_key_id,
        aws_secret_access_key=server.credentials.secret_access_key,
    )

    def validate(http_response: Any, model: Any, **kwargs: Any) -> None:
        if http_response.status_code == 200:
            check_output(model, http_response.content)

    client.meta.events.register("after-call.cloudwatch-logs", validate)
    return client


@pytest.fixture
def logs(local_server):
    return logs_client(local_server)


def run(sm_client, training_request, scripts, wait_for_status, name: str, count: int = 1) -> dict:
    request = training_request(scripts.write(PRINTS), name=name)
    request["ResourceConfig"]["InstanceCount"] = count
    sm_client.create_training_job(**request)
    return wait_for_status(name)


def test_each_instance_has_a_stream_named_as_sagemaker_names_it(
    sm_client, logs, training_request, scripts, wait_for_status
):
    job = run(sm_client, training_request, scripts, wait_for_status, "two-hosts", count=2)
    assert job["TrainingJobStatus"] == "Completed"
    epoch = int(job["CreationTime"].timestamp())
    streams = logs.describe_log_streams(
        logGroupName=GROUP, logStreamNamePrefix="two-hosts/", orderBy="LogStreamName", limit=2
    )["logStreams"]
    assert [s["logStreamName"] for s in streams] == [f"two-hosts/algo-1-{epoch}", f"two-hosts/algo-2-{epoch}"]
    for number, stream in enumerate(streams, start=1):
        events = logs.get_log_events(
            logGroupName=GROUP, logStreamName=stream["logStreamName"], startFromHead=True
        )["events"]
        lines = [e["message"] for e in events]
        assert sorted(lines) == sorted(
            [f"algo-{number} line {i}" for i in range(3)] + [f"algo-{number} to stderr"]
        )
        assert [line for line in lines if "line" in line] == [f"algo-{number} line {i}" for i in range(3)]
        assert events == sorted(events, key=lambda e: e["timestamp"])
        assert stream["lastEventTimestamp"] == events[-1]["timestamp"]


def test_filter_reads_a_jobs_streams_interleaved_and_pages(
    sm_client, logs, training_request, scripts, wait_for_status
):
    run(sm_client, training_request, scripts, wait_for_status, "filtered", count=2)
    seen, kwargs = [], {"logGroupName": GROUP, "logStreamNamePrefix": "filtered/", "limit": 3}
    while True:
        page = logs.filter_log_events(**kwargs)
        seen += page["events"]
        if "nextToken" not in page:
            break
        kwargs["nextToken"] = page["nextToken"]
    assert len(seen) == 8 and len({e["eventId"] for e in seen}) == 8
    assert [e["timestamp"] for e in seen] == sorted(e["timestamp"] for e in seen)
    paginator = logs.get_paginator("filter_log_events")
    pages = list(paginator.paginate(logGroupName=GROUP, logStreamNamePrefix="filtered/", limit=5))
    assert sum(len(p["events"]) for p in pages) == 8


def test_the_logs_live_in_the_home_and_survive_a_restart(tmp_path, scripts, training_request):
    home = tmp_path / "restart-home"
    with LocalServer(home=home, port=0, stop_grace=1.0) as first:
        sm = make_client(first)
        sm.create_training_job(**training_request(scripts.write(PRINTS), name="kept"))
        wait_until(
            lambda: sm.describe_training_job(TrainingJobName="kept")["TrainingJobStatus"] == "Completed"
        )
        before = logs_client(first)
        (stream,) = before.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix="kept/")["logStreams"]
        read = before.get_log_events(
            logGroupName=GROUP, logStreamName=stream["logStreamName"], startFromHead=True
        )
    with LocalServer(home=home, port=0) as second:
        after = logs_client(second)
        assert after.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix="kept/")["logStreams"] == [
            stream
        ]
        again = after.get_log_events(
            logGroupName=GROUP, logStreamName=stream["logStreamName"], startFromHead=True
        )
        assert again["events"] == read["events"] and len(read["events"]) == 4
        # the cursor is stable: the token from before the restart still means "nothing new"
        resumed = after.get_log_events(
            logGroupName=GROUP, logStreamName=stream["logStreamName"], nextToken=read["nextForwardToken"]
        )
        assert resumed["events"] == [] and resumed["nextForwardToken"] == read["nextForwardToken"]


def test_a_missing_stream_or_group_is_resource_not_found(logs):
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.get_log_events(logGroupName=GROUP, logStreamName="nope/algo-1-1")
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.describe_log_streams(logGroupName="/aws/lambda/other")
    assert logs.describe_log_streams(logGroupName=GROUP)["logStreams"] == []


def test_requests_are_validated_against_the_logs_model(logs):
    with pytest.raises(ClientError) as raised:
        logs.meta.events.register_first(
            "before-parameter-build.cloudwatch-logs.GetLogEvents",
            lambda params, **_: params.update(limit=20000),
        )
        logs.get_log_events(logGroupName=GROUP, logStreamName="x/algo-1-1")
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "less than or equal to 10000" in raised.value.response["Error"]["Message"]


def test_a_logs_request_must_be_signed_for_logs_and_a_sagemaker_one_for_sagemaker(local_server):
    import http.client

    host, port = local_server.endpoint_url.removeprefix("http://").split(":")
    body = b'{"logGroupName": "/aws/sagemaker/TrainingJobs"}'
    for target, signed_for in (
        ("Logs_20140328.DescribeLogStreams", "sagemaker"),
        ("SageMaker.ListTrainingJobs", "logs"),
    ):
        request = AWSRequest(
            "POST",
            local_server.endpoint_url + "/",
            data=body,
            headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
        )
        keys = local_server.credentials
        SigV4Auth(Credentials(keys.access_key_id, keys.secret_access_key), signed_for, "us-east-1").add_auth(
            request
        )
        headers = dict(request.headers.items())
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("POST", "/", body=body, headers=headers)
        response = connection.getresponse()
        assert (response.status, b"InvalidSignatureException" in response.read()) == (400, True)


def test_the_amazon_providers_training_operator_prints_the_scripts_output(
    monkeypatch, capfd, local_server, sm_client, training_request, scripts
):
    from airflow.providers.amazon.aws.operators.sagemaker import SageMakerTrainingOperator

    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", local_server.connection_json())
    config = training_request(scripts.write("print('incumbent sees this unique line 7f3a', flush=True)\n"))
    config["RoleArn"] = ROLE
    operator = SageMakerTrainingOperator(
        task_id="incumbent_train", config=config, print_log=True, check_interval=1, wait_for_completion=True
    )
    # The incumbent describes the job at most every 30 s of time.monotonic() while it tails; its
    # clock (its module's only) runs 30 s per reading so the test does not wait for it.
    from airflow.providers.amazon.aws.hooks import sagemaker as incumbent_hook

    readings = itertools.count(step=30)
    fast = types.SimpleNamespace(sleep=time.sleep, time=time.time, monotonic=lambda: float(next(readings)))
    monkeypatch.setattr(incumbent_hook, "time", fast)
    capfd.readouterr()
    result = operator.execute(context={})
    out, err = capfd.readouterr()
    assert result["Training"]["TrainingJobStatus"] == "Completed"
    # the script's output reaches this process only through the Logs API, read by the incumbent's hook
    assert "incumbent sees this unique line 7f3a" in out + err


def test_lines_are_served_while_the_job_runs_and_the_cursor_follows_them(
    tmp_path, sm_client, logs, training_request, scripts, wait_for_status
):
    hold = tmp_path / "hold"
    hold.touch()
    script = f"""
import os, time
print("before the hold", flush=True)
while os.path.exists({str(hold)!r}):
    time.sleep(0.02)
print("after the hold", flush=True)
"""
    sm_client.create_training_job(**training_request(scripts.write(script), name="live"))
    stream = wait_until(
        lambda: logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix="live/")["logStreams"]
    )[0]["logStreamName"]
    read = {"logGroupName": GROUP, "logStreamName": stream, "startFromHead": True}
    first = wait_until(lambda: (r := logs.get_log_events(**read))["events"] and r)
    assert [e["message"] for e in first["events"]] == ["before the hold"]
    assert sm_client.describe_training_job(TrainingJobName="live")["TrainingJobStatus"] == "InProgress"
    idle = logs.get_log_events(**read, nextToken=first["nextForwardToken"])
    assert idle["events"] == [] and idle["nextForwardToken"] == first["nextForwardToken"]
    hold.unlink()
    assert wait_for_status("live")["TrainingJobStatus"] == "Completed"
    rest = logs.get_log_events(**read, nextToken=first["nextForwardToken"])
    assert [e["message"] for e in rest["events"]] == ["after the hold"]
