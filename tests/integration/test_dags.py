"""Every DAG in dags/ parses cleanly; the retraining pipeline and the examples run on the local backend."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pendulum
import pytest

from tests.integration.test_dag_tune_then_train import xcom

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"
EXPECTED = {
    "sagemaker_retraining",
    "example_sagemaker_training",
    "example_sagemaker_tuning",
    "example_sagemaker_sensor",
    "example_sagemaker_xgboost",
    "example_sagemaker_approved_model",
}
# Every .py file at the top of dags/ is a DAG file; dags/retraining/ is the shared package.
DAG_FILES = sorted(path.name for path in DAGS.glob("*.py"))


def variables() -> ModuleType:
    """dags/retraining/config.py, the one list of the DAGs' Variables (loaded by path: no imports)."""
    spec = importlib.util.spec_from_file_location("retraining_variables", DAGS / "retraining" / "config.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse(folder: Path) -> dict:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONWARNINGS": "default"}
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("parse_dags_probe.py")), str(folder)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_parse_probe_sees_disk_and_network_access(tmp_path):
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "bad_dag.py").write_text(
        "import socket\nfrom airflow.sdk import DAG\n"
        "open(__file__ + '.written', 'w').close()\n"
        "try:\n    socket.create_connection(('127.0.0.1', 9), timeout=1)\nexcept OSError:\n    pass\n"
        "with DAG('bad_dag', schedule=None):\n    pass\n"
    )
    report = parse(tmp_path / "dags")
    assert report["dags"] == ["bad_dag"]
    assert any(event.startswith("open ") and ".written" in event for event in report["events"])
    assert any(event.startswith("socket.connect") for event in report["events"])


@pytest.fixture(scope="module")
def parsed() -> dict:
    return parse(DAGS)


def test_every_dag_parses_without_errors_warnings_network_or_disk_access(parsed):
    assert parsed["import_errors"] == {}
    assert parsed["warnings"] == {}
    assert EXPECTED <= set(parsed["dags"])
    assert parsed["events"] == []


def test_the_shared_retraining_package_is_not_parsed_as_dag_files(parsed):
    # dags/.airflowignore: the DAG files import retraining/, the dag-processor never opens it.
    assert parsed["files"] == DAG_FILES


def load(dag_id: str):
    from airflow.dag_processing.dagbag import BundleDagBag

    bag = BundleDagBag(dag_folder=str(DAGS), bundle_path=DAGS, bundle_name="dags-folder")
    return bag.dags[dag_id]


@pytest.fixture
def pipeline_variables(monkeypatch, tmp_path):
    config = variables()
    for part in ("data", "code", "output"):
        monkeypatch.setenv(config.env_name(f"{part}_uri"), (tmp_path / part).as_uri())
    monkeypatch.setenv(config.env_name("max_trials"), "3")


@pytest.mark.integration
def test_retraining_pipeline_trains_the_final_model_with_exactly_the_tuned_hyperparameters(
    airflow_db, aws_default, sm_client, pipeline_variables
):
    when = pendulum.datetime(2026, 11, 2, tz="UTC")
    run = load("sagemaker_retraining").test(run_after=when, logical_date=when)

    assert run.state == "success"
    tuned = xcom(run, "tune", "tuned_hyperparameters")
    final = sm_client.describe_training_job(TrainingJobName=xcom(run, "train_final")["training_job_name"])
    tuning = sm_client.describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=xcom(run, "tune")["tuning_job_name"]
    )
    assert tuned == tuning["BestTrainingJob"]["TunedHyperParameters"]
    assert {k: final["HyperParameters"][k] for k in tuned} == tuned
    report = xcom(run, "report")
    version = sm_client.describe_model_package(ModelPackageName=report["model_package"]["model_package_arn"])
    container = version["InferenceSpecification"]["Containers"][0]
    assert container["ModelDataUrl"] == final["ModelArtifacts"]["S3ModelArtifacts"]
    assert report["model_artifacts"] == final["ModelArtifacts"]["S3ModelArtifacts"]
    assert report["final_metrics"]["test:accuracy"] > 0.85


@pytest.mark.integration
@pytest.mark.parametrize("dag_id", sorted(EXPECTED - {"sagemaker_retraining"}))
def test_example_dags_run_on_the_local_backend(airflow_db, aws_default, pipeline_variables, dag_id):
    when = pendulum.datetime(2026, 11, 3, tz="UTC")
    run = load(dag_id).test(run_after=when, logical_date=when)
    assert run.state == "success"
