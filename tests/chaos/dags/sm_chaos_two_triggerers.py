"""Deferrable training tasks that wait in the triggerer until the test lets their jobs finish,
for the two-triggerer case (``test_chaos_two_triggerers.py``).

Task ``train_<i>`` runs ``scripts/hold.py``, which holds until the file ``train_<i>`` appears in
the directory the ``sm_chaos_gate_dir`` Variable names, then reports ``loss = (i + 1) / 8``: each
task's XCom shows whether the event it resumed on was its own job's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow.sdk import DAG

from airflow_sm_provider.operators import SageMakerTrainingOperator

DAG_ID = "sm_chaos_two_triggerers"
TASKS = 6
CODE = (Path(__file__).resolve().parent / "scripts").as_uri()
GATES = "{{ var.value.sm_chaos_gate_dir }}"
OUTPUT = "file://{{ var.value.sm_chaos_output_dir }}"


def loss(index: int) -> float:
    """The loss job ``index`` reports (exact in binary, so it survives the round trip)."""
    return (index + 1) / 8


def config(index: int) -> dict[str, Any]:
    return {
        "RoleArn": "arn:aws:iam::000000000000:role/SageMakerRole",
        "AlgorithmSpecification": {
            "TrainingImage": "local/python:3.11",
            "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "loss", "Regex": r"loss=([0-9.]+)"}],
        },
        "HyperParameters": {
            "sagemaker_program": "hold.py",
            "sagemaker_submit_directory": CODE,
            "gate": f"{GATES}/train_{index}",
            "loss": str(loss(index)),
        },
        "OutputDataConfig": {"S3OutputPath": OUTPUT},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 900},
    }


with DAG(DAG_ID, schedule=None, catchup=False, max_active_tasks=TASKS, tags=["chaos"]) as dag:
    for i in range(TASKS):
        SageMakerTrainingOperator(
            task_id=f"train_{i}", config=config(i), deferrable=True, check_interval=1, retries=0
        )
