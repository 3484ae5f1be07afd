"""Start a training job without waiting, then watch it with a reschedule-mode sensor.

The job's script (scripts/chatty.py) prints a first part, waits for the release file the test
creates, then prints a second part. Paths come from Variables the test sets.
"""

from __future__ import annotations

from airflow.sdk import DAG

from airflow_sm_provider.operators import SageMakerTrainingOperator
from airflow_sm_provider.sensors import SageMakerTrainingSensor
from tests.integration.dags.sm_test_configs import ALGORITHM, CODE, COMMON

TRAINING = {
    **COMMON,
    "AlgorithmSpecification": ALGORITHM,
    "HyperParameters": {
        "sagemaker_program": "chatty.py",
        "sagemaker_submit_directory": CODE,
        "tag": "{{ var.value.sm_test_tag }}",
        "release": "{{ var.value.sm_test_release }}",
    },
}

with DAG("sm_test_sensor_output", schedule=None, catchup=False, tags=["test"]) as dag:
    start = SageMakerTrainingOperator(task_id="start", config=TRAINING, wait_for_completion=False)
    watch = SageMakerTrainingSensor(
        task_id="watch",
        job_name="{{ ti.xcom_pull(task_ids='start')['training_job_name'] }}",
        mode="reschedule",
        poke_interval=1,
        timeout=300,
    )
    start >> watch
