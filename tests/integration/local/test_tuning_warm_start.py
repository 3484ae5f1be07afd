"""Warm start and several training job definitions over HTTP with boto3 and real processes."""

from __future__ import annotations

import pytest
from sm_tuning_helpers import OBJECTIVE, continuous_ranges, tuning_request, wait_tuning

pytestmark = pytest.mark.integration


@pytest.fixture
def code(scripts) -> str:
    return scripts.write(OBJECTIVE, name="objective.py")


def test_warm_start_reports_the_parents_best_as_overall_best(sm_client, code, tmp_path):
    parent = tuning_request(
        code, tmp_path / "out", name="parent", strategy="Random", max_jobs=6, RandomSeed=2
    )
    sm_client.create_hyper_parameter_tuning_job(**parent)
    parent_best = wait_tuning(sm_client, "parent")["BestTrainingJob"]

    # The child searches only far from the optimum: the parent keeps the overall best.
    child = tuning_request(code, tmp_path / "out", name="child", max_jobs=2, parallel=2)
    child["HyperParameterTuningJobConfig"]["ParameterRanges"] = {
        "ContinuousParameterRanges": [
            {"Name": "x", "MinValue": "20", "MaxValue": "30"},
            continuous_ranges()["ContinuousParameterRanges"][1],
        ]
    }
    child["WarmStartConfig"] = {
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "parent"}],
        "WarmStartType": "IdenticalDataAndAlgorithm",
    }
    sm_client.create_hyper_parameter_tuning_job(**child)
    described = wait_tuning(sm_client, "child")
    assert described["WarmStartConfig"]["WarmStartType"] == "IdenticalDataAndAlgorithm"
    assert described["BestTrainingJob"]["TrainingJobName"].startswith("child-")
    overall = described["OverallBestTrainingJob"]
    assert overall["TrainingJobName"] == parent_best["TrainingJobName"]
    assert overall["TunedHyperParameters"] == parent_best["TunedHyperParameters"]
    assert described["TrainingJobStatusCounters"]["Completed"] == 2  # parents' trials are not its own


def test_several_training_job_definitions_each_run_as_their_own_trials(sm_client, code, tmp_path):
    request = tuning_request(
        code, tmp_path / "out", name="multi", strategy="Random", max_jobs=6, RandomSeed=4
    )
    config = request["HyperParameterTuningJobConfig"]
    objective, ranges = config.pop("HyperParameterTuningJobObjective"), config.pop("ParameterRanges")
    base = request.pop("TrainingJobDefinition")
    request["TrainingJobDefinitions"] = [
        {
            **base,
            "DefinitionName": name,
            "TuningObjective": objective,
            "HyperParameterRanges": ranges,
            "StaticHyperParameters": {**base["StaticHyperParameters"], "variant": name},
        }
        for name in ("short", "long")
    ]
    sm_client.create_hyper_parameter_tuning_job(**request)
    described = wait_tuning(sm_client, "multi")
    assert [d["DefinitionName"] for d in described["TrainingJobDefinitions"]] == ["short", "long"]
    summaries = sm_client.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="multi"
    )["TrainingJobSummaries"]
    assert {s["TrainingJobDefinitionName"] for s in summaries} == {"short", "long"}
    for summary in summaries:
        job = sm_client.describe_training_job(TrainingJobName=summary["TrainingJobName"])
        assert job["HyperParameters"]["variant"] == summary["TrainingJobDefinitionName"]
    assert described["BestTrainingJob"]["TrainingJobDefinitionName"] in ("short", "long")
