"""dags/example_sagemaker_mapped.py: mapped tuning feeds mapped training through ``return_value``."""

from __future__ import annotations

import pendulum
import pytest

from tests.integration.test_dags import load, pipeline_variables  # noqa: F401 - a fixture

pytestmark = pytest.mark.integration


def mapped_xcom(run, task_id: str) -> dict[int, object]:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(XComModel.map_index, XComModel.value).where(
                XComModel.dag_id == run.dag_id,
                XComModel.run_id == run.run_id,
                XComModel.task_id == task_id,
                XComModel.key == "return_value",
            )
        ).all()
    return {index: XComModel.deserialize_value(type("Row", (), {"value": value})) for index, value in rows}


def test_each_mapped_training_task_trains_with_its_own_tuning_jobs_best_hyperparameters(
    airflow_db,
    aws_default,
    sm_client,
    pipeline_variables,  # noqa: F811
):
    when = pendulum.datetime(2026, 11, 4, tz="UTC")
    run = load("example_sagemaker_mapped").test(run_after=when, logical_date=when)
    assert run.state == "success"

    tunes, trains = mapped_xcom(run, "tune"), mapped_xcom(run, "train")
    assert sorted(tunes) == sorted(trains) == [0, 1]
    strategies = set()
    for index in (0, 1):
        tuning = sm_client.describe_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=tunes[index]["tuning_job_name"]
        )
        strategies.add(tuning["HyperParameterTuningJobConfig"]["Strategy"])
        tuned = tuning["BestTrainingJob"]["TunedHyperParameters"]
        final = sm_client.describe_training_job(TrainingJobName=trains[index]["training_job_name"])
        assert {key: final["HyperParameters"][key] for key in tuned} == tuned
    assert strategies == {"Random", "Bayesian"}
