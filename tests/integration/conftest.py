"""Fixtures for running DAGs with dag.test() against the local backend over HTTP."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from airflow_sm_provider.local.server import LocalServer


@pytest.fixture(scope="session")
def airflow_db():
    """Migrate the session's metadata DB (SQLite under the test AIRFLOW_HOME) once."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True, timeout=300
    )


@pytest.fixture
def sm_backend(tmp_path: Path):
    with LocalServer(home=tmp_path / "sm-home", port=0, stop_grace=1.0) as server:
        yield server


@pytest.fixture
def aws_default(monkeypatch, sm_backend, tmp_path: Path):
    """Point ``aws_default`` at the local backend, and the test DAGs' output at a temp dir."""
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", sm_backend.connection_json())
    monkeypatch.setenv("AIRFLOW_VAR_SM_TEST_OUTPUT_DIR", str(tmp_path / "output"))
    return sm_backend


@pytest.fixture
def sm_client(sm_backend):
    import boto3

    return boto3.client(
        "sagemaker",
        endpoint_url=sm_backend.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=sm_backend.credentials.access_key_id,
        aws_secret_access_key=sm_backend.credentials.secret_access_key,
    )
