"""validate_*_request: botocore's model checks, reported as field paths and plain rules."""

from __future__ import annotations

import subprocess
import sys

import pytest

from airflow_sm_provider.exceptions import ConfigValidationError
from airflow_sm_provider.validation import (
    normalize_training_request,
    validate_training_request,
    validate_tuning_request,
)


def problems(error: ConfigValidationError) -> dict[str, str]:
    return {problem.field: problem.rule for problem in error.errors}


def test_a_valid_training_request_passes(training_request):
    assert validate_training_request(training_request) is None


def test_a_valid_tuning_request_passes(tuning_request):
    assert validate_tuning_request(tuning_request) is None


def test_unknown_key_names_the_path_and_the_valid_keys(build_training):
    request = build_training(
        ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGb": 5}
    )
    with pytest.raises(ConfigValidationError) as excinfo:
        validate_training_request(request)
    assert excinfo.value.field == "ResourceConfig.VolumeSizeInGb"
    assert excinfo.value.rule.startswith(
        "unknown key (valid keys: InstanceType, InstanceCount, VolumeSizeInGB"
    )


def test_missing_required_field_is_reported_as_required(build_training):
    request = build_training()
    del request["RoleArn"]
    with pytest.raises(ConfigValidationError) as excinfo:
        validate_training_request(request)
    assert (excinfo.value.field, excinfo.value.rule) == ("RoleArn", "required")


def test_wrong_type_names_the_expected_and_actual_types(build_training):
    request = build_training(StoppingCondition={"MaxRuntimeInSeconds": "an hour"})
    with pytest.raises(ConfigValidationError) as excinfo:
        validate_training_request(request)
    assert (excinfo.value.field, excinfo.value.rule) == (
        "StoppingCondition.MaxRuntimeInSeconds",
        "must be an integer, got str",
    )
    assert "an hour" not in str(excinfo.value)


def test_below_minimum_is_reported(build_training):
    request = build_training(StoppingCondition={"MaxRuntimeInSeconds": 0})
    with pytest.raises(
        ConfigValidationError, match=r"StoppingCondition\.MaxRuntimeInSeconds: must be at least 1"
    ):
        validate_training_request(request)


def test_nested_list_paths_carry_indexes(build_tuning):
    request = build_tuning()
    ranges = request["HyperParameterTuningJobConfig"]["ParameterRanges"]
    ranges["IntegerParameterRanges"][0]["MinValue"] = 2
    with pytest.raises(ConfigValidationError) as excinfo:
        validate_tuning_request(request)
    assert (
        excinfo.value.field
        == "HyperParameterTuningJobConfig.ParameterRanges.IntegerParameterRanges[0].MinValue"
    )
    assert excinfo.value.rule == "must be a string, got int"


def test_every_problem_is_reported_in_one_exception(build_training):
    request = build_training(
        ResourceConfig={"InstanceCount": "x", "Bogus": 1},
        EnableManagedSpotTraining="yes",
    )
    del request["OutputDataConfig"]
    with pytest.raises(ConfigValidationError) as excinfo:
        validate_training_request(request)
    found = problems(excinfo.value)
    assert found == {
        "OutputDataConfig": "required",
        "ResourceConfig.Bogus": found["ResourceConfig.Bogus"],
        "ResourceConfig.InstanceCount": "must be an integer, got str",
        "EnableManagedSpotTraining": "must be a boolean, got str",
    }
    message = str(excinfo.value)
    assert message.startswith("Invalid SageMaker request (4 problems): ")
    for field in found:
        assert field in message
    assert excinfo.value.field == excinfo.value.errors[0].field


def test_a_single_problem_keeps_the_plain_message(build_training):
    request = build_training(EnableManagedSpotTraining="yes")
    with pytest.raises(ConfigValidationError) as excinfo:
        validate_training_request(request)
    assert (
        str(excinfo.value)
        == "Invalid SageMaker request: EnableManagedSpotTraining: must be a boolean, got str"
    )


def test_enum_values_are_checked(build_training):
    request = build_training()
    request["AlgorithmSpecification"]["TrainingInputMode"] = "file"
    with pytest.raises(ConfigValidationError) as excinfo:
        validate_training_request(request)
    assert (excinfo.value.field, excinfo.value.rule) == (
        "AlgorithmSpecification.TrainingInputMode",
        "must be one of: Pipe, File, FastFile",
    )


def test_instance_types_newer_than_botocore_are_left_to_the_service(build_training):
    request = build_training(ResourceConfig={"InstanceType": "ml.future99.xlarge", "InstanceCount": 1})
    validate_training_request(request)


def test_model_maximum_length_is_checked(build_training):
    with pytest.raises(ConfigValidationError) as excinfo:
        validate_training_request(build_training(TrainingJobName="a" * 64))
    assert (excinfo.value.field, excinfo.value.rule) == (
        "TrainingJobName",
        "must be at most 63 characters, got 64",
    )


def test_model_maximum_count_is_checked(build_training):
    channel = {
        "ChannelName": "c",
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/k"}},
    }
    with pytest.raises(ConfigValidationError) as excinfo:
        validate_training_request(build_training(InputDataConfig=[channel] * 21))
    assert (excinfo.value.field, excinfo.value.rule) == (
        "InputDataConfig",
        "at most 20 items allowed, got 21",
    )


def test_model_maximum_value_is_checked(build_tuning):
    request = build_tuning()
    request["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxRuntimeInSeconds"] = 15768001
    with pytest.raises(ConfigValidationError) as excinfo:
        validate_tuning_request(request)
    assert excinfo.value.field == "HyperParameterTuningJobConfig.ResourceLimits.MaxRuntimeInSeconds"
    assert excinfo.value.rule == "must be at most 15768000"


def test_environment_values_never_appear_in_errors(build_training):
    secret = "hunter2-very-secret-value"
    request = build_training(Environment={"DB_PASSWORD": secret, "N": 3, "LONG": "x" * 600 + secret})
    with pytest.raises(ConfigValidationError) as excinfo:
        validate_training_request(normalize_training_request(request))
    assert problems(excinfo.value) == {
        "Environment.N": "must be a string, got int",
        "Environment.LONG": "must be at most 512 characters, got 625",
    }
    assert secret not in str(excinfo.value)
    assert secret not in repr(excinfo.value.errors)


def test_hyperparameter_values_never_appear_in_errors(build_training):
    value = {"nested": "sensitive-looking-value"}
    with pytest.raises(ConfigValidationError) as excinfo:
        validate_training_request(build_training(HyperParameters={"cfg": value}))
    assert "sensitive-looking-value" not in str(excinfo.value)
    assert problems(excinfo.value) == {"HyperParameters.cfg": "must be a string, got dict"}


def test_the_error_is_a_value_error_too(build_training):
    with pytest.raises(ValueError):
        validate_training_request(build_training(RoleArn=None))


@pytest.mark.parametrize("function", [validate_training_request, validate_tuning_request])
def test_a_non_dict_request_is_refused(function):
    with pytest.raises(ConfigValidationError, match="config: must be a dict"):
        function("CreateTrainingJob")


def test_importing_validation_does_not_import_botocore():
    code = (
        "import sys, airflow_sm_provider.validation; "
        "assert 'botocore' not in sys.modules and 'boto3' not in sys.modules, 'imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
