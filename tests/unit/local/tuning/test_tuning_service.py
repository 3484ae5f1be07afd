"""TuningService end to end over a fake training service: search, counters, criteria, lifecycle."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from tuning_fakes import (
    FakeTraining,
    assert_valid,
    definition,
    finished,
    quadratic,
    tuning_request,
    wait_until,
)

from airflow_sm_provider.local import listing
from airflow_sm_provider.local.errors import ResourceInUse, ResourceNotFound, ValidationError
from airflow_sm_provider.local.tuning.trials import TUNING_JOB_TAG


def constant(value: float, epochs: int = 3):
    return lambda hps: [value] * epochs


def test_bayesian_search_finds_the_optimum_and_describes_it(service, fake):
    arn = service.create(tuning_request("bayes", max_jobs=20, RandomSeed=1))
    assert arn == "arn:aws:sagemaker:us-east-1:000000000000:hyper-parameter-tuning-job/bayes"
    described = finished(service, "bayes")
    assert_valid("DescribeHyperParameterTuningJob", described)
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert described["TrainingJobStatusCounters"] == {
        "Completed": 20,
        "InProgress": 0,
        "RetryableError": 0,
        "NonRetryableError": 0,
        "Stopped": 0,
    }
    assert described["ObjectiveStatusCounters"] == {"Succeeded": 20, "Pending": 0, "Failed": 0}
    best = described["BestTrainingJob"]
    assert set(best["TunedHyperParameters"]) == {"x", "lr"}  # only the tuned ones
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] < 0.5
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["MetricName"] == "loss"
    assert best["ObjectiveStatus"] == "Succeeded" and best["TrainingJobStatus"] == "Completed"
    assert described["HyperParameterTuningEndTime"] >= described["CreationTime"]
    assert described["ConsumedResources"]["RuntimeInSeconds"] >= 0
    assert described["HyperParameterTuningJobConfig"]["TrainingJobEarlyStoppingType"] == "Off"
    request = fake.jobs[best["TrainingJobName"]].request
    assert request["HyperParameters"]["_tuning_objective_metric"] == "loss"
    assert request["HyperParameters"]["epochs"] == "3"
    assert fake.tuning_arns[best["TrainingJobName"]] == arn
    assert {"Key": TUNING_JOB_TAG, "Value": "bayes"} in service._backend_store.get_tags(
        fake.arn_of(best["TrainingJobName"])
    )


def test_grid_runs_every_combination_once(service, fake):
    ranges = {
        "IntegerParameterRanges": [{"Name": "x", "MinValue": "1", "MaxValue": "5"}],
        "CategoricalParameterRanges": [{"Name": "lr", "Values": ["0.001", "0.01", "0.1"]}],
    }
    service.create(tuning_request("grid", strategy="Grid", max_jobs=None, parallel=3, ranges=ranges))
    described = finished(service, "grid")
    assert described["TrainingJobStatusCounters"]["Completed"] == 15
    points = {tuple(sorted(j.request["HyperParameters"].items())) for j in fake.jobs.values()}
    assert len(points) == 15
    assert described["BestTrainingJob"]["TunedHyperParameters"] == {"x": "3", "lr": "0.01"}
    assert described["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == 0.0


def test_max_parallel_training_jobs_run_at_once_and_no_more(service_factory):
    fake = FakeTraining(epoch_seconds=0.03)
    service = service_factory(fake)
    service.create(tuning_request("par", strategy="Random", max_jobs=9, parallel=3))
    finished(service, "par")
    assert fake.peak == 3


def test_failed_trial_is_a_non_retryable_error_and_the_search_goes_on(service_factory):
    def flaky(hps):
        if int(hps["x"]) % 2:
            raise RuntimeError("odd x")
        return quadratic(hps)

    service = service_factory(FakeTraining(flaky))
    service.create(tuning_request("flaky", strategy="Random", max_jobs=12, RandomSeed=3))
    described = finished(service, "flaky")
    counters = described["TrainingJobStatusCounters"]
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert counters["NonRetryableError"] > 0 and counters["Completed"] > 0
    assert counters["NonRetryableError"] + counters["Completed"] == 12
    assert described["ObjectiveStatusCounters"]["Failed"] == counters["NonRetryableError"]
    assert int(described["BestTrainingJob"]["TunedHyperParameters"]["x"]) % 2 == 0
    failed = service.list_training_jobs({"HyperParameterTuningJobName": "flaky", "StatusEquals": "Failed"})
    assert all("odd x" in s["FailureReason"] for s in failed["TrainingJobSummaries"])


def test_no_successful_trial_completes_without_a_best_training_job(service_factory):
    def broken(hps):
        raise RuntimeError("boom")

    service = service_factory(FakeTraining(broken))
    service.create(tuning_request("broken", max_jobs=3, parallel=1))
    described = finished(service, "broken")
    assert_valid("DescribeHyperParameterTuningJob", described)
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert "BestTrainingJob" not in described
    assert described["TrainingJobStatusCounters"]["NonRetryableError"] == 3


def test_stop_stops_every_running_trial(service, fake):
    fake.hold.set()
    service.create(tuning_request("stopme", max_jobs=10, parallel=2))
    wait_until(lambda: service.describe("stopme")["TrainingJobStatusCounters"]["InProgress"] == 2)
    service.stop("stopme")
    assert service.describe("stopme")["HyperParameterTuningJobStatus"] in ("Stopping", "Stopped")
    described = finished(service, "stopme")
    assert described["HyperParameterTuningJobStatus"] == "Stopped"
    assert described["TrainingJobStatusCounters"]["Stopped"] == 2
    assert all(job.status == "Stopped" for job in fake.jobs.values())
    with pytest.raises(ValidationError):
        service.stop("stopme")


def test_early_stopping_auto_stops_trials_worse_than_the_median(service_factory):
    fake = FakeTraining(lambda hps: [float(hps["x"])] * 8, epoch_seconds=0.04)
    service = service_factory(fake)
    ranges = {"IntegerParameterRanges": [{"Name": "x", "MinValue": "0", "MaxValue": "20"}]}
    service.create(
        tuning_request(
            "early",
            strategy="Random",
            max_jobs=10,
            parallel=1,
            ranges=ranges,
            RandomSeed=0,
            TrainingJobEarlyStoppingType="Auto",
        )
    )
    described = finished(service, "early", timeout=60)
    assert described["TrainingJobStatusCounters"]["Stopped"] >= 1
    stopped = service.list_training_jobs({"HyperParameterTuningJobName": "early", "StatusEquals": "Stopped"})
    completed = [
        float(s["TunedHyperParameters"]["x"])
        for s in service.list_training_jobs(
            {"HyperParameterTuningJobName": "early", "StatusEquals": "Completed"}
        )["TrainingJobSummaries"]
    ]
    for summary in stopped["TrainingJobSummaries"]:
        # An early-stopped job keeps its last objective value, and was worse than the median.
        assert summary["ObjectiveStatus"] == "Succeeded"
        assert float(summary["TunedHyperParameters"]["x"]) > min(completed)
    assert described["BestTrainingJob"]["TrainingJobStatus"] == "Completed"


def test_hyperband_prunes_on_intermediate_values(service_factory):
    fake = FakeTraining(lambda hps: [float(hps["x"])] * 9, epoch_seconds=0.02)
    service = service_factory(fake)
    ranges = {"IntegerParameterRanges": [{"Name": "x", "MinValue": "0", "MaxValue": "50"}]}
    service.create(
        tuning_request(
            "hb",
            strategy="Hyperband",
            max_jobs=12,
            parallel=2,
            ranges=ranges,
            RandomSeed=0,
            StrategyConfig={"HyperbandStrategyConfig": {"MaxResource": 9}},
        )
    )
    described = finished(service, "hb", timeout=60)
    assert described["TrainingJobStatusCounters"]["Stopped"] >= 1
    assert described["TrainingJobStatusCounters"]["Completed"] >= 1


def test_target_objective_value_completes_the_job_early(service_factory):
    service = service_factory(FakeTraining(constant(1.0)))
    service.create(
        tuning_request(
            "target", max_jobs=10, parallel=1, TuningJobCompletionCriteria={"TargetObjectiveMetricValue": 2.0}
        )
    )
    described = finished(service, "target")
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert sum(described["TrainingJobStatusCounters"].values()) == 1


def test_best_objective_not_improving_completes_the_job(service_factory):
    service = service_factory(FakeTraining(constant(1.0)))
    criteria = {"BestObjectiveNotImproving": {"MaxNumberOfTrainingJobsNotImproving": 3}}
    service.create(tuning_request("flat", max_jobs=10, parallel=1, TuningJobCompletionCriteria=criteria))
    described = finished(service, "flat")
    assert described["TrainingJobStatusCounters"]["Completed"] == 4
    assert described["TuningJobCompletionDetails"]["NumberOfTrainingJobsObjectiveNotImproving"] == 3


def test_convergence_detected_completes_the_job_when_enabled(service_factory):
    service = service_factory(FakeTraining(constant(1.0)))
    criteria = {"ConvergenceDetected": {"CompleteOnConvergence": "Enabled"}}
    service.create(tuning_request("conv", max_jobs=30, parallel=1, TuningJobCompletionCriteria=criteria))
    described = finished(service, "conv")
    assert described["TrainingJobStatusCounters"]["Completed"] == 10
    assert "ConvergenceDetectedTime" in described["TuningJobCompletionDetails"]


def test_max_runtime_of_the_tuning_job_stops_it(service, fake):
    fake.hold.set()
    request = tuning_request("slow", max_jobs=10, parallel=2)
    request["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxRuntimeInSeconds"] = 120
    service.create(request)
    wait_until(lambda: service.describe("slow")["TrainingJobStatusCounters"]["InProgress"] == 2)
    service._jobs["slow"].creation_time -= dt.timedelta(seconds=121)  # let the limit pass
    described = finished(service, "slow")
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert described["TrainingJobStatusCounters"]["Stopped"] == 2


def test_random_seed_makes_the_choices_reproducible(service):
    for name in ("seed-a", "seed-b"):
        service.create(tuning_request(name, strategy="Bayesian", max_jobs=6, parallel=1, RandomSeed=11))
    runs = []
    for name in ("seed-a", "seed-b"):
        finished(service, name)
        summaries = service.list_training_jobs({"HyperParameterTuningJobName": name, "SortBy": "Name"})
        runs.append([s["TunedHyperParameters"] for s in summaries["TrainingJobSummaries"]])
    assert runs[0] == runs[1]


def test_restart_replaces_lost_trials_without_using_the_budget(service_factory, fake):
    first = service_factory(fake)
    fake.hold.set()
    first.create(tuning_request("resume", max_jobs=6, parallel=2, RandomSeed=2))
    wait_until(lambda: first.describe("resume")["TrainingJobStatusCounters"]["InProgress"] == 2)
    first.close()
    fake.fail_unfinished()  # what the backend does to trials that were running when it died
    fake.hold.clear()
    second = service_factory(fake)
    described = finished(second, "resume")
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    counters = described["TrainingJobStatusCounters"]
    # lost to the restart: SageMaker's RetryableError, not counted; the budget of 6 completes
    assert (counters["RetryableError"], counters["NonRetryableError"], counters["Completed"]) == (2, 0, 6)
    assert len(fake.jobs) == 8


def test_a_persistent_internal_error_still_ends_the_job(service_factory, fake):
    fake.fail_with = "InternalServerError: boom"
    service = service_factory(fake)
    service.create(tuning_request("broken", max_jobs=2, parallel=1))
    described = finished(service, "broken")
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    # retried as many times as the budget, then counted: 2 replacements, then 2 that count
    assert described["TrainingJobStatusCounters"]["RetryableError"] == 4
    assert len(fake.jobs) == 4


def test_finished_jobs_survive_a_restart(service_factory, fake):
    first = service_factory(fake)
    first.create(tuning_request("kept", max_jobs=3, parallel=1))
    before = finished(first, "kept")
    first.close()
    after = service_factory(fake).describe("kept")
    assert after == before


def test_warm_start_seeds_the_study_and_reports_the_overall_best(service):
    service.create(tuning_request("parent", strategy="Random", max_jobs=8, parallel=2, RandomSeed=4))
    parent_best = finished(service, "parent")["BestTrainingJob"]
    child = tuning_request("child", strategy="Bayesian", max_jobs=2, parallel=1)
    child["WarmStartConfig"] = {
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "parent"}],
        "WarmStartType": "IdenticalDataAndAlgorithm",
    }
    # The child searches only far from the optimum, so the parent's best stays the overall best.
    child["HyperParameterTuningJobConfig"]["ParameterRanges"] = {
        "IntegerParameterRanges": [{"Name": "x", "MinValue": "50", "MaxValue": "60"}],
        "ContinuousParameterRanges": RANGES_LR,
    }
    service.create(child)
    described = finished(service, "child")
    assert_valid("DescribeHyperParameterTuningJob", described)
    assert described["WarmStartConfig"]["WarmStartType"] == "IdenticalDataAndAlgorithm"
    assert described["OverallBestTrainingJob"]["TrainingJobName"] == parent_best["TrainingJobName"]
    assert described["BestTrainingJob"]["TrainingJobName"].startswith("child-")

    same = tuning_request("child2", strategy="Bayesian", max_jobs=1, parallel=1)
    same["WarmStartConfig"] = {
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "parent"}],
        "WarmStartType": "TransferLearning",
    }
    service.create(same)
    finished(service, "child2")
    seeded = [t for t in service._engines["child2"].study.trials if t.user_attrs.get("warm_start_parent")]
    assert len(seeded) == 8


RANGES_LR = [{"Name": "lr", "MinValue": "0.0001", "MaxValue": "1", "ScalingType": "Logarithmic"}]


def test_warm_start_parent_must_exist():
    request = tuning_request("orphan")
    request["WarmStartConfig"] = {
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "nope"}],
        "WarmStartType": "TransferLearning",
    }
    from airflow_sm_provider.local.tuning import warm_start

    with pytest.raises(ValidationError, match="does not exist"):
        warm_start.parents_of(request, {})


def test_several_training_job_definitions(service, fake):
    request = tuning_request("multi", strategy="Random", max_jobs=10, parallel=2, RandomSeed=5)
    config = request["HyperParameterTuningJobConfig"]
    objective = config.pop("HyperParameterTuningJobObjective")
    ranges = config.pop("ParameterRanges")
    request.pop("TrainingJobDefinition")
    request["TrainingJobDefinitions"] = [
        definition(
            DefinitionName="small",
            TuningObjective=objective,
            HyperParameterRanges=ranges,
            StaticHyperParameters={"size": "small"},
        ),
        definition(
            DefinitionName="large",
            TuningObjective=objective,
            HyperParameterRanges=ranges,
            StaticHyperParameters={"size": "large"},
        ),
    ]
    assert_valid("CreateHyperParameterTuningJob", request, output=False)
    service.create(request)
    described = finished(service, "multi")
    assert_valid("DescribeHyperParameterTuningJob", described)
    assert len(described["TrainingJobDefinitions"]) == 2
    summaries = service.list_training_jobs({"HyperParameterTuningJobName": "multi", "MaxResults": 100})
    names = {s["TrainingJobDefinitionName"] for s in summaries["TrainingJobSummaries"]}
    assert names == {"small", "large"}
    for summary in summaries["TrainingJobSummaries"]:
        hps = fake.jobs[summary["TrainingJobName"]].request["HyperParameters"]
        assert hps["size"] == summary["TrainingJobDefinitionName"]
        assert set(summary["TunedHyperParameters"]) == {"x", "lr"}


def test_errors_for_duplicate_and_missing_jobs(service, fake):
    service.create(tuning_request("dup", max_jobs=1, parallel=1))
    with pytest.raises(ResourceInUse):
        service.create(tuning_request("dup", max_jobs=1, parallel=1))
    with pytest.raises(ResourceInUse):
        service.create(tuning_request("DUP", max_jobs=1, parallel=1))
    with pytest.raises(ResourceNotFound):
        service.describe("missing")
    with pytest.raises(ResourceNotFound):
        service.list_training_jobs({"HyperParameterTuningJobName": "missing"})
    with pytest.raises(ValidationError):
        service.create(tuning_request("bad", max_jobs=1, parallel=2))


def test_tags_are_kept_for_the_tuning_job_and_passed_to_trials(service, fake):
    request = tuning_request("tagged", max_jobs=1, parallel=1)
    request["Tags"] = [{"Key": "team", "Value": "ml"}]
    arn = service.create(request)
    finished(service, "tagged")
    assert service._backend_store.get_tags(arn) == [{"Key": "team", "Value": "ml"}]
    (name,) = fake.jobs
    assert service._backend_store.get_tags(fake.arn_of(name)) == [
        {"Key": "team", "Value": "ml"},
        {"Key": TUNING_JOB_TAG, "Value": "tagged"},
    ]


def test_list_filters_sorts_and_pages(service):
    for name in ("list-b", "list-a", "other-c"):
        service.create(tuning_request(name, max_jobs=3, parallel=3))
    for name in ("list-b", "list-a", "other-c"):
        finished(service, name)
    page = service.list({"NameContains": "LIST", "SortBy": "Name", "MaxResults": 1})
    assert_valid("ListHyperParameterTuningJobs", page)
    assert [s["HyperParameterTuningJobName"] for s in page["HyperParameterTuningJobSummaries"]] == ["list-a"]
    rest = service.list(
        {"NameContains": "LIST", "SortBy": "Name", "MaxResults": 1, "NextToken": page["NextToken"]}
    )
    assert [s["HyperParameterTuningJobName"] for s in rest["HyperParameterTuningJobSummaries"]] == ["list-b"]
    assert "NextToken" not in rest
    newest = service.list({"SortBy": "CreationTime", "SortOrder": "Descending"})
    assert newest["HyperParameterTuningJobSummaries"][0]["HyperParameterTuningJobName"] == "other-c"
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    assert service.list({"LastModifiedTimeAfter": later})["HyperParameterTuningJobSummaries"] == []
    assert len(service.list({"StatusEquals": "Completed"})["HyperParameterTuningJobSummaries"]) == 3
    with pytest.raises(ValidationError):
        service.list({"NextToken": "!!"})


def test_lists_page_with_the_limits_and_tokens_every_list_operation_uses(service):
    for name in ("page-a", "page-b"):
        service.create(tuning_request(name, max_jobs=1, parallel=1))
    page = service.list({"MaxResults": 1})
    assert listing.decode_token(page["NextToken"]) == 1
    with pytest.raises(ValidationError, match="less than or equal to 100"):
        service.list({"MaxResults": 101})
    with pytest.raises(ValidationError, match="less than or equal to 100"):
        service.list_training_jobs({"HyperParameterTuningJobName": "page-a", "MaxResults": 101})


def test_list_training_jobs_sorts_by_objective(service):
    service.create(tuning_request("sorted", strategy="Random", max_jobs=6, parallel=2))
    finished(service, "sorted")
    result = service.list_training_jobs(
        {
            "HyperParameterTuningJobName": "sorted",
            "SortBy": "FinalObjectiveMetricValue",
            "SortOrder": "Ascending",
        }
    )
    assert_valid("ListTrainingJobsForHyperParameterTuningJob", result)
    values = [
        s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for s in result["TrainingJobSummaries"]
    ]
    assert values == sorted(values) and len(values) == 6
    assert all(math.isfinite(v) for v in values)
    described = service.describe("sorted")
    assert described["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == values[0]


def test_a_job_stopping_at_shutdown_ends_stopped_after_a_restart(service_factory, fake):
    first = service_factory(fake)
    fake.hold.set()
    first.create(tuning_request("halt", max_jobs=6, parallel=2))
    wait_until(lambda: first.describe("halt")["TrainingJobStatusCounters"]["InProgress"] == 2)
    fake.ignore_stops = True  # the trials outlive the stop request until the shutdown
    first.stop("halt")
    assert first.describe("halt")["HyperParameterTuningJobStatus"] == "Stopping"
    first.close()
    fake.ignore_stops = False
    second = service_factory(fake)
    described = finished(second, "halt")
    assert described["HyperParameterTuningJobStatus"] == "Stopped"
    assert described["TrainingJobStatusCounters"]["Stopped"] == 2
    assert len(fake.jobs) == 2


def test_a_definition_the_training_backend_would_reject_fails_the_create(service, fake):
    request = tuning_request("badout", max_jobs=2, parallel=1)
    request["TrainingJobDefinition"]["OutputDataConfig"] = {"S3OutputPath": "ftp://nowhere/out"}
    with pytest.raises(ValidationError, match=r"TrainingJobDefinition: OutputDataConfig.S3OutputPath"):
        service.create(request)
    assert fake.jobs == {}
    with pytest.raises(ResourceNotFound):
        service.describe("badout")


def test_trials_still_running_after_a_restart_are_reattached(service_factory, fake):
    first = service_factory(fake)
    fake.hold.set()
    first.create(tuning_request("reattach", max_jobs=4, parallel=2, RandomSeed=6))
    wait_until(lambda: first.describe("reattach")["TrainingJobStatusCounters"]["InProgress"] == 2)
    first.close()
    second = service_factory(fake)
    assert second.describe("reattach")["TrainingJobStatusCounters"]["InProgress"] == 2
    fake.hold.clear()
    described = finished(second, "reattach")
    assert described["TrainingJobStatusCounters"]["Completed"] == 4
    study = second._engines["reattach"].study
    assert [t.state.name for t in study.trials].count("COMPLETE") == 4
    assert all(t.params for t in study.trials)
