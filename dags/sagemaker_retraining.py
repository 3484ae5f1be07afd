"""Weekly retraining on SageMaker: prepare data -> tune -> train with the best -> register -> report.

Runs unchanged on AWS and on the embedded local backend; only the ``aws`` connection and the
Airflow Variables below differ. Defaults are for the local backend (``make demo``).

Nothing here touches the network, the disk or the metadata DB at parse time: every value is
a template rendered when a task runs.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import DAG, task
from retraining import config, model
from retraining.config import var

from airflow_sm_provider.operators import (
    SageMakerCreateModelOperator,
    SageMakerTrainingOperator,
    SageMakerTuningOperator,
)
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
)

PREPARED = "ti.xcom_pull(task_ids='prepare_data')"


def job_settings(**channels: str) -> dict[str, Any]:
    """What the tuning trials and the final run share, reading ``channels`` (name -> data split).

    A new set of specs on every call: Airflow renders specs in place, so no two tasks share one.
    """
    return {
        "role_arn": var("role_arn"),
        "algorithm": AlgorithmSpecification(
            training_image=var("image_uri"), metric_definitions=model.METRIC_DEFINITIONS
        ),
        "channels": [
            Channel(name=name, s3_uri=f"{{{{ {PREPARED}['channels']['{split}'] }}}}", content_type="text/csv")
            for name, split in channels.items()
        ],
        "output": OutputDataConfig(s3_output_path=var("output_uri")),
        "resources": ResourceConfig(instance_type=var("instance_type"), volume_size_in_gb=5),
        "stopping": StoppingCondition(max_runtime_in_seconds=900),
    }


SCRIPT_MODE = {
    "sagemaker_program": model.ENTRY_POINT,
    "sagemaker_submit_directory": f"{{{{ {PREPARED}['source'] }}}}",
    "random_state": 0,
}


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
    dag_id="sagemaker_retraining",
    schedule="@weekly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["sagemaker", "retraining"],
    doc_md=f"{__doc__}\n{config.markdown_table()}\n",
) as dag:
    data = prepare_data(var("data_uri"), var("code_uri"), var("aws_conn_id"))

    tune = SageMakerTuningOperator(
        task_id="tune",
        config=TuningJobSpec(
            strategy=Strategy.BAYESIAN,
            objective=model.OBJECTIVE,
            ranges=model.RANGES,
            resource_limits=ResourceLimits(
                max_number_of_training_jobs=var("max_trials"), max_parallel_training_jobs=2
            ),
            early_stopping=EarlyStopping.AUTO,
            training=TrainingJobDefinition(
                static_hyperparameters=SCRIPT_MODE, **job_settings(train="train", validation="validation")
            ),
        ),
        aws_conn_id=var("aws_conn_id"),
        deferrable=True,
        check_interval=5,
    )

    train_final = SageMakerTrainingOperator(
        task_id="train_final",
        # train on train + validation; the untouched test split measures the final model
        config=TrainingJobSpec(hyperparameters=SCRIPT_MODE, **job_settings(train="full", test="test")),
        hyperparameters=tune.output["tuned_hyperparameters"],
        aws_conn_id=var("aws_conn_id"),
        deferrable=True,
        check_interval=5,
    )

    register = SageMakerCreateModelOperator(
        task_id="register_model",
        training_job_name="{{ ti.xcom_pull(task_ids='train_final')['training_job_name'] }}",
        execution_role_arn=var("role_arn"),
        image_uri=var("image_uri"),
        aws_conn_id=var("aws_conn_id"),
    )

    @task
    def report(tuning: dict[str, Any], final: dict[str, Any], registered: dict[str, Any]) -> dict[str, Any]:
        """Log and return what was produced: model, metrics, artifacts, tuned hyperparameters."""
        import logging

        best = tuning["best_training_job"]
        summary = {
            "model_name": registered["model_name"],
            "model_arn": registered["model_arn"],
            "model_artifacts": final["model_artifacts"],
            "final_training_job": final["training_job_name"],
            "final_metrics": final["final_metrics"],
            "tuning_job": tuning["tuning_job_name"],
            "best_trial": best["name"],
            "best_objective": best["objective_metric"],
            "tuned_hyperparameters": best["tuned_hyperparameters"],
        }
        logging.getLogger(__name__).info("Retraining finished: %s", summary)
        return summary

    data >> tune >> train_final >> register
    report(tune.output, train_final.output, register.output)
