"""RetryStrategy: a job whose process a backend restart lost is retried as SageMaker retries an
InternalServerError, up to MaximumRetryAttempts; without one it fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from sm_local_helpers import make_client, wait_until

from airflow_sm_provider.local.server import LocalServer

pytestmark = pytest.mark.integration

HOLDS_WHILE_FILE_EXISTS = """
import os, time
print("attempt", flush=True)
while os.path.exists(os.environ["HOLD_FILE"]):
    time.sleep(0.02)
open(os.path.join(os.environ["SM_MODEL_DIR"], "done.txt"), "w").write("ok")
"""


def _training(client, name: str) -> None:
    wait_until(
        lambda: client.describe_training_job(TrainingJobName=name)["SecondaryStatus"] == "Training",
        timeout=20,
    )


def _final(client, name: str) -> dict:
    return wait_until(
        lambda: (
            (d := client.describe_training_job(TrainingJobName=name))["TrainingJobStatus"]
            in ("Completed", "Failed", "Stopped")
            and d
        ),
        timeout=30,
    )


def _request(training_request, scripts, name: str, hold: Path, retries: int | None) -> dict:
    request = training_request(scripts.write(HOLDS_WHILE_FILE_EXISTS), name=name)
    request["Environment"] = {"HOLD_FILE": str(hold)}
    if retries is not None:
        request["RetryStrategy"] = {"MaximumRetryAttempts": retries}
    return request


def test_a_job_lost_to_a_restart_is_retried_within_its_retry_strategy(tmp_path, scripts, training_request):
    home, hold = tmp_path / "home", tmp_path / "hold"
    hold.touch()
    with LocalServer(home=home, port=0, stop_grace=1.0) as server:
        client = make_client(server)
        client.create_training_job(**_request(training_request, scripts, "retried", hold, retries=2))
        client.create_training_job(**_request(training_request, scripts, "lost", hold, retries=None))
        _training(client, "retried")
        _training(client, "lost")
    with LocalServer(home=home, port=0, stop_grace=1.0) as server:  # first restart: retry 1 of 2
        client = make_client(server)
        _training(client, "retried")
    hold.unlink()
    with LocalServer(home=home, port=0, stop_grace=1.0) as server:  # second restart: retry 2 of 2
        client = make_client(server)
        retried, lost = _final(client, "retried"), _final(client, "lost")

    assert retried["TrainingJobStatus"] == "Completed", retried.get("FailureReason")
    statuses = [t["Status"] for t in retried["SecondaryStatusTransitions"]]
    assert statuses.count("Restarting") == 2
    assert statuses[-5:] == ["Restarting", "Downloading", "Training", "Uploading", "Completed"]
    assert (tmp_path / "output" / "retried" / "output" / "model.tar.gz").is_file()
    assert lost["TrainingJobStatus"] == "Failed"
    assert lost["FailureReason"].startswith("InternalServerError")


def test_a_job_fails_once_its_retries_are_used_up(tmp_path, scripts, training_request):
    home, hold = tmp_path / "home", tmp_path / "hold"
    hold.touch()
    with LocalServer(home=home, port=0, stop_grace=1.0) as server:
        client = make_client(server)
        client.create_training_job(**_request(training_request, scripts, "once", hold, retries=1))
        _training(client, "once")
    with LocalServer(home=home, port=0, stop_grace=1.0) as server:
        _training(make_client(server), "once")
    with LocalServer(home=home, port=0, stop_grace=1.0) as server:
        job = _final(make_client(server), "once")

    assert job["TrainingJobStatus"] == "Failed"
    assert job["FailureReason"].startswith("InternalServerError")
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]].count("Restarting") == 1
