"""Example: submit a training job without waiting, then wait for it with a deferrable sensor.

The sensor could just as well watch a job started outside Airflow: it only needs its name.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG
from sm_retraining_pipeline import FINAL_TRAINING_CONFIG, prepare_channels

from airflow_sm_provider.operators import SageMakerTrainingOperator
from airflow_sm_provider.sensors import SageMakerTrainingSensor

with DAG(
    dag_id="example_sagemaker_sensor",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["sagemaker", "example"],
    doc_md=__doc__,
) as dag:
    data = prepare_channels()

    submit = SageMakerTrainingOperator(
        task_id="submit",
        config=FINAL_TRAINING_CONFIG,
        hyperparameters={"n_estimators": 40},
        aws_conn_id="{{ var.value.get('sm_retraining_aws_conn_id', 'aws_default') }}",
        wait_for_completion=False,
    )

    wait = SageMakerTrainingSensor(
        task_id="wait",
        job_name="{{ ti.xcom_pull(task_ids='submit')['training_job_name'] }}",
        aws_conn_id="{{ var.value.get('sm_retraining_aws_conn_id', 'aws_default') }}",
        deferrable=True,
        poke_interval=5,
        timeout=3600,
    )

    data >> submit >> wait
