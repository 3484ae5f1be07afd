"""Requests shared by the test DAGs (no DAG here: importing it registers nothing).

The training script objective.py has a known optimum; paths come from the environment the
integration tests set, read at run time through templates.
"""

from __future__ import annotations

from pathlib import Path

CODE = f"file://{Path(__file__).resolve().parent / 'scripts'}"
OUTPUT = "file://{{ var.value.get('sm_test_output_dir', '/tmp/sm-test-output') }}"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
METRICS = [{"Name": "loss", "Regex": r"loss=([0-9.]+)"}]
COMMON = {
    "RoleArn": ROLE,
    "OutputDataConfig": {"S3OutputPath": OUTPUT},
    "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
    "StoppingCondition": {"MaxRuntimeInSeconds": 120},
}
SCRIPT_MODE = {"sagemaker_program": "objective.py", "sagemaker_submit_directory": CODE}
ALGORITHM = {"TrainingImage": "local/python:3.11", "TrainingInputMode": "File", "MetricDefinitions": METRICS}

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
