"""Shared pieces of the retraining DAGs: request templates, Variables and the data task.

Every value is a Jinja template rendered when a task runs (Variables with local defaults, the
``prepare_data`` task's XCom), so importing this module touches no network, disk or database.
The Variables and what to set them to for AWS are listed in ``sagemaker_retraining.py``.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import task
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


def prepare_channels() -> Any:
    """The ``prepare_data`` task, configured from the Variables (shared with the examples)."""
    return prepare_data(var("data_uri"), var("code_uri"), var("aws_conn_id"))
