"""Example: one SageMaker training job, waited for in the triggerer.

Trains ``scripts/train.py`` (script mode) on the bundled breast-cancer data with fixed
hyperparameters. Runs on the local backend as is; on AWS set the ``sm_retraining_*`` Variables
described in ``sagemaker_retraining.py``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task
from sm_retraining_pipeline import FINAL_TRAINING_CONFIG, prepare_channels

from airflow_sm_provider.operators import SageMakerTrainingOperator

with DAG(
    dag_id="example_sagemaker_training",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["sagemaker", "example"],
    doc_md=__doc__,
) as dag:
    data = prepare_channels()

    train = SageMakerTrainingOperator(
        task_id="train",
        config=FINAL_TRAINING_CONFIG,
        hyperparameters={"n_estimators": 60, "max_depth": 3, "learning_rate": 0.1},
        aws_conn_id="{{ var.value.get('sm_retraining_aws_conn_id', 'aws_default') }}",
        deferrable=True,
        check_interval=5,
    )

    @task
    def show(result: dict) -> dict:
        """The training XCom: name, status, metrics, artifacts, hyperparameters."""
        print(f"{result['training_job_name']}: {result['final_metrics']} -> {result['model_artifacts']}")
        return result["final_metrics"]

    data >> train
    show(train.output)
