"""The backend killed (SIGKILL, SIGTERM) at several points of a tuning job, then restarted on
the same home: nothing acknowledged is lost, finished trials are unchanged, the tuning job ends
Completed within its budget, and no process of the killed backend's jobs is left behind."""

from __future__ import annotations

import signal
import textwrap
from pathlib import Path
from typing import Any

import pytest

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
