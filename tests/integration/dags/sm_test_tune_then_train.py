"""Tune, then train with the tuned hyperparameters: once blocking, once deferrable.

Runs against whatever ``aws_default`` points at; the integration tests point it at the local
backend. Paths come from the environment the tests set, read at run time through templates.
"""

from __future__ import annotations

from airflow.sdk import DAG

from airflow_sm_provider.operators import SageMakerTrainingOperator, SageMakerTuningOperator
from tests.integration.dags.sm_test_configs import TRAINING, TUNING


def build(mode: str, deferrable: bool) -> DAG:
    with DAG(f"sm_test_tune_then_train_{mode}", schedule=None, catchup=False, tags=["test"]) as dag:
        tune = SageMakerTuningOperator(task_id="tune", config=TUNING, deferrable=deferrable, check_interval=1)
        train = SageMakerTrainingOperator(
            task_id="train",
            config=TRAINING,
            hyperparameters=tune.output["tuned_hyperparameters"],
            deferrable=deferrable,
            check_interval=1,
        )
        tune >> train
    return dag


blocking = build("blocking", False)
deferred = build("deferred", True)
