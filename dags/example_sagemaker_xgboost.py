"""Example: SageMaker's built-in XGBoost algorithm, tuned then trained with the best hyperparameters.

No training script: the job runs the XGBoost image itself (the local backend runs the xgboost
library as that container does, with the ``local-xgboost`` extra installed). The data is the
bundled breast-cancer dataset written as label-first, headerless CSV, which is the
container's ``text/csv`` format. The objective, ``validation:auc``, is one of the algorithm's
own metrics: no MetricDefinitions are needed.

Runs on the local backend as is; on AWS set the ``sm_retraining_*`` Variables
(``retraining/config.py`` lists them; ``sm_retraining_image_uri`` is not used here) and, outside
us-east-1, use your region's XGBoost image in :data:`XGBOOST_IMAGE`.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import DAG, task
from retraining.config import var

from airflow_sm_provider.operators import SageMakerTrainingOperator, SageMakerTuningOperator
from airflow_sm_provider.specs import (
    AlgorithmSpecification,
    Channel,
    ContinuousRange,
    IntegerRange,
    Objective,
    ObjectiveType,
    OutputDataConfig,
    ResourceConfig,
    ResourceLimits,
    ScalingType,
    StoppingCondition,
    Strategy,
    TrainingJobDefinition,
    TrainingJobSpec,
    TuningJobSpec,
)

# SageMaker's XGBoost 1.7-1 image in us-east-1 (the account differs per region)
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
PREPARED = "ti.xcom_pull(task_ids='prepare_data')"
STATIC = {"objective": "binary:logistic", "num_round": "50", "eval_metric": "auc"}


def job_settings(**channels: str) -> dict[str, Any]:
    """What the trials and the final run share, reading ``channels`` (name -> data split); new
    specs on every call, as Airflow renders specs in place."""
    return {
        "role_arn": var("role_arn"),
        "algorithm": AlgorithmSpecification(training_image=XGBOOST_IMAGE),
        "channels": [
            Channel(name=name, s3_uri=f"{{{{ {PREPARED}['channels']['{split}'] }}}}", content_type="text/csv")
            for name, split in channels.items()
        ],
        "output": OutputDataConfig(s3_output_path=var("output_uri")),
        "resources": ResourceConfig(instance_type=var("instance_type"), volume_size_in_gb=5),
        "stopping": StoppingCondition(max_runtime_in_seconds=900),
    }


@task
def prepare_data(data_uri: str, aws_conn_id: str) -> dict[str, Any]:
    """Write the train / validation / test / full CSV channels (label first, no header)."""
    from retraining.data import prepare_data as write_channels

    s3 = None
    if data_uri.startswith("s3://"):
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        s3 = S3Hook(aws_conn_id=aws_conn_id).get_conn()
    return write_channels(data_uri, s3_client=s3)


with DAG(
    dag_id="example_sagemaker_xgboost",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["sagemaker", "example", "xgboost"],
    doc_md=__doc__,
) as dag:
    data = prepare_data(var("data_uri"), var("aws_conn_id"))

    tune = SageMakerTuningOperator(
        task_id="tune",
        config=TuningJobSpec(
            strategy=Strategy.BAYESIAN,
            random_seed=7,
            objective=Objective(metric_name="validation:auc", type=ObjectiveType.MAXIMIZE),
            ranges=[
                ContinuousRange(name="eta", min_value=0.05, max_value=0.5, scaling=ScalingType.LOGARITHMIC),
                IntegerRange(name="max_depth", min_value=2, max_value=6, scaling=ScalingType.AUTO),
                ContinuousRange(name="min_child_weight", min_value=1, max_value=8),
            ],
            resource_limits=ResourceLimits(max_number_of_training_jobs=4, max_parallel_training_jobs=2),
            training=TrainingJobDefinition(
                static_hyperparameters=STATIC, **job_settings(train="train", validation="validation")
            ),
        ),
        aws_conn_id=var("aws_conn_id"),
        deferrable=True,
        check_interval=5,
    )

    train_final = SageMakerTrainingOperator(
        task_id="train_final",
        # the final model trains on train + validation and reports validation:auc on the holdout
        config=TrainingJobSpec(hyperparameters=STATIC, **job_settings(train="full", validation="test")),
        hyperparameters=tune.output["tuned_hyperparameters"],
        aws_conn_id=var("aws_conn_id"),
        deferrable=True,
        check_interval=5,
    )

    @task
    def report(final: dict[str, Any]) -> dict[str, Any]:
        """The final job's metrics and its ``xgboost-model`` archive."""
        print(f"{final['training_job_name']}: {final['final_metrics']} -> {final['model_artifacts']}")
        return final["final_metrics"]

    data >> tune >> train_final
    report(train_final.output)
