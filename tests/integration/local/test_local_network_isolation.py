"""EnableNetworkIsolation: enforced with a network namespace of the process's own where the
machine allows it, else refused at create; never reported True while the network is open."""

from __future__ import annotations

import json
import tarfile
from urllib.parse import urlparse

import pytest
from botocore.exceptions import ClientError
from sm_local_helpers import make_client
from sm_tuning_helpers import tuning_request

from airflow_sm_provider.local.server import LocalServer
from airflow_sm_provider.local.training.isolation import NetworkIsolation
from airflow_sm_provider.local.training.options import TrainingOptions

pytestmark = pytest.mark.integration

TRIES_THE_NETWORK = """
import json, os, socket
try:
    socket.create_connection(("127.0.0.1", int(os.environ["PORT"])), timeout=5).close()
    outcome = "connected"
except OSError as err:
    outcome = type(err).__name__
with open(os.path.join(os.environ["SM_MODEL_DIR"], "net.json"), "w") as f:
    json.dump({"outcome": outcome}, f)
"""


def _outcome(tmp_path, name: str) -> str:
    with tarfile.open(tmp_path / "output" / name / "output" / "model.tar.gz") as tar:
        return json.load(tar.extractfile("net.json"))["outcome"]  # type: ignore[arg-type]


@pytest.mark.skipif(NetworkIsolation.detect().wrapper is None, reason="no network namespaces here")
def test_an_isolated_job_has_no_network_and_an_ordinary_one_does(
    sm_client, scripts, training_request, wait_for_status, local_server, tmp_path
):
    code = scripts.write(TRIES_THE_NETWORK)
    port = str(urlparse(local_server.endpoint_url).port)
    for name, isolated in (("isolated", True), ("open", False)):
        request = training_request(
            code, name=name, EnableNetworkIsolation=isolated, Environment={"PORT": port}
        )
        sm_client.create_training_job(**request)

    isolated, open_job = wait_for_status("isolated"), wait_for_status("open")

    assert isolated["TrainingJobStatus"] == "Completed", isolated.get("FailureReason")
    assert open_job["TrainingJobStatus"] == "Completed", open_job.get("FailureReason")
    assert isolated["EnableNetworkIsolation"] is True
    assert _outcome(tmp_path, "isolated") != "connected"
    assert _outcome(tmp_path, "open") == "connected"


def test_where_isolation_cannot_be_enforced_the_job_is_refused_at_create(tmp_path, scripts, training_request):
    unavailable = NetworkIsolation(wrapper=None, reason="unshare: unshare failed: Operation not permitted")
    with LocalServer(
        home=tmp_path / "home", port=0, training=TrainingOptions(isolation=unavailable)
    ) as server:
        client = make_client(server)
        request = training_request(scripts.write("pass"), name="refused", EnableNetworkIsolation=True)
        with pytest.raises(ClientError) as caught:
            client.create_training_job(**request)
        tuning = tuning_request("file:///code", tmp_path / "out")
        tuning["TrainingJobDefinition"]["EnableNetworkIsolation"] = True
        with pytest.raises(ClientError, match="EnableNetworkIsolation"):
            client.create_hyper_parameter_tuning_job(**tuning)
        allowed = training_request(scripts.write("pass"), name="allowed", EnableNetworkIsolation=False)
        client.create_training_job(**allowed)  # without isolation the same job runs

    message = caught.value.response["Error"]["Message"]
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "Operation not permitted" in message  # why
    assert "EnableNetworkIsolation to false" in message  # and how to run without it
