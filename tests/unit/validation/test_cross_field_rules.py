"""The rules across fields that issue 12 lists, each refused with its field and rule."""

from __future__ import annotations

import time

import pytest

from airflow_sm_provider.exceptions import ConfigValidationError
from airflow_sm_provider.validation import (
    validate_model_request,
    validate_training_request,
    validate_tuning_request,
)
from airflow_sm_provider.validation.search_space import MAX_RANDOM_TRAINING_JOBS, MAX_TRAINING_JOBS
from tests.unit.validation.test_constraints import model_request

CONFIG = "HyperParameterTuningJobConfig"
RANGES = f"{CONFIG}.ParameterRanges"


def found(validate, request) -> dict[str, str]:
    with pytest.raises(ConfigValidationError) as excinfo:
        validate(request)
    return {problem.field: problem.rule for problem in excinfo.value.errors}


def several_definitions(build_tuning, build_definition, *definitions):
    request = build_tuning(TrainingJobDefinitions=list(definitions))
    del request["TrainingJobDefinition"]
    return request


# Channels


def test_channel_names_are_unique(build_training):
    request = build_training()
    request["InputDataConfig"].append(dict(request["InputDataConfig"][0]))
    assert found(validate_training_request, request) == {
        "InputDataConfig[1].ChannelName": "channel 'train' is defined more than once"
    }


def test_channel_names_are_unique_in_a_tuning_definition(build_tuning, build_definition):
    channel = {
        "ChannelName": "train",
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/train/"}},
    }
    request = build_tuning(TrainingJobDefinition=build_definition(InputDataConfig=[channel, channel]))
    assert set(found(validate_tuning_request, request)) == {
        "TrainingJobDefinition.InputDataConfig[1].ChannelName"
    }


# Static and tuned hyperparameters


def test_a_hyperparameter_is_either_static_or_tuned(build_tuning, build_definition):
    request = build_tuning(
        TrainingJobDefinition=build_definition(StaticHyperParameters={"max_depth": "5", "seed": "1"})
    )
    assert found(validate_tuning_request, request) == {
        "TrainingJobDefinition.StaticHyperParameters.max_depth": (
            f"is also tuned ({RANGES}.IntegerParameterRanges[0]); a hyperparameter is either static or tuned"
        )
    }


def test_static_and_tuned_is_checked_against_the_definitions_own_ranges(build_tuning, build_definition):
    own = {"CategoricalParameterRanges": [{"Name": "seed", "Values": ["1", "2"]}]}
    request = build_tuning(
        TrainingJobDefinition=build_definition(
            StaticHyperParameters={"seed": "1", "max_depth": "5"}, HyperParameterRanges=own
        )
    )
    del request[CONFIG]["ParameterRanges"]
    assert set(found(validate_tuning_request, request)) == {
        "TrainingJobDefinition.StaticHyperParameters.seed"
    }


# Several training job definitions


def test_several_definitions_each_need_a_name(build_tuning, build_definition):
    request = several_definitions(
        build_tuning, build_definition, build_definition(DefinitionName="a"), build_definition()
    )
    assert found(validate_tuning_request, request) == {
        "TrainingJobDefinitions[1].DefinitionName": "required when there are several training job definitions"
    }


def test_several_definitions_need_distinct_names(build_tuning, build_definition):
    request = several_definitions(
        build_tuning,
        build_definition,
        build_definition(DefinitionName="a"),
        build_definition(DefinitionName="a"),
    )
    assert found(validate_tuning_request, request) == {
        "TrainingJobDefinitions[1].DefinitionName": "must be unique; 'a' names an earlier definition"
    }


def test_distinct_definition_names_pass(build_tuning, build_definition):
    validate_tuning_request(
        several_definitions(
            build_tuning,
            build_definition,
            build_definition(DefinitionName="a"),
            build_definition(DefinitionName="b"),
        )
    )


# Objectives


def test_a_tuning_job_needs_an_objective(build_tuning):
    request = build_tuning()
    del request[CONFIG]["HyperParameterTuningJobObjective"]
    assert found(validate_tuning_request, request) == {
        f"{CONFIG}.HyperParameterTuningJobObjective": (
            "required (or a TuningObjective in every training job definition)"
        )
    }


def test_per_definition_objectives_replace_the_jobs_objective(build_tuning, build_definition):
    objective = {"Type": "Minimize", "MetricName": "validation:rmse"}
    request = several_definitions(
        build_tuning,
        build_definition,
        build_definition(DefinitionName="a", TuningObjective=objective),
        build_definition(DefinitionName="b", TuningObjective=objective),
    )
    del request[CONFIG]["HyperParameterTuningJobObjective"]
    validate_tuning_request(request)
    request["TrainingJobDefinitions"][1].pop("TuningObjective")
    assert set(found(validate_tuning_request, request)) == {f"{CONFIG}.HyperParameterTuningJobObjective"}


def test_objectives_point_the_same_way(build_tuning, build_definition):
    request = several_definitions(
        build_tuning,
        build_definition,
        build_definition(
            DefinitionName="a", TuningObjective={"Type": "Minimize", "MetricName": "validation:rmse"}
        ),
        build_definition(
            DefinitionName="b", TuningObjective={"Type": "Maximize", "MetricName": "validation:rmse"}
        ),
    )
    assert found(validate_tuning_request, request) == {
        "TrainingJobDefinitions[1].TuningObjective.Type": (
            "must be Minimize like the other objectives (one direction per job)"
        )
    }


# Strategies


def test_hyperband_does_its_own_early_stopping(build_tuning):
    request = build_tuning(config={"Strategy": "Hyperband", "TrainingJobEarlyStoppingType": "Auto"})
    assert found(validate_tuning_request, request) == {
        f"{CONFIG}.TrainingJobEarlyStoppingType": (
            "must be Off with the Hyperband strategy (Hyperband stops training jobs early itself)"
        )
    }
    validate_tuning_request(
        build_tuning(config={"Strategy": "Hyperband", "TrainingJobEarlyStoppingType": "Off"})
    )
    validate_tuning_request(
        build_tuning(config={"Strategy": "Bayesian", "TrainingJobEarlyStoppingType": "Auto"})
    )


def grid(build_tuning, *, size: int, count: int = 1, max_jobs=None):
    ranges = [{"Name": f"p{index}", "MinValue": "0", "MaxValue": str(size - 1)} for index in range(count)]
    limits = {"MaxParallelTrainingJobs": 2}
    if max_jobs is not None:
        limits["MaxNumberOfTrainingJobs"] = max_jobs
    return build_tuning(
        config={
            "Strategy": "Grid",
            "ResourceLimits": limits,
            "ParameterRanges": {"IntegerParameterRanges": ranges},
        }
    )


def test_a_grid_at_the_cap_passes(build_tuning):
    validate_tuning_request(grid(build_tuning, size=MAX_TRAINING_JOBS))


def test_a_grid_over_the_cap_is_refused(build_tuning):
    assert found(validate_tuning_request, grid(build_tuning, size=MAX_TRAINING_JOBS + 1)) == {
        RANGES: (
            "the grid has 751 combinations; SageMaker runs at most 750 training jobs per Grid tuning job "
            "(narrow the ranges or use Random or Bayesian)"
        )
    }


def test_a_billion_point_grid_is_sized_without_building_it(build_tuning):
    started = time.perf_counter()
    problems = found(validate_tuning_request, grid(build_tuning, size=1000, count=3, max_jobs=10))
    assert time.perf_counter() - started < 2
    assert problems[RANGES].startswith("the grid has 1000000000 combinations")
    # Thirty ranges of 10^18 values each: a number, never a list.
    problems = found(validate_tuning_request, grid(build_tuning, size=10**18, count=30))
    assert RANGES in problems


def test_max_training_jobs_is_capped_by_strategy(build_tuning):
    limits = {"MaxNumberOfTrainingJobs": MAX_TRAINING_JOBS + 1, "MaxParallelTrainingJobs": 2}
    assert found(validate_tuning_request, build_tuning(config={"ResourceLimits": limits})) == {
        f"{CONFIG}.ResourceLimits.MaxNumberOfTrainingJobs": (
            "at most 750 training jobs per tuning job with the Bayesian strategy (SageMaker's limit), got 751"
        )
    }
    validate_tuning_request(build_tuning(config={"Strategy": "Random", "ResourceLimits": limits}))
    limits["MaxNumberOfTrainingJobs"] = MAX_RANDOM_TRAINING_JOBS + 1
    assert set(
        found(validate_tuning_request, build_tuning(config={"Strategy": "Random", "ResourceLimits": limits}))
    )


# Resources


def test_instance_groups_replace_instance_type_and_count(build_training):
    group = {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2, "InstanceGroupName": "workers"}
    validate_training_request(
        build_training(ResourceConfig={"InstanceGroups": [group], "VolumeSizeInGB": 10})
    )
    request = build_training(ResourceConfig={"InstanceGroups": [group], "InstanceType": "ml.m5.xlarge"})
    assert found(validate_training_request, request) == {
        "ResourceConfig.InstanceGroups": (
            "give InstanceGroups or InstanceType, not both (a heterogeneous cluster is described by its "
            "instance groups only)"
        )
    }


def test_tuning_instance_configs_replace_instance_type_and_count(build_tuning, build_definition):
    resources = {
        "InstanceConfigs": [{"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10}],
        "InstanceCount": 1,
    }
    definition = build_definition(HyperParameterTuningResourceConfig=resources)
    del definition["ResourceConfig"]
    assert found(validate_tuning_request, build_tuning(TrainingJobDefinition=definition)) == {
        "TrainingJobDefinition.HyperParameterTuningResourceConfig.InstanceConfigs": (
            "give InstanceConfigs or InstanceCount, not both"
        )
    }


def test_instance_count_is_at_least_one(build_training):
    request = build_training(ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 0})
    assert found(validate_training_request, request) == {"ResourceConfig.InstanceCount": "must be at least 1"}


# Spot


def test_max_wait_time_needs_managed_spot(build_training):
    request = build_training(StoppingCondition={"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200})
    assert found(validate_training_request, request) == {
        "StoppingCondition.MaxWaitTimeInSeconds": "only allowed with EnableManagedSpotTraining: true"
    }


def test_managed_spot_needs_max_wait_time(build_training):
    request = build_training(EnableManagedSpotTraining=True)
    assert found(validate_training_request, request) == {
        "StoppingCondition.MaxWaitTimeInSeconds": (
            "required with EnableManagedSpotTraining (how long to wait for spot capacity)"
        )
    }


def test_managed_spot_with_enough_wait_time_passes(build_training):
    validate_training_request(
        build_training(
            EnableManagedSpotTraining=True,
            StoppingCondition={"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 3600},
        )
    )


def test_spot_rules_apply_to_tuning_definitions(build_tuning, build_definition):
    definition = build_definition(
        StoppingCondition={"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 600}
    )
    assert set(found(validate_tuning_request, build_tuning(TrainingJobDefinition=definition))) == {
        "TrainingJobDefinition.StoppingCondition.MaxWaitTimeInSeconds"
    }


# Tags


@pytest.mark.parametrize("key", ["aws:team", "AWS:team", "Aws:cost"])
def test_tag_keys_may_not_use_the_reserved_aws_prefix(build_training, build_tuning, key):
    tags = [{"Key": "team", "Value": "ml"}, {"Key": key, "Value": "ml"}]
    rule = "must not start with 'aws:' (reserved for AWS's own tags)"
    assert found(validate_training_request, build_training(Tags=tags)) == {"Tags[1].Key": rule}
    assert found(validate_tuning_request, build_tuning(Tags=tags)) == {"Tags[1].Key": rule}
    assert found(validate_model_request, model_request(Tags=tags)) == {"Tags[1].Key": rule}


def test_tag_keys_that_merely_start_with_aws_pass(build_training):
    validate_training_request(build_training(Tags=[{"Key": "awesome", "Value": "x"}]))


# Metric definitions


@pytest.mark.parametrize("regex", ["loss=([0-9.]+", "loss=[0-9.]+)", "*loss"])
def test_a_metric_regex_must_compile(build_training, regex):
    request = build_training()
    request["AlgorithmSpecification"]["MetricDefinitions"][0]["Regex"] = regex
    rule = found(validate_training_request, request)["AlgorithmSpecification.MetricDefinitions[0].Regex"]
    assert rule.startswith("is not a valid regular expression (")


@pytest.mark.parametrize("regex", ["loss=[0-9.]+", "loss=(?:[0-9.]+)"])
def test_a_metric_regex_needs_a_capture_group(build_training, regex):
    request = build_training()
    request["AlgorithmSpecification"]["MetricDefinitions"][0]["Regex"] = regex
    assert found(validate_training_request, request) == {
        "AlgorithmSpecification.MetricDefinitions[0].Regex": (
            "needs a capture group around the value, e.g. loss=([0-9.]+)"
        )
    }


def test_metric_regexes_of_tuning_definitions_are_checked(build_tuning, build_definition):
    definition = build_definition()
    definition["AlgorithmSpecification"]["MetricDefinitions"][0]["Regex"] = "rmse=[0-9.]+"
    assert set(found(validate_tuning_request, build_tuning(TrainingJobDefinition=definition))) == {
        "TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions[0].Regex"
    }
