"""Realistic request and response dicts shared by the unit tests."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

ROLE = "arn:aws:iam::123456789012:role/sagemaker"
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def training_config(**overrides):
    config = {
        "AlgorithmSpecification": {
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/sklearn:1.2",
            "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "validation:loss", "Regex": "loss=([0-9.]+)"}],
        },
        "RoleArn": ROLE,
        "HyperParameters": {"epochs": "3", "lr": "0.1"},
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/train/"}},
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/output/"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    }
    config.update(overrides)
    return config


def tuning_config(**overrides):
    definition = training_config()
    static = definition.pop("HyperParameters")
    definition.pop("AlgorithmSpecification")
    config = {
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:loss"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": {
                "ContinuousParameterRanges": [
                    {"Name": "lr", "MinValue": "0.001", "MaxValue": "0.5", "ScalingType": "Logarithmic"}
                ]
            },
            "TrainingJobEarlyStoppingType": "Auto",
        },
        "TrainingJobDefinition": {
            **definition,
            "StaticHyperParameters": {"epochs": static["epochs"]},
            "AlgorithmSpecification": {
                "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/sklearn:1.2",
                "TrainingInputMode": "File",
                "MetricDefinitions": [{"Name": "validation:loss", "Regex": "loss=([0-9.]+)"}],
            },
        },
    }
    config.update(overrides)
    return config


def training_description(name, status="InProgress", **extra):
    description = {
        "TrainingJobName": name,
        "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{name}",
        "TrainingJobStatus": status,
        "SecondaryStatus": {"InProgress": "Training", "Completed": "Completed"}.get(status, status),
        "AlgorithmSpecification": {"TrainingInputMode": "File", "TrainingImage": "img"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "CreationTime": NOW,
        "LastModifiedTime": NOW,
        "HyperParameters": {"epochs": "3", "lr": "0.1", "_tuning_objective_metric": "validation:loss"},
        "ModelArtifacts": {"S3ModelArtifacts": f"s3://bucket/output/{name}/output/model.tar.gz"},
    }
    if status == "Completed":
        description["FinalMetricDataList"] = [
            {"MetricName": "validation:loss", "Value": 0.25, "Timestamp": NOW}
        ]
        description["BillableTimeInSeconds"] = 42
    if status in ("Failed", "Stopped"):
        description["FailureReason"] = "AlgorithmError: boom at epoch 2"
    description.update(extra)
    return description


def tuning_description(name, status="InProgress", best=True, **extra):
    description = {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobArn": (
            f"arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/{name}"
        ),
        "HyperParameterTuningJobConfig": copy.deepcopy(tuning_config()["HyperParameterTuningJobConfig"]),
        "TrainingJobDefinition": copy.deepcopy(tuning_config()["TrainingJobDefinition"]),
        "HyperParameterTuningJobStatus": status,
        "CreationTime": NOW,
        "TrainingJobStatusCounters": {
            "Completed": 3,
            "InProgress": 0,
            "RetryableError": 0,
            "NonRetryableError": 1,
            "Stopped": 0,
        },
        "ObjectiveStatusCounters": {"Succeeded": 3, "Pending": 0, "Failed": 1},
    }
    if best:
        description["BestTrainingJob"] = {
            "TrainingJobName": f"{name}-002-abcdef12",
            "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{name}-002-abcdef12",
            "CreationTime": NOW,
            "TrainingJobStatus": "Completed",
            "TunedHyperParameters": {"lr": "0.0123"},
            "FinalHyperParameterTuningJobObjectiveMetric": {
                "Type": "Minimize",
                "MetricName": "validation:loss",
                "Value": 0.11,
            },
            "ObjectiveStatus": "Succeeded",
        }
    if status in ("Failed", "Stopped"):
        description["FailureReason"] = "Stopped by user"
    description.update(extra)
    return description
