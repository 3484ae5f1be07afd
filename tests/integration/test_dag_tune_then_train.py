"""dag.test() of tune -> train against the real local backend, blocking and deferrable."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pendulum
import pytest

DAG_FILE = Path(__file__).parent / "dags" / "sm_test_tune_then_train.py"

pytestmark = pytest.mark.integration


def load_dag(dag_id: str):
    spec = importlib.util.spec_from_file_location("sm_test_tune_then_train", DAG_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from airflow.sdk import DAG

    dags = {obj.dag_id: obj for obj in vars(module).values() if isinstance(obj, DAG)}
    return dags[dag_id]


def xcom(run, task_id: str, key: str = "return_value"):
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        value = session.scalars(
            select(XComModel.value).where(
                XComModel.dag_id == run.dag_id,
                XComModel.run_id == run.run_id,
                XComModel.task_id == task_id,
                XComModel.key == key,
            )
        ).first()
    return XComModel.deserialize_value(type("Row", (), {"value": value})) if value is not None else None


@pytest.mark.parametrize("mode", ["blocking", "deferred"])
def test_tuned_hyperparameters_reach_the_downstream_training_job(airflow_db, aws_default, sm_client, mode):
    dag = load_dag(f"sm_test_tune_then_train_{mode}")
    when = pendulum.datetime(2026, 11, 1, tz="UTC")

    run = dag.test(run_after=when, logical_date=when)

    assert run.state == "success"
    tune_result = xcom(run, "tune")
    tuned = xcom(run, "tune", "tuned_hyperparameters")
    train_result = xcom(run, "train")
    best = sm_client.describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=tune_result["tuning_job_name"]
    )
    assert tuned == best["BestTrainingJob"]["TunedHyperParameters"]
    assert set(tuned) == {"x", "lr"}
    final = sm_client.describe_training_job(TrainingJobName=train_result["training_job_name"])
    assert final["TrainingJobStatus"] == "Completed"
    for key, value in tuned.items():
        assert final["HyperParameters"][key] == value
    assert final["HyperParameters"]["epochs"] == "3"
    assert train_result["final_metrics"]["loss"] == pytest.approx(
        best["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"], abs=1e-4
    )
    assert tune_result["best_training_job"]["model_artifacts"].endswith("model.tar.gz")


def test_rerunning_the_same_task_instances_reattaches_instead_of_starting_new_jobs(
    airflow_db, aws_default, sm_client
):
    dag = load_dag("sm_test_tune_then_train_blocking")
    when = pendulum.datetime(2026, 11, 8, tz="UTC")
    first = dag.test(run_after=when, logical_date=when)
    tuning_jobs = sm_client.list_hyper_parameter_tuning_jobs()["HyperParameterTuningJobSummaries"]
    training_jobs = sm_client.list_training_jobs(MaxResults=100)["TrainingJobSummaries"]

    second = dag.test(run_after=when, logical_date=when)  # clears and re-runs the same task instances

    assert first.state == second.state == "success"
    assert first.run_id == second.run_id
    assert sm_client.list_hyper_parameter_tuning_jobs()["HyperParameterTuningJobSummaries"] == tuning_jobs
    assert sm_client.list_training_jobs(MaxResults=100)["TrainingJobSummaries"] == training_jobs
    assert xcom(second, "train")["training_job_name"] == xcom(first, "train")["training_job_name"]
