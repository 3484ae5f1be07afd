from __future__ import annotations

import json

import botocore.session
import pytest

from airflow_sm_provider.jobs import (
    KINDS,
    TRAINING,
    TUNING,
    Outcome,
    classify,
    training_result,
    tuning_result,
)
from tests.unit.registry_samples import model_package_description
from tests.unit.sample_requests import training_description, tuning_description

MODEL = botocore.session.get_session().get_service_model("sagemaker")


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_status_table_covers_every_status_in_botocores_model(kind):
    assert set(kind.statuses) == set(MODEL.shape_for(kind.status_enum).enum)


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_kind_rows_name_real_operations_and_keys(kind):
    for operation in (
        kind.create_operation,
        kind.describe_operation,
        kind.stop_operation,
        kind.list_operation,
    ):
        # stop_operation is None for a kind that cannot be stopped (a model package version)
        assert operation is None or operation in MODEL.operation_names
    describe = MODEL.operation_model(kind.describe_operation).output_shape.members
    assert {kind.name_key, kind.arn_key, kind.status_key} <= set(describe)
    assert kind.list_key in MODEL.operation_model(kind.list_operation).output_shape.members
    name_shape = MODEL.operation_model(kind.create_operation).input_shape.members[kind.name_key]
    assert name_shape.metadata["max"] == kind.max_name_length


def test_unknown_future_status_keeps_waiting_instead_of_crashing():
    verdict = classify(TRAINING, training_description("j", "Rebooting"))
    assert verdict.outcome is Outcome.RUNNING


def test_stopped_tuning_job_is_a_failure_not_a_success():
    verdict = classify(TUNING, tuning_description("t", "Stopped"))
    assert verdict.outcome is Outcome.FAILED
    assert "Stopped by user" in verdict.message


def test_completed_tuning_job_without_best_job_is_a_failure():
    verdict = classify(TUNING, tuning_description("t", "Completed", best=False))
    assert verdict.outcome is Outcome.FAILED
    assert "none of its training jobs succeeded" in verdict.message
    assert "NonRetryableError=1" in verdict.message


def test_training_result_is_json_native_and_strips_internal_hyperparameters():
    result = training_result(training_description("j", "Completed"))
    assert json.loads(json.dumps(result)) == result
    assert "_tuning_objective_metric" not in result["hyperparameters"]


def test_tuning_result_carries_the_best_job_and_its_artifacts():
    description = tuning_description("t", "Completed")
    best = training_description(description["BestTrainingJob"]["TrainingJobName"], "Completed")
    result = tuning_result(description, best)
    assert json.loads(json.dumps(result)) == result
    assert result["best_training_job"] == {
        "name": "t-002-abcdef12",
        "arn": description["BestTrainingJob"]["TrainingJobArn"],
        "status": "Completed",
        "objective_metric": {"name": "validation:loss", "type": "Minimize", "value": 0.11},
        "tuned_hyperparameters": {"lr": "0.0123"},
        "model_artifacts": best["ModelArtifacts"]["S3ModelArtifacts"],
    }
    assert result["objective_status_counters"]["Failed"] == 1


def test_warm_start_prefers_overall_best_training_job():
    overall = dict(
        tuning_description("t", "Completed")["BestTrainingJob"], TrainingJobName="parent-001-aaaaaaaa"
    )
    result = tuning_result(tuning_description("t", "Completed", OverallBestTrainingJob=overall), None)
    assert result["best_training_job"]["name"] == "parent-001-aaaaaaaa"


def test_progress_lines_summarise_what_a_watcher_cares_about():
    assert TRAINING.progress(training_description("j")) == "InProgress / Training"
    line = TUNING.progress(tuning_description("t"))
    assert "3 completed" in line and "1 failed" in line and "best validation:loss = 0.11" in line


DESCRIPTIONS = {
    "training": training_description,
    "tuning": tuning_description,
    "model_package": model_package_description,
}


def succeeded_status(kind):
    """The kind's one status that means success (Completed for jobs, Approved for model packages)."""
    (status,) = [status for status, outcome in kind.statuses.items() if outcome is Outcome.SUCCEEDED]
    return status


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_trigger_classpath_on_the_row_is_the_real_trigger_class(kind):
    from airflow_sm_provider.triggers.sagemaker import trigger_for

    trigger = trigger_for(kind)
    assert f"{trigger.__module__}.{trigger.__qualname__}" == kind.trigger
    assert trigger.kind is kind


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_a_completed_summary_settles_success_only_where_the_row_says_so(kind):
    description = DESCRIPTIONS[kind.name]("j", succeeded_status(kind))
    summary = {key: description[key] for key in (kind.name_key, kind.status_key)}
    assert classify(kind, description).outcome is Outcome.SUCCEEDED
    # a kind that hands on a best job cannot see it in a List* summary
    assert kind.summary_settles_success is not kind.requires_best_job
    if kind.summary_settles_success:
        assert classify(kind, summary).outcome is Outcome.SUCCEEDED


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_results_are_json_native_and_side_keys_come_from_the_result(kind):
    description = DESCRIPTIONS[kind.name]("j", succeeded_status(kind))
    best_name = kind.best_job_name(description)
    result = kind.result(description, training_description(best_name, "Completed") if best_name else None)
    assert json.loads(json.dumps(result)) == result
    side = kind.side_xcom(result)
    assert json.loads(json.dumps(side)) == side
    if kind.requires_best_job:
        assert side == {
            "tuned_hyperparameters": result["best_training_job"]["tuned_hyperparameters"],
            "best_training_job_name": best_name,
        }
    else:
        assert side == {}
