"""SageMaker's rules for CreateHyperParameterTuningJob, and the trial requests built from it."""

from __future__ import annotations

import copy
import re

import pytest
from tuning_fakes import assert_valid, definition, tuning_request

from airflow_sm_provider.local.errors import ValidationError
from airflow_sm_provider.local.tuning.trials import TUNING_JOB_TAG, build_request, trial_name
from airflow_sm_provider.local.tuning.validation import budget_of, validate_create


def test_a_valid_request_passes_botocore_and_our_rules():
    request = tuning_request()
    assert_valid("CreateHyperParameterTuningJob", request, output=False)
    space = validate_create(request)
    assert [p.name for p in space.definitions[0].params] == ["x", "lr"]


def mutate(change) -> dict:
    request = copy.deepcopy(tuning_request())
    change(request)
    return request


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda r: r["HyperParameterTuningJobConfig"]["ResourceLimits"].update(MaxParallelTrainingJobs=20),
            "must not exceed MaxNumberOfTrainingJobs",
        ),
        (
            lambda r: r["HyperParameterTuningJobConfig"]["ResourceLimits"].pop("MaxNumberOfTrainingJobs"),
            "required unless Strategy is Grid",
        ),
        (lambda r: r.update(TrainingJobDefinitions=[definition()]), "exactly one of"),
        (
            lambda r: r["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"].update(
                MetricName="accuracy"
            ),
            "not among",
        ),
        (
            lambda r: r["HyperParameterTuningJobConfig"].pop("HyperParameterTuningJobObjective"),
            "needs TuningObjective",
        ),
        (
            lambda r: r["TrainingJobDefinition"]["StaticHyperParameters"].update(x="1"),
            "both static and tuned",
        ),
        (lambda r: r.update(HyperParameterTuningJobName="bad_name"), "HyperParameterTuningJobName"),
        (lambda r: r["HyperParameterTuningJobConfig"].update(Strategy="Grid"), "continuous"),
        (lambda r: r.update(Autotune={"Mode": "Enabled"}), "Autotune"),
    ],
)
def test_sagemaker_rules_are_enforced(change, message):
    with pytest.raises(ValidationError, match=message):
        validate_create(mutate(change))


def test_grid_budget_defaults_to_the_grid_size():
    ranges = {
        "IntegerParameterRanges": [{"Name": "x", "MinValue": "1", "MaxValue": "4"}],
        "CategoricalParameterRanges": [{"Name": "c", "Values": ["a", "b"]}],
    }
    request = tuning_request(strategy="Grid", max_jobs=None, ranges=ranges)
    space = validate_create(request)
    assert budget_of(request["HyperParameterTuningJobConfig"], space) == 8
    capped = tuning_request(strategy="Grid", max_jobs=5, ranges=ranges)
    assert budget_of(capped["HyperParameterTuningJobConfig"], validate_create(capped)) == 5


def test_several_definitions_need_distinct_names():
    request = tuning_request()
    request.pop("TrainingJobDefinition")
    request["TrainingJobDefinitions"] = [definition(DefinitionName="a"), definition(DefinitionName="a")]
    with pytest.raises(ValidationError, match="distinct DefinitionName"):
        validate_create(request)


def test_trial_names_follow_sagemaker():
    assert re.fullmatch(r"mytune-007-[0-9a-f]{8}", trial_name("mytune", 7))


def test_trial_request_is_a_valid_create_training_job_request():
    request = tuning_request()
    tags = [{"Key": "team", "Value": "ml"}]
    trial = build_request(
        name="tune-001-0a1b2c3d",
        job_name="tune",
        config=request["HyperParameterTuningJobConfig"],
        definition=request["TrainingJobDefinition"],
        tuned={"x": "3", "lr": "0.01"},
        tags=tags,
    )
    assert_valid("CreateTrainingJob", trial, output=False)
    assert trial["HyperParameters"] == {
        "epochs": "3",
        "x": "3",
        "lr": "0.01",
        "_tuning_objective_metric": "loss",
    }
    assert trial["Tags"] == [*tags, {"Key": TUNING_JOB_TAG, "Value": "tune"}]
    assert trial["AlgorithmSpecification"]["MetricDefinitions"][0]["Name"] == "loss"
    assert "StaticHyperParameters" not in request["TrainingJobDefinition"] or request[
        "TrainingJobDefinition"
    ]["StaticHyperParameters"] == {"epochs": "3"}  # input untouched


def test_tuning_resource_config_becomes_a_resource_config():
    request = tuning_request()
    definition_ = dict(request["TrainingJobDefinition"])
    definition_.pop("ResourceConfig")
    definition_["HyperParameterTuningResourceConfig"] = {
        "InstanceConfigs": [{"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5}]
    }
    trial = build_request(
        name="t-001-00000000",
        job_name="t",
        config=request["HyperParameterTuningJobConfig"],
        definition=definition_,
        tuned={},
        tags=[],
    )
    assert trial["ResourceConfig"] == {
        "InstanceType": "ml.m5.xlarge",
        "InstanceCount": 1,
        "VolumeSizeInGB": 5,
    }
    assert_valid("CreateTrainingJob", trial, output=False)
