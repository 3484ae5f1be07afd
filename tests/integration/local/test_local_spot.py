"""Managed spot training: SageMaker's rules at create, MaxWaitTimeInSeconds enforced, and the
opt-in interruption simulator that restarts jobs from their checkpoints."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from sm_local_helpers import make_client, wait_until
from sm_tuning_helpers import tuning_request

from airflow_sm_provider.local.server import LocalServer
from airflow_sm_provider.local.training.options import SpotInterruptions, TrainingOptions

pytestmark = pytest.mark.integration

RESUMES_FROM_CHECKPOINTS = """
import json, os, time
ckpt = os.environ["SM_CHECKPOINT_DIR"]
state = os.path.join(ckpt, "state.json")
start = json.load(open(state))["epoch"] + 1 if os.path.exists(state) else 0
for epoch in range(start, 8):
    time.sleep(0.4)
    with open(state + ".tmp", "w") as f:
        json.dump({"epoch": epoch}, f)
    os.replace(state + ".tmp", state)
    print(f"epoch={epoch}", flush=True)
with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.json"), "w") as f:
    json.dump({"resumed_from": start}, f)
"""


def _spot(request: dict, tmp_path: Path, wait: int, runtime: int) -> dict:
    request["EnableManagedSpotTraining"] = True
    request["StoppingCondition"] = {"MaxRuntimeInSeconds": runtime, "MaxWaitTimeInSeconds": wait}
    request["CheckpointConfig"] = {"S3Uri": f"file://{tmp_path / 'checkpoints'}"}
    return request


@pytest.fixture
def spot_client(tmp_path: Path):
    def start(schedule: tuple[float, ...]):
        options = TrainingOptions(spot=SpotInterruptions(schedule=schedule))
        server = LocalServer(home=tmp_path / "spot-home", port=0, stop_grace=1.0, training=options)
        servers.append(server.start())
        return make_client(server)

    servers: list[LocalServer] = []
    yield start
    for server in servers:
        server.stop()


def _wait(client, name: str, timeout: float = 30.0) -> dict:
    return wait_until(
        lambda: (
            (d := client.describe_training_job(TrainingJobName=name))["TrainingJobStatus"]
            in ("Completed", "Failed", "Stopped")
            and d
        ),
        timeout,
    )


@pytest.mark.parametrize(
    ("spot", "stopping", "message"),
    [
        (False, {"MaxRuntimeInSeconds": 60, "MaxWaitTimeInSeconds": 60}, "only supported when Enable"),
        (True, {"MaxRuntimeInSeconds": 60}, "MaxWaitTimeInSeconds"),
        (True, {"MaxRuntimeInSeconds": 60, "MaxWaitTimeInSeconds": 30}, "greater than or equal"),
    ],
)
def test_sagemakers_spot_rules_are_checked_at_create(
    sm_client, scripts, training_request, spot, stopping, message
):
    request = training_request(
        scripts.write("pass"), EnableManagedSpotTraining=spot, StoppingCondition=stopping
    )
    with pytest.raises(ClientError, match=message):
        sm_client.create_training_job(**request)


def test_spot_rules_apply_to_a_tuning_jobs_definition(sm_client, tmp_path):
    request = tuning_request("file:///nowhere", tmp_path / "out")
    request["TrainingJobDefinition"]["StoppingCondition"]["MaxWaitTimeInSeconds"] = 600
    with pytest.raises(ClientError, match="only supported when EnableManagedSpotTraining"):
        sm_client.create_hyper_parameter_tuning_job(**request)


def test_an_interrupted_spot_job_restarts_from_its_checkpoints(
    spot_client, scripts, training_request, tmp_path
):
    client = spot_client((1.0,))  # the first run loses its instance after 1 s of training
    request = _spot(training_request(scripts.write(RESUMES_FROM_CHECKPOINTS), name="spot"), tmp_path, 120, 60)
    client.create_training_job(**request)

    job = _wait(client, "spot")

    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    statuses = [t["Status"] for t in job["SecondaryStatusTransitions"]]
    assert statuses[:4] == ["Starting", "Downloading", "Training", "Interrupted"]
    assert statuses[4:] == ["Starting", "Downloading", "Training", "Uploading", "Completed"]
    with tarfile.open(tmp_path / "output" / "spot" / "output" / "model.tar.gz") as tar:
        model = json.load(tar.extractfile("model.json"))  # type: ignore[arg-type]
    assert model["resumed_from"] >= 1  # the second run started from the first one's checkpoint
    assert json.loads((tmp_path / "checkpoints" / "state.json").read_text()) == {"epoch": 7}
    assert job["BillableTimeInSeconds"] < job["TrainingTimeInSeconds"]


def test_max_wait_time_ends_a_spot_job_that_keeps_being_interrupted(
    spot_client, scripts, training_request, tmp_path
):
    client = spot_client((0.5,) * 100)
    request = _spot(training_request(scripts.write(RESUMES_FROM_CHECKPOINTS), name="starved"), tmp_path, 3, 3)
    client.create_training_job(**request)

    job = _wait(client, "starved")

    assert (job["TrainingJobStatus"], job["SecondaryStatus"]) == ("Stopped", "MaxWaitTimeExceeded")
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]].count("Interrupted") >= 2


def test_without_the_simulator_a_spot_job_runs_uninterrupted(
    sm_client, scripts, training_request, wait_for_status, tmp_path
):
    request = _spot(training_request(scripts.write("print('ok')"), name="calm"), tmp_path, 60, 60)
    sm_client.create_training_job(**request)

    job = wait_for_status("calm")

    assert job["TrainingJobStatus"] == "Completed"
    assert "Interrupted" not in [t["Status"] for t in job["SecondaryStatusTransitions"]]
    assert job["EnableManagedSpotTraining"] is True
