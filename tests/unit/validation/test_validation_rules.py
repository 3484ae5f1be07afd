"""SageMaker's documented rules beyond the service model."""

from __future__ import annotations

import pytest

from airflow_sm_provider.exceptions import ConfigValidationError
from airflow_sm_provider.validation import (
    normalize_tuning_request,
    validate_training_request,
    validate_tuning_request,
)

CONFIG = "HyperParameterTuningJobConfig"
RANGES = f"{CONFIG}.ParameterRanges"


def tuning_problems(request) -> dict[str, str]:
    with pytest.raises(ConfigValidationError) as excinfo:
        validate_tuning_request(request)
    return {problem.field: problem.rule for problem in excinfo.value.errors}


def training_problems(request) -> dict[str, str]:
    with pytest.raises(ConfigValidationError) as excinfo:
        validate_training_request(request)
    return {problem.field: problem.rule for problem in excinfo.value.errors}


# Names


@pytest.mark.parametrize("name", ["a", "job-1", "A--b", "x" * 63, "9lives"])
def test_valid_training_job_names_pass(build_training, name):
    validate_training_request(build_training(TrainingJobName=name))


@pytest.mark.parametrize("name", ["-job", "job-", "job_1", "job.1", "job 1", "jöb"])
def test_training_job_names_must_match_the_sagemaker_pattern(build_training, name):
    assert training_problems(build_training(TrainingJobName=name)) == {
        "TrainingJobName": (
            "must start with a letter or digit and contain only letters, digits and hyphens"
            " (pattern [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})"
        )
    }


def test_tuning_job_name_is_at_most_32_characters(build_tuning):
    validate_tuning_request(build_tuning(HyperParameterTuningJobName="t" * 32))
    assert tuning_problems(build_tuning(HyperParameterTuningJobName="t" * 33)) == {
        "HyperParameterTuningJobName": "must be at most 32 characters, got 33"
    }


def test_tuning_job_name_pattern(build_tuning):
    assert "HyperParameterTuningJobName" in tuning_problems(
        build_tuning(HyperParameterTuningJobName="tune_1")
    )


def test_definition_names_are_validated(build_tuning, build_definition):
    request = build_tuning(
        TrainingJobDefinitions=[
            build_definition(DefinitionName="ok-1"),
            build_definition(DefinitionName="not_ok"),
        ]
    )
    del request["TrainingJobDefinition"]
    assert set(tuning_problems(request)) == {"TrainingJobDefinitions[1].DefinitionName"}


# Hyperparameters


def test_at_most_100_hyperparameters(build_training):
    validate_training_request(build_training(HyperParameters={f"h{i}": "1" for i in range(100)}))
    found = training_problems(build_training(HyperParameters={f"h{i}": "1" for i in range(101)}))
    assert found["HyperParameters"] in {
        "at most 100 entries allowed, got 101",
        "at most 100 hyperparameters, got 101",
    }


def test_static_and_tuned_hyperparameters_count_together(build_tuning, build_definition):
    static = {f"s{i}": "1" for i in range(98)}
    request = build_tuning(TrainingJobDefinition=build_definition(StaticHyperParameters=static))
    assert tuning_problems(request) == {
        "TrainingJobDefinition.StaticHyperParameters": (
            "at most 100 static and tuned hyperparameters together, got 101"
        )
    }


def test_hyperparameter_keys_are_at_most_256_characters(build_training):
    key = "k" * 257
    found = training_problems(build_training(HyperParameters={key: "1"}))
    assert found == {f"HyperParameters.{'k' * 32}": "key must be at most 256 characters, got 257"}


def test_hyperparameter_values_are_at_most_256_characters(build_training):
    validate_training_request(build_training(HyperParameters={"v": "x" * 256}))
    found = training_problems(build_training(HyperParameters={"v": "x" * 257}))
    assert found == {"HyperParameters.v": "value longer than 256 characters"}
    found = training_problems(build_training(HyperParameters={"v": "y" * 3000}))
    assert "y" * 10 not in str(found)


def test_static_hyperparameter_values_are_at_most_256_characters(build_tuning, build_definition):
    request = build_tuning(TrainingJobDefinition=build_definition(StaticHyperParameters={"v": "x" * 300}))
    assert tuning_problems(request) == {
        "TrainingJobDefinition.StaticHyperParameters.v": "value longer than 256 characters"
    }


def test_credentials_in_hyperparameters_are_refused_without_echoing_them(build_training):
    key_id = "AKIAIOSFODNN7EXAMPLE"
    found = training_problems(build_training(HyperParameters={"aws_key": key_id, "lr": "0.1"}))
    assert list(found) == ["HyperParameters.aws_key"]
    assert found["HyperParameters.aws_key"].startswith("looks like an AWS credential")
    assert key_id not in str(found)


def test_credentials_in_static_hyperparameters_and_categorical_values_are_refused(
    build_tuning, build_definition
):
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    request = build_tuning(
        TrainingJobDefinition=build_definition(StaticHyperParameters={"api_secret": secret}),
        config={
            "ParameterRanges": {"CategoricalParameterRanges": [{"Name": "token", "Values": ["a", secret]}]}
        },
    )
    found = tuning_problems(request)
    assert set(found) == {
        "TrainingJobDefinition.StaticHyperParameters.api_secret",
        f"{RANGES}.CategoricalParameterRanges[0].Values[1]",
    }
    assert secret not in str(found)


# Ranges


def set_ranges(request, **ranges):
    request[CONFIG]["ParameterRanges"] = ranges
    return request


def test_min_must_not_exceed_max(build_tuning):
    request = set_ranges(
        build_tuning(),
        IntegerParameterRanges=[{"Name": "depth", "MinValue": "10", "MaxValue": "2"}],
        ContinuousParameterRanges=[{"Name": "eta", "MinValue": "0.5", "MaxValue": "0.05"}],
    )
    assert tuning_problems(request) == {
        f"{RANGES}.IntegerParameterRanges[0].MinValue": "must be less than or equal to MaxValue",
        f"{RANGES}.ContinuousParameterRanges[0].MinValue": "must be less than or equal to MaxValue",
    }


def test_numeric_comparison_not_string_comparison(build_tuning):
    request = set_ranges(
        build_tuning(), IntegerParameterRanges=[{"Name": "depth", "MinValue": "9", "MaxValue": "10"}]
    )
    validate_tuning_request(request)


def test_range_bounds_must_parse_as_numbers(build_tuning):
    request = set_ranges(
        build_tuning(),
        IntegerParameterRanges=[{"Name": "depth", "MinValue": "1.5", "MaxValue": "ten"}],
        ContinuousParameterRanges=[{"Name": "eta", "MinValue": "1e-3", "MaxValue": "inf"}],
    )
    assert tuning_problems(request) == {
        f"{RANGES}.IntegerParameterRanges[0].MinValue": "must be an integer written as a string",
        f"{RANGES}.IntegerParameterRanges[0].MaxValue": "must be an integer written as a string",
        f"{RANGES}.ContinuousParameterRanges[0].MaxValue": "must be a number written as a string",
    }


@pytest.mark.parametrize("kind", ["IntegerParameterRanges", "ContinuousParameterRanges"])
def test_logarithmic_scaling_needs_a_positive_minimum(build_tuning, kind):
    item = {"Name": "p", "MinValue": "0", "MaxValue": "10", "ScalingType": "Logarithmic"}
    assert tuning_problems(set_ranges(build_tuning(), **{kind: [item]})) == {
        f"{RANGES}.{kind}[0].MinValue": "must be greater than 0 with Logarithmic scaling"
    }


def test_reverse_logarithmic_needs_zero_to_one(build_tuning):
    good = {"Name": "momentum", "MinValue": "0", "MaxValue": "0.999", "ScalingType": "ReverseLogarithmic"}
    validate_tuning_request(set_ranges(build_tuning(), ContinuousParameterRanges=[good]))
    bad = dict(good, MaxValue="1")
    assert tuning_problems(set_ranges(build_tuning(), ContinuousParameterRanges=[bad])) == {
        f"{RANGES}.ContinuousParameterRanges[0]": (
            "ReverseLogarithmic scaling needs 0 <= MinValue and MaxValue < 1"
        )
    }


def test_reverse_logarithmic_is_for_continuous_ranges_only(build_tuning):
    item = {"Name": "depth", "MinValue": "0", "MaxValue": "0", "ScalingType": "ReverseLogarithmic"}
    assert tuning_problems(set_ranges(build_tuning(), IntegerParameterRanges=[item])) == {
        f"{RANGES}.IntegerParameterRanges[0].ScalingType": (
            "ReverseLogarithmic applies to continuous ranges only"
        )
    }


def test_a_hyperparameter_has_one_range(build_tuning):
    request = set_ranges(
        build_tuning(),
        IntegerParameterRanges=[{"Name": "depth", "MinValue": "1", "MaxValue": "3"}],
        CategoricalParameterRanges=[{"Name": "depth", "Values": ["1", "2"]}],
    )
    assert tuning_problems(request) == {
        f"{RANGES}.CategoricalParameterRanges[0].Name": "hyperparameter 'depth' has more than one range"
    }


def test_at_most_30_tuned_hyperparameters(build_tuning):
    integers = [{"Name": f"i{n}", "MinValue": "1", "MaxValue": "2"} for n in range(20)]
    categoricals = [{"Name": f"c{n}", "Values": ["a"]} for n in range(11)]
    request = set_ranges(
        build_tuning(), IntegerParameterRanges=integers, CategoricalParameterRanges=categoricals
    )
    assert tuning_problems(request) == {RANGES: "at most 30 tuned hyperparameters, got 31"}


def test_definition_level_ranges_are_checked(build_tuning, build_definition):
    ranges = {"IntegerParameterRanges": [{"Name": "depth", "MinValue": "5", "MaxValue": "1"}]}
    request = build_tuning(TrainingJobDefinition=build_definition(HyperParameterRanges=ranges))
    assert tuning_problems(request) == {
        "TrainingJobDefinition.HyperParameterRanges.IntegerParameterRanges[0].MinValue": (
            "must be less than or equal to MaxValue"
        )
    }


# Resource limits and strategies


def test_parallel_jobs_may_not_exceed_total_jobs(build_tuning):
    request = build_tuning(
        config={"ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 3}}
    )
    assert tuning_problems(request) == {
        f"{CONFIG}.ResourceLimits.MaxParallelTrainingJobs": (
            "must be less than or equal to MaxNumberOfTrainingJobs"
        )
    }


def grid_request(build_tuning, **limits):
    return build_tuning(
        config={
            "Strategy": "Grid",
            "ResourceLimits": {"MaxParallelTrainingJobs": 2, **limits},
            "ParameterRanges": {
                "CategoricalParameterRanges": [
                    {"Name": "booster", "Values": ["gbtree", "dart", "gblinear"]},
                    {"Name": "loss", "Values": ["a", "b"]},
                ],
                "IntegerParameterRanges": [{"Name": "depth", "MinValue": "3", "MaxValue": "4"}],
            },
        }
    )


def test_grid_without_max_jobs_passes(build_tuning):
    validate_tuning_request(grid_request(build_tuning))


def test_grid_max_jobs_equal_to_the_number_of_combinations_passes(build_tuning):
    validate_tuning_request(grid_request(build_tuning, MaxNumberOfTrainingJobs=12))


def test_grid_max_jobs_different_from_the_number_of_combinations_is_refused(build_tuning):
    assert tuning_problems(grid_request(build_tuning, MaxNumberOfTrainingJobs=10)) == {
        f"{CONFIG}.ResourceLimits.MaxNumberOfTrainingJobs": (
            "with the Grid strategy must be omitted or equal the number of distinct combinations (12)"
        )
    }


def test_grid_refuses_continuous_ranges(build_tuning):
    request = grid_request(build_tuning)
    request[CONFIG]["ParameterRanges"]["ContinuousParameterRanges"] = [
        {"Name": "eta", "MinValue": "0.1", "MaxValue": "0.2"}
    ]
    assert tuning_problems(request) == {
        f"{RANGES}.ContinuousParameterRanges": (
            "not allowed with the Grid strategy (use categorical or integer ranges)"
        )
    }


def test_grid_needs_ranges(build_tuning):
    request = build_tuning(config={"Strategy": "Grid", "ParameterRanges": {}})
    assert tuning_problems(request) == {RANGES: "the Grid strategy needs categorical or integer ranges"}


def test_hyperband_config_only_with_hyperband(build_tuning):
    strategy_config = {"HyperbandStrategyConfig": {"MinResource": 1, "MaxResource": 9}}
    validate_tuning_request(build_tuning(config={"Strategy": "Hyperband", "StrategyConfig": strategy_config}))
    found = tuning_problems(build_tuning(config={"Strategy": "Bayesian", "StrategyConfig": strategy_config}))
    assert found == {
        f"{CONFIG}.StrategyConfig.HyperbandStrategyConfig": "only allowed with the Hyperband strategy"
    }


def test_hyperband_min_resource_at_most_max(build_tuning):
    strategy_config = {"HyperbandStrategyConfig": {"MinResource": 10, "MaxResource": 9}}
    found = tuning_problems(build_tuning(config={"Strategy": "Hyperband", "StrategyConfig": strategy_config}))
    assert found == {
        f"{CONFIG}.StrategyConfig.HyperbandStrategyConfig.MinResource": (
            "must be less than or equal to MaxResource"
        )
    }


# Objective, definitions, algorithm, stopping


def test_objective_metric_must_be_defined_by_the_algorithm(build_tuning):
    request = build_tuning(
        config={"HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "val:loss"}}
    )
    assert tuning_problems(request) == {
        f"{CONFIG}.HyperParameterTuningJobObjective.MetricName": (
            "not among TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions"
            " (defined: validation:rmse)"
        )
    }


def test_objective_is_not_checked_for_built_in_algorithms(build_tuning, build_definition):
    algorithm = {"AlgorithmName": "xgboost-builtin", "TrainingInputMode": "File"}
    request = build_tuning(
        TrainingJobDefinition=build_definition(AlgorithmSpecification=algorithm),
        config={"HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:auc"}},
    )
    validate_tuning_request(request)


def test_per_definition_objective_is_checked(build_tuning, build_definition):
    request = build_tuning(
        TrainingJobDefinitions=[
            build_definition(
                DefinitionName="a", TuningObjective={"Type": "Maximize", "MetricName": "validation:rmse"}
            ),
            build_definition(DefinitionName="b", TuningObjective={"Type": "Maximize", "MetricName": "acc"}),
        ]
    )
    del request["TrainingJobDefinition"]
    del request[CONFIG]["HyperParameterTuningJobObjective"]
    assert set(tuning_problems(request)) == {"TrainingJobDefinitions[1].TuningObjective.MetricName"}


def test_exactly_one_definition_form(build_tuning, build_definition):
    both = build_tuning(TrainingJobDefinitions=[build_definition(DefinitionName="a")])
    assert "TrainingJobDefinitions" in tuning_problems(both)
    neither = build_tuning()
    del neither["TrainingJobDefinition"]
    assert tuning_problems(neither) == {"TrainingJobDefinition": "required (or TrainingJobDefinitions)"}


def test_algorithm_needs_an_image_or_a_name_not_both(build_training):
    both = build_training()
    both["AlgorithmSpecification"]["AlgorithmName"] = "my-algo"
    assert training_problems(both) == {
        "AlgorithmSpecification.AlgorithmName": "give TrainingImage or AlgorithmName, not both"
    }
    neither = build_training(AlgorithmSpecification={"TrainingInputMode": "File"})
    assert training_problems(neither) == {
        "AlgorithmSpecification.TrainingImage": "required (or AlgorithmName)"
    }


def test_spot_wait_time_must_cover_the_runtime(build_training):
    request = build_training(
        EnableManagedSpotTraining=True,
        StoppingCondition={"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 600},
    )
    assert training_problems(request) == {
        "StoppingCondition.MaxWaitTimeInSeconds": "must be greater than or equal to MaxRuntimeInSeconds"
    }


def test_rules_skip_what_botocore_already_reports(build_tuning):
    request = build_tuning(
        config={"ResourceLimits": "lots", "ParameterRanges": {"IntegerParameterRanges": "x"}}
    )
    found = tuning_problems(request)
    assert found == {
        f"{CONFIG}.ResourceLimits": "must be an object (dict), got str",
        f"{RANGES}.IntegerParameterRanges": "must be a list, got str",
    }


def test_normalised_jinja_strings_are_valid(build_tuning):
    request = build_tuning(
        config={"ResourceLimits": {"MaxNumberOfTrainingJobs": "20", "MaxParallelTrainingJobs": "4"}}
    )
    validate_tuning_request(normalize_tuning_request(request))
