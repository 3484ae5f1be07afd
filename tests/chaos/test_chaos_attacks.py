"""The security cases of issue 13 as attacks on a running backend, each one refused or
contained: who may talk to it (item 1), what a job may touch (item 2), what one request may cost
(item 3). ``attacks_accepted`` counts the ones that got through."""

from __future__ import annotations

import http.client
import json
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from airflow_sm_provider.local.server import LocalServer
from tests.chaos.chaoslib import ROLE, Counts, count_orphans, wait_until
from tests.integration.local.sm_local_helpers import make_client, signed_headers

pytestmark = pytest.mark.chaos

TERMINAL = ("Completed", "Failed", "Stopped")


class Target:
    """The backend under attack, a client of its own, and a place for code and outputs."""

    def __init__(self, server: LocalServer, root: Path) -> None:
        self.server = server
        self.root = root
        self.client = make_client(server)
        self.port = int(server.endpoint_url.rsplit(":", 1)[1])
        self._ids = 0

    def raw(self, headers: dict[str, str], body: bytes, method: str = "POST") -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, "/", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    def code(self, source: str, name: str = "train.py") -> Path:
        self._ids += 1
        directory = self.root / f"code{self._ids}"
        directory.mkdir(parents=True)
        (directory / name).write_text(textwrap.dedent(source))
        return directory

    def job(self, code: Path, program: str = "train.py", **extra: Any) -> dict[str, Any]:
        self._ids += 1
        request: dict[str, Any] = {
            "TrainingJobName": f"attack-{self._ids}",
            "RoleArn": ROLE,
            "AlgorithmSpecification": {"TrainingImage": "local/python:3.11", "TrainingInputMode": "File"},
            "HyperParameters": {"sagemaker_program": program, "sagemaker_submit_directory": f"file://{code}"},
            "OutputDataConfig": {"S3OutputPath": f"file://{self.root / 'output'}"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
            "StoppingCondition": {"MaxRuntimeInSeconds": 60},
        }
        request.update(extra)
        return request

    def refused(self, call: Callable[[], Any]) -> bool:
        try:
            call()
        except ClientError as err:
            return 400 <= err.response["ResponseMetadata"]["HTTPStatusCode"] < 500
        return False

    def finished(self, name: str) -> dict[str, Any]:
        return wait_until(
            lambda: (
                (d := self.client.describe_training_job(TrainingJobName=name))["TrainingJobStatus"]
                in TERMINAL
                and d
            ),
            timeout=30,
        )


# item 1: who may talk to it --------------------------------------------------------------------
def rebinding(t: Target) -> bool:
    """A page rebound to 127.0.0.1: its own Host, an Origin, no signature."""
    marker = t.root / "rebound"
    body = json.dumps(t.job(t.code(f"open({str(marker)!r}, 'w')"))).encode()
    headers = {
        "Host": f"attacker.example:{t.port}",
        "Origin": f"http://attacker.example:{t.port}",
        "Content-Type": "text/plain",
        "X-Amz-Target": "SageMaker.CreateTrainingJob",
    }
    return t.raw(headers, body) == 200 or marker.exists()


def unsigned(t: Target) -> bool:
    body = json.dumps(t.job(t.code("pass"))).encode()
    headers = {"X-Amz-Target": "SageMaker.CreateTrainingJob", "Content-Type": "application/x-amz-json-1.1"}
    return t.raw(headers, body) == 200


def wrong_signature(t: Target) -> bool:
    body = json.dumps(t.job(t.code("pass"))).encode()
    headers = signed_headers(t.server, "CreateTrainingJob", body)
    headers["Authorization"] = headers["Authorization"][:-4] + "0000"
    return t.raw(headers, body) == 200


def preflight(t: Target) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", t.port, timeout=10)
    try:
        connection.request(
            "OPTIONS",
            "/",
            headers={"Origin": "http://attacker.example", "Access-Control-Request-Method": "POST"},
        )
        response = connection.getresponse()
        response.read()
        return response.status < 400 or response.getheader("Access-Control-Allow-Origin") is not None
    finally:
        connection.close()


# item 2: what a job may touch ------------------------------------------------------------------
def channel_traversal(t: Target) -> bool:
    data = t.root / "data"
    data.mkdir(exist_ok=True)
    (data / "x.csv").write_text("1")
    channel = {
        "ChannelName": "../../../../escaped-channel",
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"file://{data}"}},
    }
    return not t.refused(
        lambda: t.client.create_training_job(**t.job(t.code("pass"), InputDataConfig=[channel]))
    )


def program_outside_code(t: Target) -> bool:
    marker = t.root / "outside-ran"
    outside = t.root / "outside.py"
    outside.write_text(f"open({str(marker)!r}, 'w')")
    ran = False
    for program in (str(outside), "../outside.py", "%2e%2e/outside.py"):
        request = t.job(t.code("pass"), program=program)
        if not t.refused(lambda request=request: t.client.create_training_job(**request)):
            t.finished(request["TrainingJobName"])
        ran = ran or marker.exists()
    return ran


def output_relative_to_cwd(t: Target) -> bool:
    """``file://name/x`` names no absolute path: refused, never resolved against the cwd."""
    request = t.job(t.code("pass"), OutputDataConfig={"S3OutputPath": "file://relprobe-netloc/x"})
    return not t.refused(lambda: t.client.create_training_job(**request))


def output_encoded_traversal(t: Target) -> bool:
    """``%2e%2e`` is decoded and normalised before use: the model lands where the normal path says."""
    base = t.root / "enc" / "a"
    base.mkdir(parents=True)
    request = t.job(
        t.code("import os; open(os.path.join(os.environ['SM_MODEL_DIR'], 'm'), 'w')"),
        OutputDataConfig={"S3OutputPath": f"file://{base}/%2e%2e/landed"},
    )
    if t.refused(lambda: t.client.create_training_job(**request)):
        return False
    t.finished(request["TrainingJobName"])
    return not (t.root / "enc" / "landed" / request["TrainingJobName"]).is_dir() or any(
        "%2e" in str(path) for path in (t.root / "enc").rglob("*")
    )


def checkpoint_host_path(t: Target) -> bool:
    """CheckpointConfig.LocalPath names a host directory: the job's own copy is synced, not it."""
    host_dir = t.root / "host-secrets"
    host_dir.mkdir()
    (host_dir / "secret.txt").write_text("host secret")
    uri = t.root / "ckpt-out"
    request = t.job(t.code("pass"), CheckpointConfig={"S3Uri": f"file://{uri}", "LocalPath": str(host_dir)})
    if t.refused(lambda: t.client.create_training_job(**request)):
        return False
    t.finished(request["TrainingJobName"])
    return any(path.name == "secret.txt" for path in uri.rglob("*"))


def model_name_traversal(t: Target) -> bool:
    return not t.refused(
        lambda: t.client.create_model(ModelName="../relprobe", PrimaryContainer={"Image": "i"})
    )


# item 3: what one request may cost ---------------------------------------------------------------
def grid_bomb(t: Target) -> bool:
    """Grid over three integer ranges 0..999 (10^9 points): refused, at once, without materialising."""
    ranges = {"IntegerParameterRanges": [{"Name": n, "MinValue": "0", "MaxValue": "999"} for n in "abc"]}
    config = {
        "Strategy": "Grid",
        "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
        "ResourceLimits": {"MaxParallelTrainingJobs": 1},
        "ParameterRanges": ranges,
    }
    definition = {
        k: v for k, v in t.job(t.code("pass")).items() if k not in ("TrainingJobName", "HyperParameters")
    }
    definition["StaticHyperParameters"] = t.job(t.code("pass"))["HyperParameters"]
    definition["AlgorithmSpecification"]["MetricDefinitions"] = [{"Name": "loss", "Regex": "loss=([0-9.]+)"}]
    started = time.monotonic()
    refused = t.refused(
        lambda: t.client.create_hyper_parameter_tuning_job(
            HyperParameterTuningJobName="grid-bomb",
            HyperParameterTuningJobConfig=config,
            TrainingJobDefinition=definition,
        )
    )
    return not refused or time.monotonic() - started > 2.0


def regex_bomb(t: Target) -> bool:
    """``^(a+)+$`` against long ``aaa...b`` lines: the API keeps answering within a second, and
    the job's log says the metric was disabled."""
    script = (
        "for n in range(24, 40):\n    print('a' * n + 'b', flush=True)\nprint('a' * 5000 + 'b', flush=True)\n"
    )
    request = t.job(t.code(script))
    request["AlgorithmSpecification"]["MetricDefinitions"] = [{"Name": "m", "Regex": "^(a+)+$"}]
    t.client.create_training_job(**request)
    latencies: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        while not stop.is_set():
            started = time.monotonic()
            t.client.list_training_jobs(MaxResults=1)
            latencies.append(time.monotonic() - started)

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    final = wait_until(
        lambda: (
            (d := t.client.describe_training_job(TrainingJobName=request["TrainingJobName"]))[
                "TrainingJobStatus"
            ]
            in TERMINAL
            and d
        ),
        timeout=60,
    )
    stop.set()
    prober.join(10)
    log = (t.server.home / "jobs" / request["TrainingJobName"] / "log.txt").read_text(errors="replace")
    return max(latencies) > 1.0 or final["TrainingJobStatus"] != "Completed" or "disabled" not in log


def unprefixed_target(t: Target, body: bytes) -> dict[str, str]:
    """Headers validly signed for ``X-Amz-Target: ListTrainingJobs`` (no ``SageMaker.``)."""
    headers = {"X-Amz-Target": "ListTrainingJobs", "Content-Type": "application/x-amz-json-1.1"}
    request = AWSRequest("POST", t.server.endpoint_url + "/", data=body, headers=headers)
    keys = Credentials(t.server.credentials.access_key_id, t.server.credentials.secret_access_key)
    SigV4Auth(keys, "sagemaker", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def malformed_requests(t: Target) -> bool:
    """Every malformed request gets an answer with a 4xx status, never a dropped connection or a 500."""
    body = b'{"MaxResults": 1}'
    good = signed_headers(t.server, "ListTrainingJobs", body)
    cases: list[tuple[dict[str, str], bytes]] = [
        ({**good, "Content-Length": "-1"}, body),
        ({**good, "Content-Length": "abc"}, body),
        ({**good, "Content-Length": str(10**15)}, body),
        (unprefixed_target(t, body), body),
    ]
    nested = b"[" * 100_000 + b"]" * 100_000
    cases.append((signed_headers(t.server, "ListTrainingJobs", nested), nested))
    timestamp = b'{"CreationTimeAfter": 1e20}'
    cases.append((signed_headers(t.server, "ListTrainingJobs", timestamp), timestamp))
    accepted = False
    for headers, payload in cases:
        try:
            status = t.raw(headers, payload)
        except (OSError, http.client.HTTPException):
            accepted = True  # a dropped connection
            continue
        accepted = accepted or not 400 <= status < 500
    return accepted


def oversized_hyperparameters(t: Target) -> bool:
    """SageMaker's limits at create: 100 hyperparameters, 256-character keys, 2500-character values."""
    code = t.code("pass")
    many = t.job(code)
    many["HyperParameters"].update({f"k{i}": "v" for i in range(20_000)})
    big = t.job(code)
    big["HyperParameters"]["big"] = "x" * 1_000_000
    bad_key = t.job(code)
    bad_key["HyperParameters"]["a=b"] = "v"
    nul = t.job(code)
    nul["HyperParameters"]["v"] = "a\0b"
    return not all(
        t.refused(lambda r=r: t.client.create_training_job(**r)) for r in (many, big, bad_key, nul)
    )


ATTACKS = {
    "rebinding": rebinding,
    "unsigned": unsigned,
    "wrong-signature": wrong_signature,
    "cors-preflight": preflight,
    "channel-traversal": channel_traversal,
    "program-outside-code": program_outside_code,
    "output-relative-file-uri": output_relative_to_cwd,
    "output-encoded-traversal": output_encoded_traversal,
    "checkpoint-host-path": checkpoint_host_path,
    "model-name-traversal": model_name_traversal,
    "grid-bomb": grid_bomb,
    "regex-bomb": regex_bomb,
    "malformed-requests": malformed_requests,
    "oversized-hyperparameters": oversized_hyperparameters,
}


def test_every_attack_is_refused_or_contained(tmp_path: Path):
    counts = Counts("attacks")
    accepted: list[str] = []
    home = tmp_path / "sm-home"
    try:
        with LocalServer(home=home, port=0, stop_grace=1.0) as server:
            target = Target(server, tmp_path / "attacker")
            for name, attack in ATTACKS.items():
                counts.faults_injected += 1
                if attack(target):
                    accepted.append(name)
        counts.attacks_accepted = len(accepted)
        counts.orphan_processes = count_orphans(home, settle=2.0)
        if accepted:
            counts.notes.append(f"accepted: {accepted}")
    finally:
        counts.save()

    assert accepted == []
    assert counts.orphan_processes == 0
