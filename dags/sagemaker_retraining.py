"""Weekly retraining on SageMaker: prepare data -> tune -> train with the best -> register -> report.

Runs unchanged on AWS and on the embedded local backend; only the ``aws`` connection and the
Airflow Variables below differ. Defaults are for the local backend (``make demo``).

=============================  ======================================  ==========================
Variable                       local default                           set for AWS to
=============================  ======================================  ==========================
sm_retraining_aws_conn_id      aws_default                             your AWS connection id
sm_retraining_data_uri         file:///tmp/sm-retraining/data          s3://bucket/retraining/data
sm_retraining_code_uri         file:///tmp/sm-retraining/code          s3://bucket/retraining/code
sm_retraining_output_uri       file:///tmp/sm-retraining/output        s3://bucket/retraining/output
sm_retraining_role_arn         arn:aws:iam::000000000000:role/...      your SageMaker execution role
sm_retraining_image_uri        local/sagemaker-scikit-learn:1.2-1      the SKLearn framework image
sm_retraining_instance_type    ml.m5.large                             any training instance type
sm_retraining_max_trials       8                                       a budget you can afford
=============================  ======================================  ==========================

Nothing here touches the network, the disk or the metadata DB at parse time: every value is
a template rendered when a task runs.
"""

from __future__ import annotations

from typing import Any

import pendulum

from airflow.sdk import DAG, task

from airflow_sm_provider.operators import (
    SageMakerCreateModelOperator,
    SageMakerTrainingOperator,
    SageMakerTuningOperator,
)
from sm_retraining_support import HYPERPARAMETER_RANGES, METRIC_DEFINITIONS, OBJECTIVE_METRIC, input_channel

LOCAL_DEFAULTS = {
    "aws_conn_id": "aws_default",
    "data_uri": "file:///tmp/sm-retraining/data",
    "code_uri": "file:///tmp/sm-retraining/code",
    "output_uri": "file:///tmp/sm-retraining/output",
    "role_arn": "arn:aws:iam::000000000000:role/SageMakerRetraining",
    "image_uri": "local/sagemaker-scikit-learn:1.2-1",
    "instance_type": "ml.m5.large",
    "max_trials": "8",
}


def var(name: str) -> str:
    """A template for Variable ``sm_retraining_<name>``, falling back to the local default."""
    return f"{{{{ var.value.get('sm_retraining_{name}', '{LOCAL_DEFAULTS[name]}') }}}}"


def prepared(path: str) -> str:
    """A template reading the ``prepare_data`` task's result."""
    return f"{{{{ ti.xcom_pull(task_ids='prepare_data')['{path}'] }}}}"


def channel(name: str, key: str) -> dict[str, Any]:
    return input_channel(name, f"{{{{ ti.xcom_pull(task_ids='prepare_data')['channels']['{key}'] }}}}")


def training_settings() -> dict[str, Any]:
    return {
        "RoleArn": var("role_arn"),
        "AlgorithmSpecification": {
            "TrainingImage": var("image_uri"),
            "TrainingInputMode": "File",
            "MetricDefinitions": METRIC_DEFINITIONS,
        },
        "OutputDataConfig": {"S3OutputPath": var("output_uri")},
        "ResourceConfig": {"InstanceType": var("instance_type"), "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 900},
    }


SCRIPT_MODE = {"sagemaker_program": "train.py", "sagemaker_submit_directory": prepared("source")}

TUNING_CONFIG = {
    "HyperParameterTuningJobConfig": {
        "Strategy": "Bayesian",
        "HyperParameterTuningJobObjective": OBJECTIVE_METRIC,
        "ResourceLimits": {"MaxNumberOfTrainingJobs": var("max_trials"), "MaxParallelTrainingJobs": 2},
        "ParameterRanges": {k: v for k, v in HYPERPARAMETER_RANGES.items() if v},
        "TrainingJobEarlyStoppingType": "Auto",
    },
    "TrainingJobDefinition": {
        **training_settings(),
        "StaticHyperParameters": {**SCRIPT_MODE, "random_state": "0"},
        "InputDataConfig": [channel("train", "train"), channel("validation", "validation")],
    },
}

FINAL_TRAINING_CONFIG = {
    **training_settings(),
    "HyperParameters": {**SCRIPT_MODE, "random_state": "0"},
    # train on train + validation; the untouched test split measures the final model
    "InputDataConfig": [channel("train", "full"), channel("test", "test")],
}

with DAG(
    dag_id="sagemaker_retraining",
    schedule="@weekly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["sagemaker", "retraining"],
    doc_md=__doc__,
) as dag:

    @task
    def prepare_data(data_uri: str, code_uri: str, aws_conn_id: str) -> dict[str, Any]:
        """Write train / validation / test / full channels and stage the training scripts."""
        import sm_retraining_support as support

        s3 = None
        if data_uri.startswith("s3://") or code_uri.startswith("s3://"):
            from airflow.providers.amazon.aws.hooks.s3 import S3Hook

            s3 = S3Hook(aws_conn_id=aws_conn_id).get_conn()
        summary = support.prepare_data(data_uri, s3_client=s3)
        summary["source"] = support.stage_source_dir(code_uri, s3_client=s3)
        return summary

    data = prepare_data(var("data_uri"), var("code_uri"), var("aws_conn_id"))

    tune = SageMakerTuningOperator(
        task_id="tune",
        config=TUNING_CONFIG,
        aws_conn_id=var("aws_conn_id"),
        deferrable=True,
        check_interval=5,
    )

    train_final = SageMakerTrainingOperator(
        task_id="train_final",
        config=FINAL_TRAINING_CONFIG,
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
    def report(tuning: dict[str, Any], final: dict[str, Any], model: dict[str, Any]) -> dict[str, Any]:
        """Log and return what was produced: model, metrics, artifacts, tuned hyperparameters."""
        import logging

        best = tuning["best_training_job"]
        summary = {
            "model_name": model["model_name"],
            "model_arn": model["model_arn"],
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
