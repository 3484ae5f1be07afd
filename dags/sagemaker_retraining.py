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
from sm_retraining_pipeline import FINAL_TRAINING_CONFIG, TUNING_CONFIG, prepare_channels, var

from airflow_sm_provider.operators import (
    SageMakerCreateModelOperator,
    SageMakerTrainingOperator,
    SageMakerTuningOperator,
)

with DAG(
    dag_id="sagemaker_retraining",
    schedule="@weekly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["sagemaker", "retraining"],
    doc_md=__doc__,
) as dag:
    data = prepare_channels()

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
