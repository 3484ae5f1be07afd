"""A triggerer killed mid-wait, its triggers rebuilt from ``serialize()`` in a fresh process:
every job's real outcome arrives exactly once, no job is stopped, and a ``max_ingestion_time``
that ran out while no triggerer ran does not turn a finished job into a timeout."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_sm_provider.local.server import LocalServer
from airflow_sm_provider.triggers.sagemaker import SageMakerTrainingTrigger
from tests.chaos.chaoslib import ROLE, Counts, count_orphans, wait_until

pytestmark = pytest.mark.chaos

HOST = Path(__file__).with_name("trigger_host.py")
SCRIPT = """
import os, time
while not os.path.exists({gate!r}):
    time.sleep(0.05)
print("loss=0.25", flush=True)
"""


def request(name: str, code: Path, output: Path) -> dict[str, Any]:
    return {
        "TrainingJobName": name,
        "RoleArn": ROLE,
        "AlgorithmSpecification": {"TrainingImage": "local/python:3.11", "TrainingInputMode": "File"},
        "HyperParameters": {"sagemaker_program": "train.py", "sagemaker_submit_directory": f"file://{code}"},
        "OutputDataConfig": {"S3OutputPath": f"file://{output}"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 120},
    }


class Triggerer:
    def __init__(self, triggers: list[Any], env: dict[str, str]) -> None:
        serialised = json.dumps([list(trigger.serialize()) for trigger in triggers])
        self.proc = subprocess.Popen(
            [sys.executable, str(HOST), serialised],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith(("watching ", "event ")):
                self.lines.append(line.strip())

    def read_until(self, prefix: str, count: int, timeout: float = 60) -> list[str]:
        def enough() -> list[str] | None:
            found = [line for line in self.lines if line.startswith(prefix)]
            return found if len(found) >= count else None

        return wait_until(enough, timeout=timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


def test_a_triggerer_restart_loses_no_event_and_stops_no_job(tmp_path: Path):
    counts = Counts("triggerer-restart")
    home = tmp_path / "sm-home"
    code = tmp_path / "code"
    code.mkdir()
    gates = {name: tmp_path / f"{name}.gate" for name in ("ends-while-down", "ends-after", "deadline-passed")}
    triggerers: list[Triggerer] = []
    try:
        with LocalServer(home=home, port=0, stop_grace=1.0) as server:
            from tests.integration.local.sm_local_helpers import make_client

            client = make_client(server)
            env = {**os.environ, "AIRFLOW_CONN_AWS_DEFAULT": server.connection_json()}
            for name, gate in gates.items():
                job_code = code / name
                job_code.mkdir()
                (job_code / "train.py").write_text(textwrap.dedent(SCRIPT.format(gate=str(gate))))
                client.create_training_job(**request(name, job_code, tmp_path / "output"))
            triggers = [
                SageMakerTrainingTrigger(
                    job_name=name, poll_interval=1, timeout_at=time.time() + 600, timeout_seconds=600
                )
                for name in gates
            ]
            first = Triggerer(triggers, env)
            triggerers.append(first)
            first.read_until("watching", len(triggers))
            first.kill()
            killed_at = time.time()
            counts.faults_injected += 1

            # while no triggerer runs: two jobs complete, and one trigger's deadline passes
            for name in ("ends-while-down", "deadline-passed"):
                gates[name].write_text("go")
            wait_until(
                lambda: all(
                    client.describe_training_job(TrainingJobName=n)["TrainingJobStatus"] == "Completed"
                    for n in ("ends-while-down", "deadline-passed")
                ),
                timeout=30,
            )
            # the task's max_ingestion_time ran out while no triggerer ran (exp 3 D: poll_interval 1)
            triggers[2] = SageMakerTrainingTrigger(
                job_name="deadline-passed", poll_interval=1, timeout_at=killed_at, timeout_seconds=600
            )

            second = Triggerer(triggers, env)
            triggerers.append(second)
            second.read_until("watching 1 ", 1)  # the job still running is being watched again
            gates["ends-after"].write_text("go")
            events = [json.loads(line.split(" ", 2)[2]) for line in second.read_until("event", len(triggers))]
            statuses = {
                n: client.describe_training_job(TrainingJobName=n)["TrainingJobStatus"] for n in gates
            }
            counts.jobs_created = len(gates)
            counts.task_failures = sum(event["status"] != "success" for event in events)
            counts.jobs_lost = sum(status != "Completed" for status in statuses.values())
            counts.notes.append(f"events {[(e['job_name'], e['status'], e['job_status']) for e in events]}")
    finally:
        for triggerer in triggerers:
            triggerer.kill()
        counts.orphan_processes = count_orphans(home, settle=2.0)
        counts.save()

    assert sorted(event["job_name"] for event in events) == sorted(gates)
    assert all(event["job_status"] == "Completed" for event in events), events
    assert counts.task_failures == counts.jobs_lost == counts.orphan_processes == 0
