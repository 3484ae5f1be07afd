"""Example: a SageMaker hyperparameter tuning job, and its best hyperparameters from XCom.

A small Random search (4 trials, 2 at a time) over the retraining pipeline's search space.
Runs on the local backend as is; on AWS set the ``sm_retraining_*`` Variables
(``retraining/config.py`` lists them, the README shows them as a table).
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import DAG, task
from retraining.config import var
from retraining.model import OBJECTIVE, RANGES, metric_definitions

from airflow_sm_provider.operators import SageMakerTuningOperator
from airflow_sm_provider.specs import (
    AlgorithmSpecification,
    Channel,
    EarlyStopping,
    OutputDataConfig,
    ResourceConfig,
    ResourceLimits,
    StoppingCondition,
    Strategy,
    TrainingJobDefinition,
    TuningJobSpec,
)

# Templates reading the prepare_data task's result (rendered when the tuning task runs).
PREPARED = "ti.xcom_pull(task_ids='prepare_data')"
TRAIN_DATA = f"{{{{ {PREPARED}['channels']['train'] }}}}"
VALIDATION_DATA = f"{{{{ {PREPARED}['channels']['validation'] }}}}"
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
    dag_id="example_sagemaker_tuning",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["sagemaker", "example"],
    doc_md=__doc__,
) as dag:
    data = prepare_data(var("data_uri"), var("code_uri"), var("aws_conn_id"))

    tune = SageMakerTuningOperator(
        task_id="tune",
        config=TuningJobSpec(
            strategy=Strategy.RANDOM,
            random_seed=42,
            objective=OBJECTIVE,  # validation:logloss, minimised
            ranges=RANGES,
            resource_limits=ResourceLimits(max_number_of_training_jobs=4, max_parallel_training_jobs=2),
            early_stopping=EarlyStopping.OFF,
            training=TrainingJobDefinition(
                role_arn=var("role_arn"),
                algorithm=AlgorithmSpecification(
                    training_image=var("image_uri"),
                    metric_definitions=metric_definitions("train", "validation"),
                ),
                # each trial trains on "train" and is scored on "validation"
                channels=[
                    Channel(name="train", s3_uri=TRAIN_DATA, content_type="text/csv"),
                    Channel(name="validation", s3_uri=VALIDATION_DATA, content_type="text/csv"),
                ],
                output=OutputDataConfig(s3_output_path=var("output_uri")),
                resources=ResourceConfig(instance_type=var("instance_type"), volume_size_in_gb=5),
                stopping=StoppingCondition(max_runtime_in_seconds=900),
                static_hyperparameters={
                    # script mode: what to run, and the archive prepare_data staged it in
                    "sagemaker_program": "train.py",
                    "sagemaker_submit_directory": SOURCE,
                    "random_state": 0,
                },
            ),
        ),
        aws_conn_id=var("aws_conn_id"),
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
