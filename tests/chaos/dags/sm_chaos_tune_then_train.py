"""tune -> train for the fault-injection suite: the integration tests' DAG, plus an Environment
secret (DB_PASSWORD) that must never reach a log."""

from __future__ import annotations

from pathlib import Path

from airflow.sdk import DAG

from airflow_sm_provider.operators import SageMakerTrainingOperator, SageMakerTuningOperator

SECRET_ENV = "chaos-env-secret-5f1c9e"
CODE = f"file://{Path(__file__).resolve().parents[2] / 'integration' / 'dags' / 'scripts'}"
OUTPUT = "file://{{ var.value.get('sm_test_output_dir', '/tmp/sm-test-output') }}"
COMMON = {
    "RoleArn": "arn:aws:iam::000000000000:role/SageMakerRole",
    "OutputDataConfig": {"S3OutputPath": OUTPUT},
    "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
    "StoppingCondition": {"MaxRuntimeInSeconds": 120},
    "Environment": {"DB_PASSWORD": SECRET_ENV},
}
SCRIPT_MODE = {"sagemaker_program": "objective.py", "sagemaker_submit_directory": CODE}
ALGORITHM = {
    "TrainingImage": "local/python:3.11",
    "TrainingInputMode": "File",
    "MetricDefinitions": [{"Name": "loss", "Regex": r"loss=([0-9.]+)"}],
}
TUNING = {
    "HyperParameterTuningJobConfig": {
        "Strategy": "Random",
        "RandomSeed": 7,
        "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
        "ResourceLimits": {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2},
        "ParameterRanges": {
            "ContinuousParameterRanges": [
                {"Name": "x", "MinValue": "0", "MaxValue": "6", "ScalingType": "Linear"},
                {"Name": "lr", "MinValue": "0.0001", "MaxValue": "1", "ScalingType": "Logarithmic"},
            ]
        },
    },
    "TrainingJobDefinition": {
        **COMMON,
        "AlgorithmSpecification": ALGORITHM,
        "StaticHyperParameters": {**SCRIPT_MODE, "epochs": "2"},
    },
}
TRAINING = {**COMMON, "AlgorithmSpecification": ALGORITHM, "HyperParameters": {**SCRIPT_MODE, "epochs": 3}}


def build(mode: str, deferrable: bool) -> DAG:
    with DAG(f"sm_chaos_tune_then_train_{mode}", schedule=None, catchup=False, tags=["chaos"]) as dag:
        tune = SageMakerTuningOperator(task_id="tune", config=TUNING, deferrable=deferrable, check_interval=1)
        train = SageMakerTrainingOperator(
            task_id="train",
            config=TRAINING,
            hyperparameters=tune.output["tuned_hyperparameters"],
            deferrable=deferrable,
            check_interval=1,
        )
        tune >> train
    return dag


blocking = build("blocking", False)
deferred = build("deferred", True)
