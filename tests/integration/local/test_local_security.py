"""Who may talk to the local backend: the attacks of issue 13 (item 1), each refused.

Each request is sent raw with ``http.client`` so the test controls every header, as a browser
page or another local user would. The rebinding request is the reliability probe's: a
CreateTrainingJob a page rebound to 127.0.0.1 would send (``Host: attacker.example``, an Origin,
no Authorization), whose program would run a command on this machine.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from sm_local_helpers import Endpoint, make_client, signed_headers, wait_until

from airflow_sm_provider.local.credentials import Credentials as LocalCredentials
from airflow_sm_provider.local.server import LocalServer

pytestmark = pytest.mark.integration

MARKER_SCRIPT = "import pathlib\npathlib.Path({path!r}).write_text('pwned')\n"


def _port(server: LocalServer) -> int:
    return int(server.endpoint_url.rsplit(":", 1)[1])


def _raw(
    server: LocalServer, method: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, http.client.HTTPMessage, dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", _port(server), timeout=10)
    try:
        connection.request(method, "/", body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        return response.status, response.headers, json.loads(payload) if payload else {}
    finally:
        connection.close()


def _job_names(server: LocalServer) -> list[str]:
    return [s["TrainingJobName"] for s in make_client(server).list_training_jobs()["TrainingJobSummaries"]]


@pytest.fixture
def rebinding_job(scripts, training_request, tmp_path: Path) -> tuple[bytes, Path]:
    marker = tmp_path / "pwned"
    request = training_request(scripts.write(MARKER_SCRIPT.format(path=str(marker))), name="rebound")
    return json.dumps(request).encode(), marker


def test_a_rebound_web_page_cannot_start_a_job(local_server, rebinding_job):
    body, marker = rebinding_job
    host = f"attacker.example:{_port(local_server)}"

    status, _, error = _raw(
        local_server,
        "POST",
        {
            "Host": host,
            "Origin": f"http://{host}",
            "Content-Type": "text/plain",
            "X-Amz-Target": "SageMaker.CreateTrainingJob",
        },
        body,
    )

    assert status == 403, error
    assert error["__type"] == "AccessDeniedException"
    assert "attacker.example" in error["message"]
    assert _job_names(local_server) == []
    assert not marker.exists()


def test_a_foreign_host_name_is_refused_even_when_signed(local_server, rebinding_job):
    body, _ = rebinding_job
    host = f"attacker.example:{_port(local_server)}"
    headers = signed_headers(local_server, "CreateTrainingJob", body, host=host)

    status, _, error = _raw(local_server, "POST", headers, body)

    assert (status, error["__type"]) == (403, "AccessDeniedException")
    assert _job_names(local_server) == []


def test_an_unsigned_request_is_refused(local_server, rebinding_job):
    body, marker = rebinding_job
    status, _, error = _raw(
        local_server,
        "POST",
        {
            "Host": f"127.0.0.1:{_port(local_server)}",
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "SageMaker.CreateTrainingJob",
        },
        body,
    )

    assert (status, error["__type"]) == (400, "MissingAuthenticationTokenException")
    assert _job_names(local_server) == []
    assert not marker.exists()


def test_any_origin_is_refused_even_on_a_signed_request(local_server, rebinding_job):
    body, _ = rebinding_job
    headers = signed_headers(local_server, "CreateTrainingJob", body)
    headers["Origin"] = f"http://127.0.0.1:{_port(local_server)}"

    status, _, error = _raw(local_server, "POST", headers, body)

    assert (status, error["__type"]) == (403, "AccessDeniedException")
    assert _job_names(local_server) == []


def test_a_cors_preflight_gets_no_permission(local_server):
    status, headers, _ = _raw(
        local_server,
        "OPTIONS",
        {
            "Host": f"127.0.0.1:{_port(local_server)}",
            "Origin": "http://attacker.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-amz-target,content-type",
        },
    )

    assert status == 403
    assert not [name for name in headers if name.lower().startswith("access-control-")]


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:{port}", "127.0.0.1:1"])
def test_the_health_check_is_host_checked(local_server, host):
    status, _, error = _raw(local_server, "GET", {"Host": host.format(port=_port(local_server))})

    assert (status, error["__type"]) == (403, "AccessDeniedException")


def test_a_request_with_two_host_headers_is_refused(local_server):
    connection = http.client.HTTPConnection("127.0.0.1", _port(local_server), timeout=10)
    try:
        connection.putrequest("GET", "/", skip_host=True)
        connection.putheader("Host", f"127.0.0.1:{_port(local_server)}")
        connection.putheader("Host", "attacker.example")
        connection.endheaders()
        response = connection.getresponse()
        assert (response.status, json.loads(response.read())["__type"]) == (403, "AccessDeniedException")
    finally:
        connection.close()


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}"])
def test_the_health_check_answers_the_names_of_this_server(local_server, host):
    status, _, body = _raw(local_server, "GET", {"Host": host.format(port=_port(local_server))})

    assert (status, body) == (200, {"status": "ok", "service": "sagemaker-local"})


def test_a_configured_name_is_accepted(tmp_path):
    names = ["sagemaker-local", "proxy:9000"]
    with LocalServer(home=tmp_path / "home", port=0, allowed_hosts=names) as server:
        port = _port(server)
        hosts = (f"sagemaker-local:{port}", "proxy:9000", f"proxy:{port}", "sagemaker-local:1")
        answers = [_raw(server, "GET", {"Host": host})[0] for host in hosts]

    assert answers == [200, 200, 403, 403]


def _client(server: LocalServer, access_key: str, secret: str) -> Any:
    return boto3.client(
        "sagemaker",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
    )


def _error(call: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as excinfo:
        call()
    response = excinfo.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def test_a_wrong_secret_is_an_invalid_signature(local_server):
    client = _client(local_server, local_server.credentials.access_key_id, "not-the-secret")

    status, code, message = _error(client.list_training_jobs)

    assert (status, code) == (400, "InvalidSignatureException")
    assert "signature we calculated does not match" in message


def test_an_unknown_access_key_is_an_unrecognized_client(local_server):
    client = _client(local_server, "AKIDUNKNOWN", local_server.credentials.secret_access_key)

    assert _error(client.list_training_jobs)[:2] == (400, "UnrecognizedClientException")


@pytest.mark.parametrize("minutes", [-6, 6])
def test_a_signature_outside_the_clock_skew_window_is_refused(local_server, minutes):
    client = make_client(local_server)
    then = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=minutes)

    with mock.patch("botocore.auth.get_current_datetime", return_value=then):
        status, code, message = _error(client.list_training_jobs)

    assert (status, code) == (400, "InvalidSignatureException")
    assert ("Signature expired" if minutes < 0 else "Signature not yet current") in message


def test_a_signature_inside_the_clock_skew_window_is_accepted(local_server):
    client = make_client(local_server)
    then = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=4)

    with mock.patch("botocore.auth.get_current_datetime", return_value=then):
        assert client.list_training_jobs()["TrainingJobSummaries"] == []


def test_a_signature_for_another_service_is_refused(local_server):
    body = b"{}"
    request = AWSRequest(
        "POST",
        local_server.endpoint_url + "/",
        data=body,
        headers={"X-Amz-Target": "SageMaker.ListTrainingJobs", "Content-Type": "application/x-amz-json-1.1"},
    )
    keys = Credentials(local_server.credentials.access_key_id, local_server.credentials.secret_access_key)
    SigV4Auth(keys, "s3", "us-east-1").add_auth(request)

    status, _, error = _raw(local_server, "POST", dict(request.headers.items()), body)

    assert (status, error["__type"]) == (400, "InvalidSignatureException")
    assert "sagemaker" in error["message"]


def test_a_signed_request_cannot_be_replayed_with_another_body(local_server, rebinding_job):
    body, marker = rebinding_job
    headers = signed_headers(local_server, "CreateTrainingJob", b'{"TrainingJobName": "harmless"}')

    status, _, error = _raw(local_server, "POST", headers, body)

    assert (status, error["__type"]) == (400, "InvalidSignatureException")
    assert _job_names(local_server) == []
    assert not marker.exists()


def test_a_signed_request_cannot_be_replayed_as_another_operation(local_server):
    headers = signed_headers(local_server, "ListTrainingJobs", b"{}")
    headers["X-Amz-Target"] = "SageMaker.DeleteModel"

    status, _, error = _raw(local_server, "POST", headers, b"{}")

    assert (status, error["__type"]) == (400, "InvalidSignatureException")


def test_a_malformed_authorization_header_is_an_incomplete_signature(local_server):
    headers = signed_headers(local_server, "ListTrainingJobs", b"{}")
    headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=x"

    status, _, error = _raw(local_server, "POST", headers, b"{}")

    assert (status, error["__type"]) == (400, "IncompleteSignatureException")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_home_and_its_secrets_are_private(tmp_path):
    home = tmp_path / "home"
    with LocalServer(home=home, port=0) as server:
        make_client(server).list_training_jobs()
        modes = {path.name: _mode(path) for path in [home, *home.iterdir()] if path.is_file() or path == home}

    assert modes.pop("home") == 0o700
    assert modes.pop("credentials.json") == 0o600
    assert modes.pop("state.db") == 0o600
    assert all(mode == 0o600 for name, mode in modes.items() if name.startswith("state.db")), modes


def test_an_existing_world_readable_home_is_made_private(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    (home / "state.db").touch(mode=0o644)

    with LocalServer(home=home, port=0):
        pass

    assert (_mode(home), _mode(home / "state.db")) == (0o700, 0o600)


def _run_module(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "airflow_sm_provider.local", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def test_serve_never_shows_the_secret_and_connection_prints_one_that_works(tmp_path):
    home = tmp_path / "home"
    command = ["serve", "--port", "0", "--home", str(home), "--log-level", "DEBUG"]
    serve = subprocess.Popen(
        [sys.executable, "-m", "airflow_sm_provider.local", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = serve.stdout.readline().strip()
        port = url.rsplit(":", 1)[1]
        printed = _run_module("connection", "--home", str(home), "--port", port)
        connection = json.loads(printed.stdout)
        client = boto3.client(
            "sagemaker",
            endpoint_url=connection["extra"]["endpoint_url"],
            region_name=connection["extra"]["region_name"],
            aws_access_key_id=connection["login"],
            aws_secret_access_key=connection["password"],
        )
        assert client.list_training_jobs()["TrainingJobSummaries"] == []
    finally:
        serve.send_signal(signal.SIGTERM)
        out, err = serve.communicate(timeout=30)

    secret = json.loads((home / "credentials.json").read_text())["secret_access_key"]
    assert printed.returncode == 0, printed.stderr
    assert connection["conn_type"] == "aws"
    assert connection["password"] == secret
    assert connection["extra"]["endpoint_url"] == url
    assert secret not in out + err
    assert connection["login"] in err  # the key id is logged, so a user knows which key to use


def test_serve_takes_its_key_from_the_environment_and_keeps_it_from_jobs(tmp_path, scripts, training_request):
    home = tmp_path / "home"
    env = {
        **os.environ,
        "SAGEMAKER_LOCAL_ACCESS_KEY_ID": "TEAMKEY",
        "SAGEMAKER_LOCAL_SECRET_ACCESS_KEY": "team-secret",
    }
    serve = subprocess.Popen(
        [sys.executable, "-m", "airflow_sm_provider.local", "serve", "--port", "0", "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        url = serve.stdout.readline().strip()
        printed = _run_module("connection", "--home", str(home), "--port", url.rsplit(":", 1)[1], env=env)
        connection = json.loads(printed.stdout)
        backend = Endpoint(url, LocalCredentials(connection["login"], connection["password"]))
        client = make_client(backend)
        script = (
            "import os\nprint('seen:', sorted(k for k in os.environ if k.startswith('SAGEMAKER_LOCAL')))\n"
        )
        client.create_training_job(**training_request(scripts.write(script), name="nosy"))
        wait_until(
            lambda: client.describe_training_job(TrainingJobName="nosy")["TrainingJobStatus"] == "Completed"
        )
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.communicate(timeout=30)

    assert (connection["login"], connection["password"]) == ("TEAMKEY", "team-secret")
    assert not (home / "credentials.json").exists()
    assert "seen: []" in (home / "jobs" / "nosy" / "log.txt").read_text()


def test_half_a_key_pair_in_the_environment_stops_serve(tmp_path):
    half = {**os.environ, "SAGEMAKER_LOCAL_ACCESS_KEY_ID": "TEAMKEY"}
    half.pop("SAGEMAKER_LOCAL_SECRET_ACCESS_KEY", None)

    refused = _run_module("serve", "--port", "0", "--home", str(tmp_path / "home"), env=half)

    assert refused.returncode == 2 and "SAGEMAKER_LOCAL_SECRET_ACCESS_KEY" in refused.stderr
