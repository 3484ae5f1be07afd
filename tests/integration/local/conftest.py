"""Fixtures for driving the local backend over HTTP with real boto3 clients.

- ``local_server``: a :class:`LocalServer` on a free port with a fresh home (``tmp_path``).
- ``sm_client``: a boto3 SageMaker client for it; every response it receives is checked against
  botocore's output shape for the operation (unknown keys, missing required members, types).
- ``scripts``: writes tiny training scripts into a code directory and returns its ``file://`` URI.
- ``training_request``: builds a CreateTrainingJob request for a script.
- ``wait_for_status``: polls DescribeTrainingJob with a deadline (``sm_local_helpers.wait_until``).
"""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sm_local_helpers import ROLE, make_client, wait_until

from airflow_sm_provider.local.server import LocalServer

TERMINAL = {"Completed", "Failed", "Stopped"}


@pytest.fixture
def local_server(tmp_path: Path):
    with LocalServer(home=tmp_path / "home", port=0, stop_grace=1.0) as server:
        yield server


@pytest.fixture
def sm_client(local_server: LocalServer):
    return make_client(local_server)


@pytest.fixture
def wait_for_status(sm_client):
    def wait(name: str, statuses: set[str] = TERMINAL, timeout: float = 20.0, client: Any = None) -> dict:
        client = client or sm_client

        def done() -> dict | None:
            description = client.describe_training_job(TrainingJobName=name)
            return description if description["TrainingJobStatus"] in statuses else None

        return wait_until(done, timeout)

    return wait


class Scripts:
    """Writes training scripts into fresh code directories under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._ids = itertools.count()

    def write(self, source: str, name: str = "train.py", extra: dict[str, str] | None = None) -> str:
        code = self.root / f"code{next(self._ids)}"
        code.mkdir(parents=True)
        (code / name).write_text(textwrap.dedent(source))
        for filename, content in (extra or {}).items():
            (code / filename).write_text(content)
        return f"file://{code}"


@pytest.fixture
def scripts(tmp_path: Path) -> Scripts:
    return Scripts(tmp_path / "scripts")


@pytest.fixture
def training_request(tmp_path: Path):
    names = itertools.count()

    def build(
        code_uri: str,
        *,
        name: str | None = None,
        program: str = "train.py",
        hyperparameters: dict[str, str] | None = None,
        metrics: list[dict] | None = None,
        max_runtime: int = 60,
        output: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "TrainingJobName": name or f"job-{next(names)}",
            "RoleArn": ROLE,
            "AlgorithmSpecification": {
                "TrainingImage": "local/sklearn:latest",
                "TrainingInputMode": "File",
                "MetricDefinitions": metrics or [],
            },
            "HyperParameters": {
                "sagemaker_program": f'"{program}"',
                "sagemaker_submit_directory": f'"{code_uri}"',
                **(hyperparameters or {}),
            },
            "OutputDataConfig": {"S3OutputPath": output or f"file://{tmp_path / 'output'}"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
            "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime},
        }
        request.update(extra)
        return request

    return build
