"""Example: mapped tuning, then one final training job per tuning job (dynamic task mapping).

Two tuning jobs search the same space with different strategies (Random and Bayesian); each
mapped ``train`` task then trains a final model with its own tuning job's best hyperparameters.

Airflow maps only over a task's ``return_value``, so ``tune.output["tuned_hyperparameters"]``
cannot feed ``.expand()``. The training operator accepts the tuning task's whole result as
``hyperparameters`` instead and takes the best training job's tuned hyperparameters from it:
``.expand(hyperparameters=tune.output)``. Runs on the local backend as is; on AWS set the
``sm_retraining_*`` Variables (``retraining/config.py`` lists them).
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import DAG, task
from retraining.config import var
from retraining.model import OBJECTIVE, RANGES, metric_definitions

from airflow_sm_provider.operators import SageMakerTrainingOperator, SageMakerTuningOperator
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
    TrainingJobSpec,
    TuningJobSpec,
    render_request,
)

PREPARED = "ti.xcom_pull(task_ids='prepare_data')"
SOURCE = f"{{{{ {PREPARED}['source'] }}}}"


def channel(name: str, split: str) -> Channel:
    return Channel(name=name, s3_uri=f"{{{{ {PREPARED}['channels']['{split}'] }}}}", content_type="text/csv")


def tuning(strategy: Strategy, seed: int) -> dict[str, Any]:
    """One tuning job's request (a dict: the values a task maps over must be JSON)."""
    spec = TuningJobSpec(
        strategy=strategy,
        random_seed=seed,
        objective=OBJECTIVE,
        ranges=RANGES,
        resource_limits=ResourceLimits(max_number_of_training_jobs=2, max_parallel_training_jobs=2),
        early_stopping=EarlyStopping.OFF,
        training=TrainingJobDefinition(
            role_arn=var("role_arn"),
            algorithm=AlgorithmSpecification(
                training_image=var("image_uri"), metric_definitions=metric_definitions("train", "validation")
            ),
            channels=[channel("train", "train"), channel("validation", "validation")],
            output=OutputDataConfig(s3_output_path=var("output_uri")),
            resources=ResourceConfig(instance_type=var("instance_type"), volume_size_in_gb=5),
            stopping=StoppingCondition(max_runtime_in_seconds=900),
            static_hyperparameters={"sagemaker_program": "train.py", "sagemaker_submit_directory": SOURCE},
        ),
    )
    return render_request(spec)


FINAL = TrainingJobSpec(
    role_arn=var("role_arn"),
    algorithm=AlgorithmSpecification(
        training_image=var("image_uri"), metric_definitions=metric_definitions("train", "test")
    ),
    channels=[channel("train", "full"), channel("test", "test")],
    output=OutputDataConfig(s3_output_path=var("output_uri")),
    resources=ResourceConfig(instance_type=var("instance_type"), volume_size_in_gb=5),
    stopping=StoppingCondition(max_runtime_in_seconds=900),
    hyperparameters={"sagemaker_program": "train.py", "sagemaker_submit_directory": SOURCE},
)


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
    dag_id="example_sagemaker_mapped",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["sagemaker", "example"],
    doc_md=__doc__,
) as dag:
    data = prepare_data(var("data_uri"), var("code_uri"), var("aws_conn_id"))

    tune = SageMakerTuningOperator.partial(
        task_id="tune", aws_conn_id=var("aws_conn_id"), deferrable=True, check_interval=5
    ).expand(config=[tuning(Strategy.RANDOM, 1), tuning(Strategy.BAYESIAN, 2)])

    # one training task per tuning task, each with its own tuning job's best hyperparameters
    train = SageMakerTrainingOperator.partial(
        task_id="train", config=FINAL, aws_conn_id=var("aws_conn_id"), deferrable=True, check_interval=5
    ).expand(hyperparameters=tune.output)

    data >> tune
