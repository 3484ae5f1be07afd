"""Example: a SageMaker hyperparameter tuning job, and its best hyperparameters from XCom.

A small Random search (4 trials, 2 at a time) over the retraining pipeline's search space.
"""

from __future__ import annotations

import copy

import pendulum
from airflow.sdk import DAG, task
from sm_retraining_pipeline import TUNING_CONFIG, prepare_channels

from airflow_sm_provider.operators import SageMakerTuningOperator

SMALL_RANDOM_SEARCH = copy.deepcopy(TUNING_CONFIG)
SMALL_RANDOM_SEARCH["HyperParameterTuningJobConfig"].update(
    Strategy="Random",
    RandomSeed=42,
    ResourceLimits={"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2},
    TrainingJobEarlyStoppingType="Off",
)

with DAG(
    dag_id="example_sagemaker_tuning",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["sagemaker", "example"],
    doc_md=__doc__,
) as dag:
    data = prepare_channels()

    tune = SageMakerTuningOperator(
        task_id="tune",
        config=SMALL_RANDOM_SEARCH,
        aws_conn_id="{{ var.value.get('sm_retraining_aws_conn_id', 'aws_default') }}",
        deferrable=True,
        check_interval=5,
    )

    @task
    def best(tuned: dict, name: str) -> dict:
        """``tuned_hyperparameters`` and ``best_training_job_name`` are XCom keys of their own."""
        print(f"best training job {name}: {tuned}")
        return tuned

    data >> tune
    best(tune.output["tuned_hyperparameters"], tune.output["best_training_job_name"])
