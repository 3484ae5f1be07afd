"""Example: one SageMaker training job, waited for in the triggerer.

Trains ``retraining/scripts/train.py`` (script mode) on the bundled breast-cancer data with
fixed hyperparameters. Runs on the local backend as is; on AWS set the ``sm_retraining_*``
Variables (``retraining/config.py`` lists them, the README shows them as a table).
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import DAG, task
from retraining.config import var
from retraining.model import metric_definitions

from airflow_sm_provider.operators import SageMakerTrainingOperator
from airflow_sm_provider.specs import (
    AlgorithmSpecification,
    Channel,
    OutputDataConfig,
    ResourceConfig,
    StoppingCondition,
    TrainingJobSpec,
)

# Templates reading the prepare_data task's result (rendered when the training task runs).
PREPARED = "ti.xcom_pull(task_ids='prepare_data')"
TRAIN_DATA = f"{{{{ {PREPARED}['channels']['full'] }}}}"
TEST_DATA = f"{{{{ {PREPARED}['channels']['test'] }}}}"
SOURCE = f"{{{{ {PREPARED}['source'] }}}}"


@task
def prepare_data(data_uri: str, code_uri: str, aws_conn_id: str) -> dict[str, Any]:
    """Write the train / validation / test / full CSV channels and stage ``train.py``."""
    from retraining.data import prepare_inputs

    s3 = None
    if data_uri.startswith("s3://") or code_uri.startswith("s3://"):
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        s3 = S3Hook(aws_conn_id=aws_conn_id).get_conn()
    return prepare_inputs(data_uri, code_uri, s3_client=s3)


with DAG(
    dag_id="example_sagemaker_training",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["sagemaker", "example"],
    doc_md=__doc__,
) as dag:
    data = prepare_data(var("data_uri"), var("code_uri"), var("aws_conn_id"))

    train = SageMakerTrainingOperator(
        task_id="train",
        config=TrainingJobSpec(
            role_arn=var("role_arn"),
            algorithm=AlgorithmSpecification(
                training_image=var("image_uri"), metric_definitions=metric_definitions("train", "test")
            ),
            # train on train + validation ("full"); the test split measures the model
            channels=[
                Channel(name="train", s3_uri=TRAIN_DATA, content_type="text/csv"),
                Channel(name="test", s3_uri=TEST_DATA, content_type="text/csv"),
            ],
            output=OutputDataConfig(s3_output_path=var("output_uri")),
            resources=ResourceConfig(instance_type=var("instance_type"), volume_size_in_gb=5),
            stopping=StoppingCondition(max_runtime_in_seconds=900),
            hyperparameters={
                # script mode: what to run, and the archive prepare_data staged it in
                "sagemaker_program": "train.py",
                "sagemaker_submit_directory": SOURCE,
                "random_state": 0,
                "n_estimators": 60,
                "max_depth": 3,
                "learning_rate": 0.1,
            },
        ),
        aws_conn_id=var("aws_conn_id"),
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
