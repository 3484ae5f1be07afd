"""CreateTrainingJob rules beyond botocore's shape."""

from __future__ import annotations

import pytest

from airflow_sm_provider.local.errors import ValidationError
from airflow_sm_provider.local.training.rules import check_name, check_training_request


def _request(**extra):
    return {
        "TrainingJobName": "job-1",
        "RoleArn": "arn:aws:iam::000000000000:role/SageMakerRole",
        "AlgorithmSpecification": {"TrainingImage": "img", "TrainingInputMode": "File"},
        "HyperParameters": {"sagemaker_program": "train.py", "sagemaker_submit_directory": "s3://b/code"},
        "OutputDataConfig": {"S3OutputPath": "file:///tmp/out"},
        **extra,
    }


@pytest.mark.parametrize("name", ["a", "job-1", "A--b", "x" * 63])
def test_valid_names(name):
    check_name(name, "trainingJobName")


@pytest.mark.parametrize("name", ["-a", "a-", "a_b", "a.b", "x" * 64])
def test_invalid_names_quote_the_pattern(name):
    with pytest.raises(ValidationError, match="trainingJobName"):
        check_name(name, "trainingJobName")


def test_a_minimal_script_mode_request_passes():
    check_training_request(_request())


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (
            {"HyperParameters": {"sagemaker_submit_directory": '"http://x/code"'}},
            "sagemaker_submit_directory",
        ),
        ({"CheckpointConfig": {"S3Uri": "gs://b/ckpt"}}, "CheckpointConfig.S3Uri"),
        (
            {
                "InputDataConfig": [
                    {
                        "ChannelName": "c",
                        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "ftp://h/d"}},
                    }
                ]
            },
            "InputDataConfig[0].DataSource.S3DataSource.S3Uri",
        ),
    ],
)
def test_unsupported_locations_are_refused_naming_the_field(extra, field):
    with pytest.raises(ValidationError, match=field.replace("[", r"\[").replace("]", r"\]")):
        check_training_request(_request(**extra))
