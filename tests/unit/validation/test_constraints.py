"""The walker: every pattern, length, range and enum of the service model, on the request."""

from __future__ import annotations

import pytest

from airflow_sm_provider.exceptions import ConfigValidationError
from airflow_sm_provider.validation import (
    validate_model_request,
    validate_training_request,
    validate_tuning_request,
)
from airflow_sm_provider.validation.constraints import FILE_URI_RULE, constraint_problems
from airflow_sm_provider.validation.patterns import matcher
from airflow_sm_provider.validation.shape import MODEL_OPERATION, TRAINING_OPERATION, TUNING_OPERATION
from tests.unit.validation.model_walk import constraint_counts, reachable_shapes

OPERATIONS = [TRAINING_OPERATION, TUNING_OPERATION, MODEL_OPERATION]
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
# Values that break most patterns; the generic tests pick the first one a pattern refuses.
PATTERN_BREAKERS = ["\n", "a b", "#", "~", "-", "not a valid id", "a" * 80 + "#"]


def problems(error: ConfigValidationError) -> dict[str, str]:
    return {problem.field: problem.rule for problem in error.errors}


def training_problems(request, **kwargs) -> dict[str, str]:
    with pytest.raises(ConfigValidationError) as excinfo:
        validate_training_request(request, **kwargs)
    return problems(excinfo.value)


def model_request(**overrides):
    request = {
        "ModelName": "churn-model",
        "PrimaryContainer": {
            "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/serve:1",
            "ModelDataUrl": "s3://bucket/output/job/output/model.tar.gz",
        },
        "ExecutionRoleArn": ROLE,
    }
    request.update(overrides)
    return request


# Generic: every trait of every reachable shape is applied.


@pytest.mark.parametrize("operation", OPERATIONS)
def test_the_model_has_constraints_to_check(operation):
    counts = constraint_counts(operation)
    assert counts["patterns"] > 10
    assert counts["lengths"] > 20


def pattern_shapes():
    for operation in OPERATIONS:
        for shape in reachable_shapes(operation):
            if shape.type_name == "string" and "pattern" in shape.metadata:
                yield pytest.param(shape, id=f"{operation}:{shape.name}")


@pytest.mark.parametrize("shape", pattern_shapes())
def test_every_reachable_pattern_is_applied(shape):
    compiled = matcher(shape.metadata["pattern"])
    low, high = shape.metadata.get("min", 0), shape.metadata.get("max", 10**6)
    refused = [
        value for value in PATTERN_BREAKERS if low <= len(value) <= high and not compiled.fullmatch(value)
    ]
    if not refused:
        assert shape.metadata["pattern"] == r"[\S\s]*", "no probe breaks this pattern: add one"
        return  # any text at all (Environment values)
    found = constraint_problems(refused[0], shape)
    assert len(found) == 1
    assert shape.metadata["pattern"] in found[0].rule


def limited_shapes():
    for operation in OPERATIONS:
        for shape in reachable_shapes(operation):
            if "max" in shape.metadata and shape.type_name in {"string", "list", "map", "integer", "long"}:
                yield pytest.param(shape, id=f"{operation}:{shape.name}")


@pytest.mark.parametrize("shape", limited_shapes())
def test_every_reachable_maximum_is_applied(shape):
    high = shape.metadata["max"]
    over = {
        "string": lambda: "a" * (high + 1),
        "list": lambda: [None] * (high + 1),
        "map": lambda: {f"k{index}": None for index in range(high + 1)},
    }
    value = over[shape.type_name]() if shape.type_name in over else high + 1
    assert constraint_problems(value, shape), f"{shape.name} over its maximum {high} passed"


# Patterns on requests: the findings' cases and the fields they named.


def test_environment_keys_follow_the_model_pattern(build_training):
    found = training_problems(build_training(Environment={"MY KEY": "1", "GOOD_KEY": "2"}))
    assert list(found) == ["Environment.MY KEY"]
    assert found["Environment.MY KEY"].startswith(
        "key must start with a letter or underscore and contain only letters, digits and _"
    )


def test_a_role_name_is_not_a_role_arn_and_the_value_is_not_echoed(build_training):
    found = training_problems(build_training(RoleArn="MySageMakerExecutionRoleName"))
    assert found["RoleArn"].startswith("must be an IAM role ARN")
    assert "MySageMakerExecutionRoleName" not in str(found)


@pytest.mark.parametrize("uri", ["bucket/output", "/tmp/output", "ftp://bucket/output", "S3://bucket"])
def test_s3_output_path_must_be_an_s3_or_https_uri(build_training, uri):
    found = training_problems(build_training(OutputDataConfig={"S3OutputPath": uri}))
    assert found["OutputDataConfig.S3OutputPath"].startswith("must be an s3:// (or https://) URI")


def test_https_output_path_passes(build_training):
    validate_training_request(build_training(OutputDataConfig={"S3OutputPath": "https://bucket/output"}))


def test_vpc_ids_kms_keys_and_channel_names_follow_their_patterns(build_training):
    request = build_training(
        VpcConfig={"SecurityGroupIds": ["sg-0123abcd"], "Subnets": ["subnet 1"]},
        OutputDataConfig={"S3OutputPath": "s3://bucket/out", "KmsKeyId": "my key"},
    )
    request["InputDataConfig"][0]["ChannelName"] = "train/2026"
    found = training_problems(request)
    assert set(found) == {
        "VpcConfig.Subnets[0]",
        "OutputDataConfig.KmsKeyId",
        "InputDataConfig[0].ChannelName",
    }
    assert found["VpcConfig.Subnets[0]"].startswith("may contain only letters, digits and hyphens")


def test_image_uris_may_not_contain_spaces():
    with pytest.raises(ConfigValidationError) as excinfo:
        validate_model_request(model_request(PrimaryContainer={"Image": "my image:1"}))
    assert "PrimaryContainer.Image" in problems(excinfo.value)


def test_model_names_follow_their_pattern():
    validate_model_request(model_request())
    with pytest.raises(ConfigValidationError) as excinfo:
        validate_model_request(model_request(ModelName="churn_model"))
    assert list(problems(excinfo.value)) == ["ModelName"]


def test_a_hyperparameter_value_is_one_line(build_training):
    found = training_problems(build_training(HyperParameters={"text": "line one\nline two"}))
    assert found == {"HyperParameters.text": "must be a single line (no line breaks) (pattern .*)"}


def test_environment_values_may_span_lines(build_training):
    validate_training_request(build_training(Environment={"CONFIG": "a: 1\nb: 2"}))


def test_a_value_too_long_reports_the_length_not_the_pattern(build_training):
    found = training_problems(build_training(TrainingJobName="job_" * 20))
    assert found == {"TrainingJobName": "must be at most 63 characters, got 80"}


def test_tuning_definition_fields_are_walked_too(build_tuning, build_definition):
    request = build_tuning(TrainingJobDefinition=build_definition(RoleArn="arn:aws:iam::12345:role/x"))
    with pytest.raises(ConfigValidationError) as excinfo:
        validate_tuning_request(request)
    assert list(problems(excinfo.value)) == ["TrainingJobDefinition.RoleArn"]


@pytest.mark.parametrize("instance_type", ["m5.large", "ml.m5", "ML.M5.LARGE", "ml.m5.large "])
def test_an_instance_type_must_look_like_one(build_training, instance_type):
    request = build_training(ResourceConfig={"InstanceType": instance_type, "InstanceCount": 1})
    assert training_problems(request) == {
        "ResourceConfig.InstanceType": "must be an instance type such as ml.m5.xlarge (ml.<family>.<size>)"
    }


def test_every_known_instance_type_has_the_form_of_one():
    from airflow_sm_provider.validation.constraints import _INSTANCE_TYPE_FORM

    enums = [
        shape.enum for shape in reachable_shapes(TRAINING_OPERATION) if shape.name.endswith("InstanceType")
    ]
    assert enums
    assert [value for enum in enums for value in enum if not _INSTANCE_TYPE_FORM.fullmatch(value)] == []


# file:// URIs: the local backend's stand-in for s3://.

FILE_URI = "file:///tmp/sm/data"


def local_training(build_training):
    request = build_training(
        OutputDataConfig={"S3OutputPath": "file:///tmp/sm/output"},
        CheckpointConfig={"S3Uri": "file:///tmp/sm/checkpoints"},
    )
    request["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = FILE_URI
    return request


def test_file_uris_are_accepted_for_the_local_backend(build_training):
    validate_training_request(local_training(build_training), local_endpoint=True)


def test_file_uris_are_refused_by_default_naming_every_field(build_training):
    found = training_problems(local_training(build_training))
    assert found == {
        "OutputDataConfig.S3OutputPath": FILE_URI_RULE,
        "CheckpointConfig.S3Uri": FILE_URI_RULE,
        "InputDataConfig[0].DataSource.S3DataSource.S3Uri": FILE_URI_RULE,
    }
    assert FILE_URI_RULE.startswith("file:// URIs work only with the local backend")


def test_file_uris_are_refused_for_aws_in_tuning_definitions(build_tuning, build_definition):
    request = build_tuning(
        TrainingJobDefinition=build_definition(OutputDataConfig={"S3OutputPath": "file:///tmp/out"})
    )
    validate_tuning_request(request, local_endpoint=True)
    with pytest.raises(ConfigValidationError, match="file:// URIs work only with the local backend"):
        validate_tuning_request(request)


def test_a_model_from_the_local_backend_has_a_file_model_data_url():
    request = model_request()
    request["PrimaryContainer"]["ModelDataUrl"] = "file:///tmp/sm/output/job/output/model.tar.gz"
    validate_model_request(request, local_endpoint=True)
    with pytest.raises(ConfigValidationError) as excinfo:
        validate_model_request(request)
    assert problems(excinfo.value) == {"PrimaryContainer.ModelDataUrl": FILE_URI_RULE}


def test_file_uris_stand_in_only_for_s3_uris(build_training):
    found = training_problems(build_training(RoleArn="file:///etc/sagemaker/role-arn"), local_endpoint=True)
    assert found["RoleArn"].startswith("must be an IAM role ARN")


def test_the_local_backend_still_gets_every_other_pattern_checked(build_training):
    request = local_training(build_training)
    request["OutputDataConfig"]["S3OutputPath"] = "/tmp/sm/output"
    found = training_problems(request, local_endpoint=True)
    assert list(found) == ["OutputDataConfig.S3OutputPath"]
