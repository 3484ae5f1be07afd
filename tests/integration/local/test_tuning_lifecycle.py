"""Tuning job lifecycle over HTTP with boto3 and real training processes: early stopping, stop,
failed trials, no successful trial, restart continuation, and trials as ordinary training jobs.
Every response is checked against botocore's output shape by the ``sm_client`` fixture."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from sm_local_helpers import make_client, wait_until
from sm_tuning_helpers import OBJECTIVE, tuning_request, wait_tuning

from airflow_sm_provider.local.server import LocalServer
from airflow_sm_provider.local.tuning.trials import TUNING_JOB_TAG

pytestmark = pytest.mark.integration


@pytest.fixture
def code(scripts) -> str:
    return scripts.write(OBJECTIVE, name="objective.py")


def trials(client, name: str, **filters) -> list[dict]:
    return client.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, MaxResults=100, **filters
    )["TrainingJobSummaries"]


def in_progress(client, name: str, count: int) -> bool:
    described = client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    return described["TrainingJobStatusCounters"]["InProgress"] == count


def test_early_stopping_auto_stops_trials_worse_than_the_median(sm_client, code, tmp_path):
    request = tuning_request(
        code,
        tmp_path / "out",
        strategy="Random",
        max_jobs=10,
        parallel=2,
        RandomSeed=3,
        static={"epochs": "6", "epoch_seconds": "0.1"},
        TrainingJobEarlyStoppingType="Auto",
    )
    sm_client.create_hyper_parameter_tuning_job(**request)
    name = request["HyperParameterTuningJobName"]
    described = wait_tuning(sm_client, name)
    assert described["TrainingJobStatusCounters"]["Stopped"] >= 1
    best = described["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
    for summary in trials(sm_client, name, StatusEquals="Stopped"):
        job = sm_client.describe_training_job(TrainingJobName=summary["TrainingJobName"])
        assert job["TrainingJobStatus"] == "Stopped"
        # It was stopped on an intermediate value worse than the best final one.
        assert summary["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] > best


def test_stop_tuning_job_stops_its_running_trials(sm_client, code, tmp_path):
    hold = tmp_path / "hold"
    hold.touch()
    request = tuning_request(code, tmp_path / "out", max_jobs=6, parallel=2, static={"hold_file": str(hold)})
    sm_client.create_hyper_parameter_tuning_job(**request)
    name = request["HyperParameterTuningJobName"]
    wait_until(lambda: in_progress(sm_client, name, 2), timeout=30)
    sm_client.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    described = wait_tuning(sm_client, name, timeout=30)
    assert described["HyperParameterTuningJobStatus"] == "Stopped"
    assert described["TrainingJobStatusCounters"]["Stopped"] == 2
    for summary in trials(sm_client, name):
        assert (
            sm_client.describe_training_job(TrainingJobName=summary["TrainingJobName"])["TrainingJobStatus"]
            == "Stopped"
        )


def test_failed_trials_are_non_retryable_errors_and_the_search_goes_on(sm_client, code, tmp_path):
    request = tuning_request(
        code,
        tmp_path / "out",
        strategy="Random",
        max_jobs=8,
        parallel=2,
        RandomSeed=1,
        static={"fail_above": "1.5"},
    )
    sm_client.create_hyper_parameter_tuning_job(**request)
    name = request["HyperParameterTuningJobName"]
    described = wait_tuning(sm_client, name)
    counters = described["TrainingJobStatusCounters"]
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert counters["NonRetryableError"] >= 1 and counters["Completed"] >= 1
    assert counters["NonRetryableError"] + counters["Completed"] == 8
    assert float(described["BestTrainingJob"]["TunedHyperParameters"]["x"]) <= 1.5
    for summary in trials(sm_client, name, StatusEquals="Failed"):
        assert "too large" in summary["FailureReason"]
        assert summary["ObjectiveStatus"] == "Failed"


def test_no_successful_trial_completes_without_a_best_training_job(sm_client, code, tmp_path):
    request = tuning_request(code, tmp_path / "out", max_jobs=2, parallel=2, static={"fail_above": "-1"})
    sm_client.create_hyper_parameter_tuning_job(**request)
    described = wait_tuning(sm_client, request["HyperParameterTuningJobName"])
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert "BestTrainingJob" not in described
    assert described["TrainingJobStatusCounters"]["NonRetryableError"] == 2
    assert described["ObjectiveStatusCounters"]["Failed"] == 2


def test_trials_lost_to_a_restart_are_retryable_errors_replaced_without_using_the_budget(
    code, tmp_path: Path
):
    home = tmp_path / "home"
    hold = tmp_path / "hold"
    hold.touch()
    request = tuning_request(
        code, tmp_path / "out", name="resume", max_jobs=4, parallel=2, static={"hold_file": str(hold)}
    )
    with LocalServer(home=home, port=0, stop_grace=1.0) as server:
        client = make_client(server)
        client.create_hyper_parameter_tuning_job(**request)
        wait_until(lambda: in_progress(client, "resume", 2), timeout=30)
    hold.unlink()
    with LocalServer(home=home, port=0, stop_grace=1.0) as server:
        client = make_client(server)
        described = wait_tuning(client, "resume")
        summaries = trials(client, "resume")
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    counters = described["TrainingJobStatusCounters"]
    # the two trials lost with the old process are SageMaker's RetryableError and use no budget:
    # two more take their place, and the whole budget of 4 completes
    assert (counters["RetryableError"], counters["NonRetryableError"], counters["Completed"]) == (2, 0, 4)
    assert sorted(s["TrainingJobName"].split("-")[1] for s in summaries) == [
        "001",
        "002",
        "003",
        "004",
        "005",
        "006",
    ]
    lost = [s for s in summaries if s["TrainingJobStatus"] == "Failed"]
    assert sorted(s["TrainingJobName"].split("-")[1] for s in lost) == ["001", "002"]
    assert "BestTrainingJob" in described


def test_trials_are_ordinary_training_jobs_and_errors_are_aws_shaped(sm_client, code, tmp_path):
    request = tuning_request(code, tmp_path / "out", name="ordinary", max_jobs=2, parallel=1)
    request["Tags"] = [{"Key": "team", "Value": "ml"}]
    arn = sm_client.create_hyper_parameter_tuning_job(**request)["HyperParameterTuningJobArn"]
    wait_tuning(sm_client, "ordinary")
    (first, *_) = trials(sm_client, "ordinary", SortBy="Name")
    job = sm_client.describe_training_job(TrainingJobName=first["TrainingJobName"])
    assert job["TuningJobArn"] == arn
    assert job["HyperParameters"]["_tuning_objective_metric"] == "loss"
    assert {"x", "lr"} <= set(job["HyperParameters"])
    tags = sm_client.list_tags(ResourceArn=job["TrainingJobArn"])["Tags"]
    assert {"Key": TUNING_JOB_TAG, "Value": "ordinary"} in tags and {"Key": "team", "Value": "ml"} in tags
    listed = sm_client.list_training_jobs(NameContains="ordinary-")["TrainingJobSummaries"]
    assert len(listed) == 2
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert (
        sm_client.list_hyper_parameter_tuning_jobs(CreationTimeAfter=later)[
            "HyperParameterTuningJobSummaries"
        ]
        == []
    )
    assert (
        len(
            sm_client.list_hyper_parameter_tuning_jobs(LastModifiedTimeBefore=later)[
                "HyperParameterTuningJobSummaries"
            ]
        )
        == 1
    )
    pages = sm_client.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job").paginate(
        HyperParameterTuningJobName="ordinary", PaginationConfig={"PageSize": 1}
    )
    assert [len(page["TrainingJobSummaries"]) for page in pages] == [1, 1]
    found = sm_client.list_hyper_parameter_tuning_jobs(NameContains="ordin", StatusEquals="Completed")
    assert [s["HyperParameterTuningJobName"] for s in found["HyperParameterTuningJobSummaries"]] == [
        "ordinary"
    ]
    with pytest.raises(ClientError) as duplicate:
        sm_client.create_hyper_parameter_tuning_job(**request)
    assert duplicate.value.response["Error"]["Code"] == "ResourceInUse"
    with pytest.raises(ClientError) as missing:
        sm_client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="missing")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFound"
    grid = tuning_request(code, tmp_path / "out", strategy="Grid", max_jobs=None)
    with pytest.raises(ClientError) as invalid:
        sm_client.create_hyper_parameter_tuning_job(**grid)
    assert invalid.value.response["Error"]["Code"] == "ValidationException"
    assert "continuous" in invalid.value.response["Error"]["Message"]
