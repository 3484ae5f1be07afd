"""One training task with typed specs for two instances, managed spot with checkpoints, network
isolation and a retry strategy. Paths come from Variables the test sets (read at run time)."""

from __future__ import annotations

from airflow.sdk import DAG

from airflow_sm_provider.operators import SageMakerTrainingOperator
from airflow_sm_provider.specs import (
    AlgorithmSpecification,
    CheckpointConfig,
    MetricDefinition,
    OutputDataConfig,
    ResourceConfig,
    StoppingCondition,
    TrainingJobSpec,
)


def var(name: str) -> str:
    return f"{{{{ var.value.get('sm_fidelity_{name}') }}}}"


with DAG("sm_test_fidelity", schedule=None, catchup=False, tags=["test"]) as dag:
    SageMakerTrainingOperator(
        task_id="train",
        config=TrainingJobSpec(
            role_arn="arn:aws:iam::000000000000:role/SageMakerRole",
            algorithm=AlgorithmSpecification(
                training_image="local/python:3.11",
                metric_definitions=[MetricDefinition(name="loss", regex="loss=([0-9]+)")],
            ),
            output=OutputDataConfig(s3_output_path=var("output")),
            resources=ResourceConfig(instance_type="ml.m5.large", instance_count=2, volume_size_in_gb=1),
            stopping=StoppingCondition(max_runtime_in_seconds=120, max_wait_time_in_seconds=300),
            enable_managed_spot_training=True,
            enable_network_isolation=True,
            checkpoint=CheckpointConfig(s3_uri=var("checkpoints")),
            max_retry_attempts=2,
            environment={"PORT": var("port")},
            hyperparameters={"sagemaker_program": "train.py", "sagemaker_submit_directory": var("code")},
        ),
        check_interval=1,
    )
