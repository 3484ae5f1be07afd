"""What one client may cost the backend is bounded (issue 13 item 3), each as the reliability
probe found it: malformed requests get a 4xx with AWS's error shape (never a dropped connection
or a 500), idle and stalled connections are closed, connections at once are limited, SageMaker's
hyperparameter limits hold at create, a Grid space is sized before it is listed, and a
catastrophic metric regex stalls nothing."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from sm_local_helpers import signed_headers, wait_until

from airflow_sm_provider.local import limits

pytestmark = pytest.mark.integration

LIST = b'{"MaxResults": 1}'


def _port(server) -> int:
    return int(server.endpoint_url.rsplit(":", 1)[1])


def _send(server, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", _port(server), timeout=10)
    try:
        connection.request("POST", "/", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("length", "status", "code"),
    [
        ("-1", 400, "ValidationException"),
        ("abc", 400, "ValidationException"),
        ("1e6", 400, "ValidationException"),
        (str(10**15), 413, "RequestEntityTooLarge"),
        (str(limits.MAX_REQUEST_BYTES + 1), 413, "RequestEntityTooLarge"),
    ],
)
def test_a_bad_content_length_is_answered_with_a_4xx(local_server, length, status, code):
    headers = {**signed_headers(local_server, "ListTrainingJobs", LIST), "Content-Length": length}

    answered, payload = _send(local_server, headers, LIST)

    assert (answered, payload["__type"]) == (status, code)
    assert payload["message"]


def test_malformed_bodies_are_validation_errors_not_500(local_server):
    nested = b"[" * 100_000 + b"]" * 100_000
    timestamp = b'{"CreationTimeAfter": 1e20}'
    for body in (nested, timestamp):
        status, payload = _send(local_server, signed_headers(local_server, "ListTrainingJobs", body), body)
        assert (status, payload["__type"]) == (400, "ValidationException"), body[:40]


def _signed_for_target(server, target: str, body: bytes) -> dict[str, str]:
    headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}
    request = AWSRequest("POST", server.endpoint_url + "/", data=body, headers=headers)
    keys = Credentials(server.credentials.access_key_id, server.credentials.secret_access_key)
    SigV4Auth(keys, "sagemaker", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def test_a_target_without_the_service_prefix_is_unknown(local_server):
    headers = _signed_for_target(local_server, "ListTrainingJobs", LIST)  # validly signed

    status, payload = _send(local_server, headers, LIST)

    assert (status, payload["__type"]) == (400, "UnknownOperationException")


def _read_to_close(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (an answer may come in pieces)."""
    parts = []
    while chunk := sock.recv(65536):
        parts.append(chunk)
    return b"".join(parts)


def test_a_body_shorter_than_its_length_gets_408_once_the_connection_stalls(local_server, monkeypatch):
    monkeypatch.setattr(limits, "IDLE_TIMEOUT", 0.5)
    headers = {**signed_headers(local_server, "ListTrainingJobs", LIST), "Content-Length": "1000"}
    headers["Host"] = f"127.0.0.1:{_port(local_server)}"
    with socket.create_connection(("127.0.0.1", _port(local_server)), timeout=10) as sock:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(f"POST / HTTP/1.1\r\n{head}\r\n".encode() + LIST)
        answer = _read_to_close(sock)

    assert answer.startswith(b"HTTP/1.1 408")
    assert b'"__type":"RequestTimeout"' in answer


def test_an_idle_connection_is_closed_and_releases_its_thread(local_server, monkeypatch):
    monkeypatch.setattr(limits, "IDLE_TIMEOUT", 0.5)
    before = threading.active_count()
    sockets = [socket.create_connection(("127.0.0.1", _port(local_server))) for _ in range(20)]
    try:
        for sock in sockets:
            sock.settimeout(10)
            assert sock.recv(1) == b""  # the server closed it
        wait_until(lambda: threading.active_count() <= before + 1, timeout=10)
    finally:
        for sock in sockets:
            sock.close()


def test_connections_beyond_the_limit_get_503_and_are_closed(tmp_path, monkeypatch):
    from airflow_sm_provider.local.server import LocalServer

    monkeypatch.setattr(limits, "MAX_CONNECTIONS", 3)
    with LocalServer(home=tmp_path / "home", port=0) as server:
        held = [socket.create_connection(("127.0.0.1", _port(server))) for _ in range(3)]
        try:
            wait_until(lambda: threading.active_count() >= 3, timeout=5)
            with socket.create_connection(("127.0.0.1", _port(server)), timeout=10) as extra:
                answer = _read_to_close(extra)
            assert answer.startswith(b"HTTP/1.1 503")
            assert b"ServiceUnavailable" in answer
        finally:
            for sock in held:
                sock.close()
        # once they are gone, requests are served again
        wait_until(
            lambda: _send(server, signed_headers(server, "ListTrainingJobs", LIST), LIST)[0] == 200, 10
        )


@pytest.mark.parametrize(
    "hyperparameters",
    [
        {f"k{i}": "v" for i in range(101)},
        {"k" * 257: "v"},
        {"big": "x" * 2501},
        {"a=b": "v"},
        {"v": "a\0b"},
    ],
    ids=["101-entries", "257-char-key", "2501-char-value", "equals-in-key", "nul-in-value"],
)
def test_sagemakers_hyperparameter_limits_hold_at_create(
    sm_client, scripts, training_request, hyperparameters
):
    request = training_request(scripts.write("pass"), hyperparameters=hyperparameters)

    with pytest.raises(ClientError) as raised:
        sm_client.create_training_job(**request)

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "HyperParameters" in raised.value.response["Error"]["Message"] or "hyperParameters" in str(
        raised.value
    )
    assert "xxxxxxxx" not in str(raised.value)  # the value itself is never echoed
    assert sm_client.list_training_jobs()["TrainingJobSummaries"] == []


def test_a_grid_too_large_to_list_is_refused_at_once(sm_client, scripts, training_request):
    definition = training_request(
        scripts.write("pass"), metrics=[{"Name": "loss", "Regex": "loss=([0-9.]+)"}]
    )
    definition["StaticHyperParameters"] = definition.pop("HyperParameters")
    del definition["TrainingJobName"]
    config = {
        "Strategy": "Grid",
        "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
        "ResourceLimits": {"MaxParallelTrainingJobs": 1},
        "ParameterRanges": {
            "IntegerParameterRanges": [{"Name": n, "MinValue": "0", "MaxValue": "999"} for n in "abc"]
        },
    }
    started = time.monotonic()

    with pytest.raises(ClientError) as raised:
        sm_client.create_hyper_parameter_tuning_job(
            HyperParameterTuningJobName="grid-bomb",
            HyperParameterTuningJobConfig=config,
            TrainingJobDefinition=definition,
        )

    assert time.monotonic() - started < 2.0
    assert "1000000000 combinations" in raised.value.response["Error"]["Message"]


def test_a_catastrophic_metric_regex_is_disabled_and_stalls_no_request(
    local_server, sm_client, scripts, training_request, wait_for_status
):
    script = "for n in range(24, 40):\n    print('a' * n + 'b', flush=True)\nprint('loss=0.5', flush=True)\n"
    metrics = [{"Name": "bomb", "Regex": "^(a+)+$"}, {"Name": "loss", "Regex": "loss=([0-9.]+)"}]
    sm_client.create_training_job(**training_request(scripts.write(script), name="redos", metrics=metrics))
    latencies: list[float] = []
    done = threading.Event()

    def probe() -> None:
        while not done.is_set():
            started = time.monotonic()
            sm_client.list_training_jobs(MaxResults=1)
            latencies.append(time.monotonic() - started)

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    final = wait_for_status("redos", timeout=60)
    done.set()
    prober.join(10)

    assert final["TrainingJobStatus"] == "Completed"
    assert max(latencies) < 1.0
    assert [m["MetricName"] for m in final["FinalMetricDataList"]] == ["loss"]  # the other regex kept working
    log = (local_server.home / "jobs" / "redos" / "log.txt").read_text()
    assert "metric 'bomb': regex '^(a+)+$' took longer than 1 s on one output line and is disabled" in log
