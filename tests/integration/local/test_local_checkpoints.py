"""CheckpointConfig: restored before the script starts, synced while it runs, and kept when the
job fails or is stopped."""

from __future__ import annotations

from pathlib import Path

import pytest
from sm_local_helpers import wait_until

pytestmark = pytest.mark.integration

SAVES_THEN_FAILS = """
import os, sys, time
ckpt = os.environ["SM_CHECKPOINT_DIR"]
restored = open(os.path.join(ckpt, "restored.txt")).read()
def hold(name):
    while os.path.exists(os.path.join(HOLD, name)):
        time.sleep(0.02)
HOLD = os.environ["HOLD_DIR"]
open(os.path.join(ckpt, "step.txt"), "w").write(restored + "+1")
hold("first")
open(os.path.join(ckpt, "step.txt"), "w").write(restored + "+2")
os.makedirs(os.path.join(ckpt, "nested"), exist_ok=True)
open(os.path.join(ckpt, "nested", "opt.txt"), "w").write("adam")
hold("second")
open(os.path.join(ckpt, "last-words.txt"), "w").write("written just before failing")
sys.exit(4)
"""

SAVES_ON_SIGTERM = """
import os, signal, sys, time
ckpt = os.environ["SM_CHECKPOINT_DIR"]
def on_term(*_):
    open(os.path.join(ckpt, "on-stop.txt"), "w").write("saved on SIGTERM")
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""


def _with_checkpoints(request: dict, uri: Path, hold: Path | None = None) -> dict:
    request["CheckpointConfig"] = {"S3Uri": f"file://{uri}", "LocalPath": "/opt/ml/checkpoints"}
    if hold is not None:
        request["Environment"] = {"HOLD_DIR": str(hold)}
    return request


def _read(path: Path) -> str | None:
    return path.read_text() if path.is_file() else None


def test_checkpoints_restore_sync_while_training_and_survive_a_failure(
    sm_client, scripts, training_request, wait_for_status, tmp_path
):
    remote = tmp_path / "remote-checkpoints"
    remote.mkdir()
    (remote / "restored.txt").write_text("from-s3")
    hold = tmp_path / "hold"
    hold.mkdir()
    (hold / "first").touch()
    (hold / "second").touch()
    request = _with_checkpoints(training_request(scripts.write(SAVES_THEN_FAILS), name="ckpt"), remote, hold)
    sm_client.create_training_job(**request)

    # restored before the script started (it read restored.txt), then synced while it runs
    wait_until(lambda: _read(remote / "step.txt") == "from-s3+1", timeout=10)
    assert sm_client.describe_training_job(TrainingJobName="ckpt")["SecondaryStatus"] == "Training"
    (hold / "first").unlink()
    wait_until(lambda: _read(remote / "step.txt") == "from-s3+2", timeout=10)  # a changed file
    wait_until(lambda: _read(remote / "nested" / "opt.txt") == "adam", timeout=10)
    assert sm_client.describe_training_job(TrainingJobName="ckpt")["SecondaryStatus"] == "Training"
    (hold / "second").unlink()

    job = wait_for_status("ckpt")

    assert job["TrainingJobStatus"] == "Failed"
    assert _read(remote / "last-words.txt") == "written just before failing"  # the final sync


def test_checkpoints_written_while_stopping_are_kept(
    sm_client, scripts, training_request, wait_for_status, local_server, tmp_path
):
    remote = tmp_path / "remote-checkpoints"
    request = _with_checkpoints(training_request(scripts.write(SAVES_ON_SIGTERM), name="stopped"), remote)
    sm_client.create_training_job(**request)
    log = Path(local_server.home) / "jobs" / "stopped" / "log.txt"
    wait_until(lambda: log.is_file() and "ready" in log.read_text(), timeout=10)

    sm_client.stop_training_job(TrainingJobName="stopped")
    job = wait_for_status("stopped")

    assert job["TrainingJobStatus"] == "Stopped"
    assert _read(remote / "on-stop.txt") == "saved on SIGTERM"


def test_a_local_path_outside_opt_ml_stays_inside_the_job_directory(
    sm_client, scripts, training_request, wait_for_status, local_server, tmp_path
):
    target = tmp_path / "host-path"
    code = scripts.write("""
        import os
        open(os.path.join(os.environ["SM_CHECKPOINT_DIR"], "c.txt"), "w").write("x")
    """)
    request = training_request(code, name="mapped")
    request["CheckpointConfig"] = {"S3Uri": f"file://{tmp_path / 'remote'}", "LocalPath": str(target)}
    sm_client.create_training_job(**request)

    job = wait_for_status("mapped")

    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert not target.exists()  # never the host path the request named
    inside = Path(local_server.home) / "jobs" / "mapped" / "fs" / str(target).lstrip("/") / "c.txt"
    assert inside.read_text() == "x"
    assert (tmp_path / "remote" / "c.txt").read_text() == "x"
