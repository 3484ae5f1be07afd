"""One small DAG per mistake a DAG author makes (issue 12), for dag.test() against the local backend.

Each DAG has a single task (the tuning one two), so a test reads exactly one outcome.
"""

from __future__ import annotations

import copy

from airflow.sdk import DAG

from airflow_sm_provider.operators import SageMakerTrainingOperator, SageMakerTuningOperator
from tests.integration.dags.sm_test_configs import TRAINING, TUNING

CHANNEL = {
    "ChannelName": "train",
    "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "file:///tmp/sm-test-data/"}},
}


def training(**changes):
    config = copy.deepcopy(TRAINING)
    for path, value in changes.items():
        node = config
        *parents, last = path.split("__")
        for parent in parents:
            node = node.setdefault(parent, {})
        node[last] = value
    return config


def tuning_with_metrics(metrics):
    config = copy.deepcopy(TUNING)
    config["TrainingJobDefinition"]["AlgorithmSpecification"]["MetricDefinitions"] = metrics
    return config


def one_task(dag_id: str, operator_class, **kwargs) -> DAG:
    with DAG(dag_id, schedule=None, catchup=False, tags=["test"]) as dag:
        operator_class(task_id="job", check_interval=1, **kwargs)
    return dag


CASES = {
    "channel_name": one_task(
        "sm_test_mistake_channel_name",
        SageMakerTrainingOperator,
        config=training(InputDataConfig=[{**CHANNEL, "ChannelName": "../../x"}]),
    ),
    "duplicate_channels": one_task(
        "sm_test_mistake_duplicate_channels",
        SageMakerTrainingOperator,
        config=training(InputDataConfig=[CHANNEL, CHANNEL]),
    ),
    "environment_key": one_task(
        "sm_test_mistake_environment_key",
        SageMakerTrainingOperator,
        config=training(Environment={"MY KEY": "1"}),
    ),
    "role_name": one_task(
        "sm_test_mistake_role_name",
        SageMakerTrainingOperator,
        config=training(RoleArn="MySageMakerExecutionRoleName"),
    ),
    "spot_without_wait": one_task(
        "sm_test_mistake_spot_without_wait",
        SageMakerTrainingOperator,
        config=training(EnableManagedSpotTraining=True),
    ),
    "connection": one_task(
        "sm_test_mistake_connection",
        SageMakerTrainingOperator,
        config=training(),
        aws_conn_id="aws_prod_typo",
    ),
    "missing_metric": one_task(
        "sm_test_mistake_missing_metric",
        SageMakerTrainingOperator,
        config=training(
            AlgorithmSpecification__MetricDefinitions=[
                {"Name": "loss", "Regex": r"loss=([0-9.]+)"},
                {"Name": "validation:accuracy", "Regex": r"acc=([0-9.]+)"},
            ]
        ),
    ),
    "objective_never_reported": one_task(
        "sm_test_mistake_objective_never_reported",
        SageMakerTuningOperator,
        config=tuning_with_metrics([{"Name": "loss", "Regex": r"validation_loss=([0-9.]+)"}]),
    ),
}
