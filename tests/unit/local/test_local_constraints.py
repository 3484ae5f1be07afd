"""The model's maximums and patterns that ParamValidator leaves out, applied to requests."""

from __future__ import annotations

import pytest

from airflow_sm_provider.local import protocol
from airflow_sm_provider.local.errors import ValidationError


def training(**overrides):
    request = {
        "TrainingJobName": "job",
        "RoleArn": "arn:aws:iam::000000000000:role/SageMakerRole",
        "AlgorithmSpecification": {"TrainingImage": "img", "TrainingInputMode": "File"},
        "OutputDataConfig": {"S3OutputPath": "file:///tmp/out"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 60},
    }
    request.update(overrides)
    return request


def test_a_valid_request_with_a_file_uri_passes():
    protocol.parse_request("CreateTrainingJob", training(HyperParameters={"lr": "0.1"}))


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        (
            {"HyperParameters": {f"k{i}": "v" for i in range(101)}},
            "hyperParameters' failed to satisfy constraint: Member must have number of entries less than "
            "or equal to 100",
        ),
        ({"HyperParameters": {"k" * 257: "v"}}, "Member must have length less than or equal to 256"),
        (
            {"HyperParameters": {"k": "v" * 2501}},
            "hyperParameters.k' failed to satisfy constraint: Member must have length less than or equal "
            "to 2500",
        ),
        ({"HyperParameters": {"a=b": "v"}}, "a hyperparameter name may not contain '='"),
        ({"HyperParameters": {"k": "a\0b"}}, "Member must not contain NUL characters"),
        (
            {"TrainingJobName": "../../etc"},
            "'trainingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern",
        ),
        ({"Environment": {"BAD KEY": "v"}}, "environment (key)' failed to satisfy constraint"),
        (
            {
                "InputDataConfig": [
                    {
                        "ChannelName": "../../x",
                        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "file:///d"}},
                    }
                ]
            },
            "inputDataConfig[0].channelName' failed to satisfy constraint: Member must satisfy regular "
            "expression pattern",
        ),
        ({"RetryStrategy": {"MaximumRetryAttempts": 31}}, "Member must be less than or equal to 30"),
    ],
)
def test_a_violation_is_a_validation_error_naming_the_field_and_not_the_value(overrides, says):
    with pytest.raises(ValidationError) as raised:
        protocol.parse_request("CreateTrainingJob", training(**overrides))

    assert says in str(raised.value)
    assert "vvvvvvvv" not in str(raised.value)


def test_a_model_name_must_fit_the_pattern():
    with pytest.raises(ValidationError, match="'modelName' failed to satisfy constraint"):
        protocol.parse_request(
            "CreateModel", {"ModelName": "../relprobe", "PrimaryContainer": {"Image": "i"}}
        )


@pytest.mark.parametrize("value", [1e20, -1e20, "1e400", float("nan")])
def test_an_out_of_range_timestamp_is_a_validation_error(value):
    with pytest.raises(ValidationError, match="CreationTimeAfter"):
        protocol.parse_request("ListTrainingJobs", {"CreationTimeAfter": value})
