from __future__ import annotations

from typing import Any

import pytest

ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"


def make_training_request(**overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "TrainingJobName": "churn-xgb-2026-01-01",
        "RoleArn": ROLE,
        "AlgorithmSpecification": {
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:latest",
            "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "validation:rmse", "Regex": "rmse=([0-9.]+)"}],
        },
        "HyperParameters": {"max_depth": "5", "eta": "0.2"},
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/train/"}},
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/output/"},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    }
    request.update(overrides)
    return request


def make_definition(**overrides: Any) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "StaticHyperParameters": {"objective": "reg:squarederror"},
        "AlgorithmSpecification": {
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:latest",
            "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "validation:rmse", "Regex": "rmse=([0-9.]+)"}],
        },
        "RoleArn": ROLE,
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/tuning/"},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    }
    definition.update(overrides)
    return definition


def make_tuning_request(*, config: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    job_config: dict[str, Any] = {
        "Strategy": "Bayesian",
        "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:rmse"},
        "ResourceLimits": {"MaxNumberOfTrainingJobs": 20, "MaxParallelTrainingJobs": 2},
        "ParameterRanges": {
            "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "10"}],
            "ContinuousParameterRanges": [
                {"Name": "eta", "MinValue": "0.01", "MaxValue": "0.5", "ScalingType": "Logarithmic"}
            ],
            "CategoricalParameterRanges": [{"Name": "booster", "Values": ["gbtree", "dart"]}],
        },
    }
    job_config.update(config or {})
    request: dict[str, Any] = {
        "HyperParameterTuningJobName": "churn-tune",
        "HyperParameterTuningJobConfig": job_config,
        "TrainingJobDefinition": make_definition(),
    }
    request.update(overrides)
    return request


@pytest.fixture
def training_request() -> dict[str, Any]:
    return make_training_request()


@pytest.fixture
def tuning_request() -> dict[str, Any]:
    return make_tuning_request()


@pytest.fixture
def build_training():
    return make_training_request


@pytest.fixture
def build_tuning():
    return make_tuning_request


@pytest.fixture
def build_definition():
    return make_definition
