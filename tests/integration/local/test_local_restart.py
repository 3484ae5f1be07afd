"""State survives the backend: a new process with the same --home keeps finished work and
reports jobs that were running when the old one died as Failed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from sm_local_helpers import Endpoint, make_client, wait_until

from airflow_sm_provider.local.server import LocalServer

pytestmark = pytest.mark.integration

LONG = """
import os, time
open(os.path.join(os.environ["SM_OUTPUT_DIR"], "..", "script.pid"), "w").write(str(os.getpid()))
print("started", flush=True)
time.sleep(120)
"""


def _done(client, name):
    description = client.describe_training_job(TrainingJobName=name)
    return description if description["TrainingJobStatus"] in {"Completed", "Failed", "Stopped"} else None


def _script_pid(home: Path, job: str) -> int:
    path = home / "jobs" / job / "script.pid"
    wait_until(lambda: path.is_file() and path.read_text())
    return int(path.read_text())


def test_restart_keeps_finished_work_and_fails_interrupted_jobs(tmp_path, scripts, training_request):
    home = tmp_path / "home"
    with LocalServer(home=home, port=0, stop_grace=1.0) as first:
        client = make_client(first)
        client.create_training_job(
            **training_request(
                scripts.write("print('loss=0.5')"),
                name="finished",
                metrics=[{"Name": "loss", "Regex": "loss=([0-9.]+)"}],
                Tags=[{"Key": "k", "Value": "v"}],
            )
        )
        before = wait_until(lambda: _done(client, "finished"))
        client.create_training_job(**training_request(scripts.write(LONG), name="interrupted"))
        pid = _script_pid(home, "interrupted")
        client.create_model(ModelName="kept", PrimaryContainer={"Image": "img"})
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE

    with LocalServer(home=home, port=0) as second:
        client = make_client(second)
        after = client.describe_training_job(TrainingJobName="finished")
        interrupted = client.describe_training_job(TrainingJobName="interrupted")
        names = [s["TrainingJobName"] for s in client.list_training_jobs()["TrainingJobSummaries"]]
        model = client.describe_model(ModelName="kept")
        tags = client.list_tags(ResourceArn=after["TrainingJobArn"])["Tags"]

    for key in (
        "TrainingJobStatus",
        "SecondaryStatusTransitions",
        "FinalMetricDataList",
        "ModelArtifacts",
        "CreationTime",
        "TrainingEndTime",
        "HyperParameters",
    ):
        assert after[key] == before[key], key
    assert interrupted["TrainingJobStatus"] == "Failed"
    assert "local SageMaker backend restarted" in interrupted["FailureReason"]
    assert names == ["finished", "interrupted"]
    assert model["ModelArn"].endswith(":model/kept")
    assert tags == [{"Key": "k", "Value": "v"}]
    log = subprocess.run(
        [sys.executable, "-m", "airflow_sm_provider.local", "logs", "interrupted", "--home", str(home)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "started" in log.stdout


def _serve(home: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_sm_provider.local",
            "serve",
            "--port",
            "0",
            "--home",
            str(home),
            "--stop-grace",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.poll() is not None else url
    return proc, url


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_cli_server_shuts_down_cleanly_and_stops_its_jobs(tmp_path, scripts, training_request, sig):
    home = tmp_path / "home"
    proc, url = _serve(home)
    try:
        client = make_client(Endpoint.of_home(url, home))
        client.create_training_job(**training_request(scripts.write(LONG), name="running"))
        pid = _script_pid(home, "running")

        proc.send_signal(sig)
        assert proc.wait(timeout=15) == 0
        wait_until(lambda: not psutil.pid_exists(pid), timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_killed_backend_leaves_no_orphan_after_restart(tmp_path, scripts, training_request):
    home = tmp_path / "home"
    proc, url = _serve(home)
    try:
        client = make_client(Endpoint.of_home(url, home))
        client.create_training_job(**training_request(scripts.write(LONG), name="orphaned"))
        pid = _script_pid(home, "orphaned")
        proc.kill()  # no chance to clean up: the launcher's parent-death signal ends the script
        proc.wait(timeout=5)
        wait_until(
            lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE,
            timeout=5,
        )

        proc, url = _serve(home)
        job = make_client(Endpoint.of_home(url, home)).describe_training_job(TrainingJobName="orphaned")

        assert job["TrainingJobStatus"] == "Failed"
        assert "restarted" in job["FailureReason"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
        if psutil.pid_exists(pid):
            os.killpg(pid, signal.SIGKILL)


def test_logs_command_reports_a_missing_job(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "airflow_sm_provider.local", "logs", "ghost", "--home", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "ghost" in result.stderr
    path = subprocess.run(
        [
            sys.executable,
            "-m",
            "airflow_sm_provider.local",
            "logs",
            "ghost",
            "--path",
            "--home",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert path.stdout.strip() == str(tmp_path / "jobs" / "ghost" / "log.txt")
