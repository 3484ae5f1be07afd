"""Train, gate, register, approve, then wait for the approval: one DAG per sensor mode.

Runs against whatever ``aws_default`` points at; the integration tests point it at the local
backend. The gate compares ``loss`` (lower is better) with the group's approved champion.
"""

from __future__ import annotations

from pathlib import Path

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

from airflow_sm_provider.operators import (
    SageMakerModelGateOperator,
    SageMakerRegisterModelVersionOperator,
    SageMakerTrainingOperator,
    SageMakerUpdateModelApprovalOperator,
)
from airflow_sm_provider.sensors import SageMakerModelApprovalSensor

CODE = f"file://{Path(__file__).resolve().parent / 'scripts'}"
# objective.py (beside this file): loss = (x-3)^2 + (log10(lr)+2)^2, printed as "loss=..."
TRAINING = {
    "RoleArn": "arn:aws:iam::000000000000:role/SageMakerRole",
    "OutputDataConfig": {
        "S3OutputPath": "file://{{ var.value.get('sm_test_output_dir', '/tmp/sm-test-output') }}"
    },
    "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
    "StoppingCondition": {"MaxRuntimeInSeconds": 120},
    "AlgorithmSpecification": {
        "TrainingImage": "local/python:3.11",
        "TrainingInputMode": "File",
        "MetricDefinitions": [{"Name": "loss", "Regex": r"loss=([0-9.]+)"}],
    },
    "HyperParameters": {
        "sagemaker_program": "objective.py",
        "sagemaker_submit_directory": CODE,
        "epochs": "2",
    },
}
GROUP = "{{ var.value.get('sm_test_model_group', 'sm-test-models') }}"
REGISTERED = "ti.xcom_pull(task_ids='register')"


def build(mode: str) -> DAG:
    with DAG(f"sm_test_registry_{mode}", schedule=None, catchup=False, tags=["test"]) as dag:
        train = SageMakerTrainingOperator(
            task_id="train", config=TRAINING, hyperparameters={"x": "2.5", "lr": "0.01"}, check_interval=1
        )
        gate = SageMakerModelGateOperator(
            task_id="gate",
            model_package_group_name=GROUP,
            challenger_metrics=train.output,  # a training result: its final_metrics
            metrics={"loss": "minimize"},
            promote_task_ids="register",
            keep_task_ids="keep",
        )
        register = SageMakerRegisterModelVersionOperator(
            task_id="register",
            model_package_group_name=GROUP,
            training_job=train.output,
            content_types=["application/json"],
            response_types=["application/json"],
            transform_instance_types=["ml.m5.large"],
        )
        approve = SageMakerUpdateModelApprovalOperator(
            task_id="approve",
            model_package_arn=f"{{{{ {REGISTERED}['model_package_arn'] }}}}",
            approval_status="Approved",
        )
        wait = SageMakerModelApprovalSensor(
            task_id="wait_for_approval",
            model_package_arn=f"{{{{ {REGISTERED}['model_package_arn'] }}}}",
            mode="reschedule" if mode == "reschedule" else "poke",
            deferrable=mode == "deferrable",
            poke_interval=1,
            timeout=120,
        )
        train >> gate >> [register, EmptyOperator(task_id="keep")]
        register >> approve >> wait
    return dag


def build_pending() -> DAG:
    """Register, then wait (deferred) for someone else to approve in the registry."""
    with DAG("sm_test_registry_pending", schedule=None, catchup=False, tags=["test"]) as dag:
        train = SageMakerTrainingOperator(
            task_id="train", config=TRAINING, hyperparameters={"x": "2.5", "lr": "0.01"}, check_interval=1
        )
        register = SageMakerRegisterModelVersionOperator(
            task_id="register", model_package_group_name=GROUP, training_job=train.output
        )
        wait = SageMakerModelApprovalSensor(
            task_id="wait_for_approval",
            model_package_arn=f"{{{{ {REGISTERED}['model_package_arn'] }}}}",
            deferrable=True,
            poke_interval=1,
            timeout=120,
        )
        train >> register >> wait
    return dag


poke_dag = build("poke")
reschedule_dag = build("reschedule")
deferrable_dag = build("deferrable")
pending_dag = build_pending()
