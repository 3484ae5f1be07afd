"""The training job record's lifecycle: explicit transitions and what they imply."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from airflow_sm_provider.local.training.job import ALLOWED, PRIMARY, IllegalTransition, TrainingJob

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _job() -> TrainingJob:
    return TrainingJob(
        name="j",
        arn="arn:aws:sagemaker:us-east-1:0:training-job/j",
        request={"RoleArn": "r", "Tags": [{"Key": "k", "Value": "v"}]},
        creation_time=T0,
        model_artifacts="file:///out/j/output/model.tar.gz",
    )


def _walk(job: TrainingJob, *statuses: str) -> None:
    for i, status in enumerate(statuses, start=1):
        job.enter(status, T0 + timedelta(seconds=i))


def test_a_new_job_is_in_progress_starting():
    job = _job()
    assert (job.status, job.secondary_status) == ("InProgress", "Starting")
    assert job.describe()["SecondaryStatusTransitions"] == [
        {"Status": "Starting", "StartTime": T0, "StatusMessage": "Preparing the local job directory"}
    ]


def test_successful_lifecycle_stamps_times():
    job = _job()
    _walk(job, "Downloading", "Training", "Uploading", "Completed")
    out = job.describe()

    assert (out["TrainingJobStatus"], out["SecondaryStatus"]) == ("Completed", "Completed")
    assert out["TrainingStartTime"] == T0 + timedelta(seconds=1)
    assert out["TrainingEndTime"] == out["LastModifiedTime"] == T0 + timedelta(seconds=4)
    assert out["TrainingTimeInSeconds"] == out["BillableTimeInSeconds"] == 3
    transitions = out["SecondaryStatusTransitions"]
    assert [t["Status"] for t in transitions] == [
        "Starting",
        "Downloading",
        "Training",
        "Uploading",
        "Completed",
    ]
    assert all(t["EndTime"] == n["StartTime"] for t, n in itertools.pairwise(transitions))
    assert "Tags" not in out and "FailureReason" not in out


def test_max_runtime_exceeded_is_a_stopped_job():
    job = _job()
    _walk(job, "Downloading", "Training", "MaxRuntimeExceeded")
    assert (job.status, job.secondary_status) == ("Stopped", "MaxRuntimeExceeded")


@pytest.mark.parametrize("terminal", ["Completed", "Failed", "Stopped", "MaxRuntimeExceeded"])
def test_terminal_states_allow_no_further_move(terminal):
    assert terminal not in ALLOWED
    assert PRIMARY[terminal] in {"Completed", "Failed", "Stopped"}


def test_illegal_moves_are_refused():
    job = _job()
    with pytest.raises(IllegalTransition):
        job.enter("Completed")
    _walk(job, "Downloading", "Training", "Stopping")
    assert not job.can_enter("Uploading") and not job.can_enter("Completed")
    job.enter("Stopped")
    with pytest.raises(IllegalTransition):
        job.enter("Failed")


def test_failure_reason_is_truncated_to_1024_characters():
    job = _job()
    job.enter("Failed", T0, reason="x" * 5000)
    assert len(job.describe()["FailureReason"]) == 1024


def test_document_round_trip_keeps_everything_describe_reports():
    job = _job()
    _walk(job, "Downloading", "Training")
    job.metrics.points.clear()
    restored = TrainingJob.from_doc(job.to_doc())
    assert restored.describe() == job.describe()
    assert restored.version == job.version == 2
