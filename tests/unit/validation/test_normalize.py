from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from airflow_sm_provider.validation import (
    normalize_training_request,
    normalize_tuning_request,
    validate_training_request,
    validate_tuning_request,
)


def test_training_hyperparameter_numbers_become_strings(build_training):
    request = build_training(HyperParameters={"epochs": 3, "lr": 0.1, "tiny": 1e-05, "d": Decimal("2.50")})
    hyperparameters = normalize_training_request(request)["HyperParameters"]
    assert hyperparameters == {"epochs": "3", "lr": "0.1", "tiny": "1e-05", "d": "2.50"}


def test_training_hyperparameter_bools_become_lowercase_words(build_training):
    request = build_training(HyperParameters={"shuffle": True, "debug": False})
    assert normalize_training_request(request)["HyperParameters"] == {"shuffle": "true", "debug": "false"}


def test_none_hyperparameter_is_left_for_the_validator_which_refuses_it(build_training):
    normalized = normalize_training_request(build_training(HyperParameters={"lr": None}))
    assert normalized["HyperParameters"] == {"lr": None}
    with pytest.raises(ValueError) as excinfo:
        validate_training_request(normalized)
    assert (excinfo.value.field, excinfo.value.rule) == ("HyperParameters.lr", "must be a string, got None")


def test_jinja_rendered_numbers_go_back_to_numbers(build_training):
    request = build_training(
        ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": "2", "VolumeSizeInGB": " 30 "},
        StoppingCondition={"MaxRuntimeInSeconds": "3600", "MaxWaitTimeInSeconds": "7200"},
        EnableManagedSpotTraining="True",
        EnableNetworkIsolation="false",
    )
    normalized = normalize_training_request(request)
    assert normalized["ResourceConfig"] == {
        "InstanceType": "ml.m5.xlarge",
        "InstanceCount": 2,
        "VolumeSizeInGB": 30,
    }
    assert normalized["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200}
    assert normalized["EnableManagedSpotTraining"] is True
    assert normalized["EnableNetworkIsolation"] is False
    validate_training_request(normalized)


@pytest.mark.parametrize("text", ["3600.0", "1h", "", "0x10", "3 600"])
def test_strings_that_do_not_parse_cleanly_are_left_for_the_validator(build_training, text):
    normalized = normalize_training_request(build_training(StoppingCondition={"MaxRuntimeInSeconds": text}))
    assert normalized["StoppingCondition"]["MaxRuntimeInSeconds"] == text
    with pytest.raises(
        ValueError, match=r"StoppingCondition\.MaxRuntimeInSeconds: must be an integer, got str"
    ):
        validate_training_request(normalized)


def test_float_fields_parse_rendered_floats(build_tuning):
    request = build_tuning(config={"TuningJobCompletionCriteria": {"TargetObjectiveMetricValue": "0.25"}})
    normalized = normalize_tuning_request(request)
    assert normalized["HyperParameterTuningJobConfig"]["TuningJobCompletionCriteria"] == {
        "TargetObjectiveMetricValue": 0.25
    }


def test_non_finite_float_text_is_not_converted(build_tuning):
    request = build_tuning(config={"TuningJobCompletionCriteria": {"TargetObjectiveMetricValue": "nan"}})
    completion = normalize_tuning_request(request)["HyperParameterTuningJobConfig"][
        "TuningJobCompletionCriteria"
    ]
    assert completion == {"TargetObjectiveMetricValue": "nan"}


def test_string_fields_are_never_converted(build_training):
    normalized = normalize_training_request(
        build_training(TrainingJobName="12345", HyperParameters={"n": "10"})
    )
    assert normalized["TrainingJobName"] == "12345"
    assert normalized["HyperParameters"] == {"n": "10"}


def test_normalize_returns_a_new_dict_and_leaves_the_input_untouched(build_training):
    request = build_training(HyperParameters={"epochs": 3}, ResourceConfig={"InstanceCount": "1"})
    before = copy.deepcopy(request)
    normalized = normalize_training_request(request)
    assert request == before
    normalized["AlgorithmSpecification"]["MetricDefinitions"].append({"Name": "x", "Regex": "y"})
    assert request == before


def test_unknown_keys_are_copied_for_the_validator_to_report(build_training):
    request = build_training(Unknown={"nested": [1]})
    normalized = normalize_training_request(request)
    assert normalized["Unknown"] == {"nested": [1]}
    assert normalized["Unknown"] is not request["Unknown"]


def test_tuning_static_hyperparameters_of_every_definition_become_strings(build_tuning, build_definition):
    request = build_tuning(
        TrainingJobDefinition=None,
        TrainingJobDefinitions=[
            build_definition(DefinitionName="a", StaticHyperParameters={"epochs": 5}),
            build_definition(DefinitionName="b", StaticHyperParameters={"dropout": 0.5, "bn": True}),
        ],
    )
    del request["TrainingJobDefinition"]
    definitions = normalize_tuning_request(request)["TrainingJobDefinitions"]
    assert definitions[0]["StaticHyperParameters"] == {"epochs": "5"}
    assert definitions[1]["StaticHyperParameters"] == {"dropout": "0.5", "bn": "true"}


def test_tuning_single_definition_static_hyperparameters_become_strings(build_tuning, build_definition):
    request = build_tuning(TrainingJobDefinition=build_definition(StaticHyperParameters={"num_round": 100}))
    normalized = normalize_tuning_request(request)
    assert normalized["TrainingJobDefinition"]["StaticHyperParameters"] == {"num_round": "100"}


def test_range_bounds_and_categorical_values_become_strings(build_tuning):
    request = build_tuning(
        config={
            "ParameterRanges": {
                "IntegerParameterRanges": [{"Name": "depth", "MinValue": 2, "MaxValue": 10}],
                "ContinuousParameterRanges": [{"Name": "eta", "MinValue": 0.01, "MaxValue": 0.5}],
                "CategoricalParameterRanges": [{"Name": "n", "Values": [1, 2.5, True, "x"]}],
            },
            "ResourceLimits": {"MaxNumberOfTrainingJobs": "20", "MaxParallelTrainingJobs": "2"},
        }
    )
    normalized = normalize_tuning_request(request)
    config = normalized["HyperParameterTuningJobConfig"]
    assert config["ParameterRanges"] == {
        "IntegerParameterRanges": [{"Name": "depth", "MinValue": "2", "MaxValue": "10"}],
        "ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.01", "MaxValue": "0.5"}],
        "CategoricalParameterRanges": [{"Name": "n", "Values": ["1", "2.5", "true", "x"]}],
    }
    assert config["ResourceLimits"] == {"MaxNumberOfTrainingJobs": 20, "MaxParallelTrainingJobs": 2}
    validate_tuning_request(normalized)


def test_definition_level_ranges_are_stringified(build_tuning, build_definition):
    ranges = {"IntegerParameterRanges": [{"Name": "depth", "MinValue": 1, "MaxValue": 4}]}
    request = build_tuning(TrainingJobDefinition=build_definition(HyperParameterRanges=ranges))
    normalized = normalize_tuning_request(request)
    assert (
        normalized["TrainingJobDefinition"]["HyperParameterRanges"]["IntegerParameterRanges"][0]["MaxValue"]
        == "4"
    )


@pytest.mark.parametrize("function", [normalize_training_request, normalize_tuning_request])
def test_a_non_dict_request_is_refused(function):
    with pytest.raises(ValueError, match="config: must be a dict"):
        function(["not", "a", "dict"])
