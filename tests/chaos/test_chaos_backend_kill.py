"""The backend killed (SIGKILL, SIGTERM) at several points of a tuning job, then restarted on
the same home: nothing acknowledged is lost, finished trials are unchanged, the tuning job ends
Completed within its budget, and no process of the killed backend's jobs is left behind."""

from __future__ import annotations

import signal
import textwrap
from pathlib import Path
from typing import Any

import pytest

from airflow_sm_provider.local import cgroups
from tests.chaos.chaoslib import ROLE, Backend, Counts, count_orphans, processes_of, training_jobs, wait_until

pytestmark = pytest.mark.chaos

TRIAL = """
import os, sys, time
x = float(sys.argv[sys.argv.index("--x") + 1])
time.sleep(2.5)  # quiet: a dead backend's closed pipe would not end it before it prints
print(f"loss={(x - 3) ** 2:.6f}", flush=True)
"""
TRIALS = 5


def tuning_request(code: Path, output: Path) -> dict[str, Any]:
    return {
        "HyperParameterTuningJobName": "chaos-tune",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "RandomSeed": 11,
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": TRIALS, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": {
                "ContinuousParameterRanges": [{"Name": "x", "MinValue": "0", "MaxValue": "6"}]
            },
        },
        "TrainingJobDefinition": {
            "RoleArn": ROLE,
            "AlgorithmSpecification": {
                "TrainingImage": "local/python:3.11",
                "TrainingInputMode": "File",
                "MetricDefinitions": [{"Name": "loss", "Regex": r"loss=([0-9.]+)"}],
            },
            "StaticHyperParameters": {
                "sagemaker_program": "trial.py",
                "sagemaker_submit_directory": f"file://{code}",
            },
            "OutputDataConfig": {"S3OutputPath": f"file://{output}"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
            "StoppingCondition": {"MaxRuntimeInSeconds": 60},
        },
    }


def _finished(client: Any) -> dict[str, dict[str, Any]]:
    return {
        job["TrainingJobName"]: client.describe_training_job(TrainingJobName=job["TrainingJobName"])
        for job in training_jobs(client)
        if job["TrainingJobStatus"] == "Completed"
    }


def _running(client: Any, home: Path, nth: int) -> bool:
    jobs = sorted(training_jobs(client), key=lambda job: job["CreationTime"])
    if len(jobs) < nth:
        return False
    name = jobs[nth - 1]["TrainingJobName"]
    return any(name in (proc.info["cwd"] or "") for proc in processes_of(home))


def _alive_after(home: Path, seconds: float) -> int:
    try:
        wait_until(lambda: not processes_of(home), timeout=seconds, interval=0.05)
    except AssertionError:
        return len(processes_of(home))
    return 0


@pytest.mark.parametrize(
    ("sig", "when_listed"),
    [(signal.SIGKILL, 1), (signal.SIGKILL, 3), (signal.SIGTERM, 2)],
    ids=["SIGKILL-first-trial", "SIGKILL-third-trial", "SIGTERM-second-trial"],
)
def test_a_killed_backend_loses_nothing_and_leaves_no_process(tmp_path: Path, sig: int, when_listed: int):
    counts = Counts(f"backend-{signal.Signals(sig).name}-at-trial-{when_listed}")
    code = tmp_path / "code"
    code.mkdir()
    (code / "trial.py").write_text(textwrap.dedent(TRIAL))
    home = tmp_path / "home"
    backend = Backend(home).start()
    second: Backend | None = None
    try:
        client = backend.client()
        client.create_hyper_parameter_tuning_job(**tuning_request(code, tmp_path / "output"))
        # the moment the Nth trial's script is running (its process found by its job directory)
        wait_until(lambda: _running(client, home, when_listed), timeout=60, interval=0.02)
        before = _finished(client)
        listed = {job["TrainingJobName"] for job in training_jobs(client)}
        backend.signal(sig)
        counts.faults_injected = 1
        backend.wait(30)
        # the processes of the dead backend's jobs end with it (within a second), not at the next start
        orphans_before_restart = _alive_after(home, 1.0)

        second = Backend(home, port=backend.port).start()
        client = second.client()
        final = wait_until(
            lambda: (
                (d := client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="chaos-tune"))[
                    "HyperParameterTuningJobStatus"
                ]
                in ("Completed", "Failed", "Stopped")
                and d
            ),
            timeout=90,
            interval=0.2,
        )
        after = {job["TrainingJobName"]: job for job in training_jobs(client)}
        counts.jobs_created = 1 + len(after)
        unchanged = all(
            client.describe_training_job(TrainingJobName=name)["FinalMetricDataList"]
            == job["FinalMetricDataList"]
            for name, job in before.items()
        )
        counts.jobs_lost = len(listed - set(after)) + (final["HyperParameterTuningJobStatus"] != "Completed")
        counts.jobs_lost += 0 if unchanged else 1
        counts.task_failures = 0
        trials = final["TrainingJobStatusCounters"]
        counts.notes.append(f"trials {trials}; orphans before restart {orphans_before_restart}")
        second.stop()
        counts.orphan_processes = orphans_before_restart + count_orphans(home, settle=3.0)
    finally:
        for process in (backend, second):
            if process is not None:
                process.stop()
        count_orphans(home, settle=0)
        counts.save()

    assert counts.jobs_lost == 0
    assert (
        final["TrainingJobStatusCounters"]["Completed"]
        + final["TrainingJobStatusCounters"]["NonRetryableError"]
        <= TRIALS
    )
    assert len(after) <= TRIALS + trials.get("RetryableError", 0)
    assert counts.orphan_processes == 0


KILLS_ITS_LAUNCHER = """
import os, subprocess, sys, time
here = os.path.dirname(os.environ["SM_OUTPUT_DIR"])
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"], start_new_session=True)
open(os.path.join(here, "detached"), "w").close()
while not os.path.exists(os.path.join(here, "go")):
    time.sleep(0.01)
os.kill(os.getppid(), 9)  # the launcher
open(os.path.join(here, "killed"), "w").close()
time.sleep(300)
"""


def training_request(name: str, code: Path, output: Path) -> dict[str, Any]:
    return {
        "TrainingJobName": name,
        "RoleArn": ROLE,
        "AlgorithmSpecification": {"TrainingImage": "local/python:3.11", "TrainingInputMode": "File"},
        "HyperParameters": {"sagemaker_program": "train.py", "sagemaker_submit_directory": f"file://{code}"},
        "OutputDataConfig": {"S3OutputPath": f"file://{output}"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 60},
    }


def _ended(client: Any, name: str) -> str | None:
    status = client.describe_training_job(TrainingJobName=name)["TrainingJobStatus"]
    return status if status in ("Completed", "Failed", "Stopped") else None


def _remove_cgroups(home: Path) -> None:
    """What a restart would do for a killed backend's home: its cgroups go, empty or not."""
    try:
        cgroups.find(home).kill()
    except cgroups.CgroupUnavailable:
        pass


def test_a_script_that_kills_its_launcher_leaves_no_process(tmp_path: Path):
    """Two jobs whose scripts detach a sleeper and SIGKILL their own launcher: the first with the
    backend running (the job's end must take the sleeper), the second while the backend is
    frozen, which is then SIGKILLed (the restart must take script and sleeper)."""
    counts = Counts("script-kills-its-launcher")
    code = tmp_path / "code"
    code.mkdir()
    (code / "train.py").write_text(textwrap.dedent(KILLS_ITS_LAUNCHER))
    home = tmp_path / "home"
    backend = Backend(home).start()
    second: Backend | None = None
    orphans_after_job = orphans_after_restart = 0
    statuses: list[str | None] = [None, None]
    try:
        client = backend.client()
        for name in ("running-backend", "killed-backend"):
            client.create_training_job(**training_request(name, code, tmp_path / "output"))
            counts.jobs_created += 1
            wait_until(lambda name=name: (home / "jobs" / name / "detached").exists(), timeout=30)
        # the backend running: the job ends Failed and takes its detached sleeper along
        (home / "jobs" / "running-backend" / "go").touch()
        counts.faults_injected += 1
        statuses[0] = wait_until(lambda: _ended(client, "running-backend"), timeout=30)
        orphans_after_job = _alive_after(home / "jobs" / "running-backend", 1.0)
        backend.signal(signal.SIGSTOP)  # the backend cannot act from here on: as if killed at once
        (home / "jobs" / "killed-backend" / "go").touch()
        wait_until(lambda: (home / "jobs" / "killed-backend" / "killed").exists(), timeout=30)
        backend.signal(signal.SIGKILL)
        counts.faults_injected += 2
        backend.wait(30)

        second = Backend(home, port=backend.port).start()
        client = second.client()
        statuses[1] = _ended(client, "killed-backend")
        counts.jobs_lost = len(
            {"running-backend", "killed-backend"} - {j["TrainingJobName"] for j in training_jobs(client)}
        )
        orphans_after_restart = _alive_after(home / "jobs" / "killed-backend", 3.0)
        counts.notes.append(
            f"orphans after the job {orphans_after_job}, after the restart {orphans_after_restart}"
        )
        second.stop()
        counts.orphan_processes = orphans_after_job + orphans_after_restart
    finally:
        for process in (backend, second):
            if process is not None and process.proc is not None and process.proc.poll() is None:
                process.signal(signal.SIGCONT)
                process.stop()
        count_orphans(home, settle=0)
        _remove_cgroups(home)
        counts.save()

    assert statuses == ["Failed", "Failed"]
    assert counts.jobs_lost == 0
    assert counts.orphan_processes == 0
