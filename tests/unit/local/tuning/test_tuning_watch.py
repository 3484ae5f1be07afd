"""The engine's careful calls into the training service: final objective, tag retries, watcher."""

from __future__ import annotations

import math
import sqlite3
import threading

from tuning_fakes import FakeTraining, definition

from airflow_sm_provider.local.tuning import link


def described(status: str, final: float | None = None) -> dict:
    out: dict = {"TrainingJobStatus": status}
    if final is not None:
        out["FinalMetricDataList"] = [
            {"MetricName": "loss", "Value": final},
            {"MetricName": "acc", "Value": 0.9},
        ]
    return out


def test_final_objective_is_the_final_metric_of_the_objective():
    assert link.final_objective(described("Completed", 0.25), "loss", [1.0, 0.5]) == 0.25


def test_final_objective_falls_back_to_the_last_emitted_value():
    assert link.final_objective(described("Stopped"), "loss", [1.0, 0.5]) == 0.5


def test_failed_or_non_finite_objectives_have_no_value():
    assert link.final_objective(described("Failed", 0.25), "loss", [0.25]) is None
    assert link.final_objective(described("Completed", math.nan), "loss", []) is None
    assert link.final_objective(described("Completed"), "loss", []) is None


def test_tag_retries_a_lost_sqlite_race():
    calls = []

    def flaky(arn, tags):
        calls.append(arn)
        if len(calls) < 3:
            raise sqlite3.OperationalError("database is locked")

    link.tag(flaky, "arn:x", [{"Key": "k", "Value": "v"}])
    assert len(calls) == 3


def test_tag_gives_up_quietly():
    def locked(arn, tags):
        raise sqlite3.OperationalError("database is locked")

    link.tag(locked, "arn:x", [])  # logged, not raised


def test_watch_wakes_the_engine_when_the_trial_ends():
    fake = FakeTraining(epoch_seconds=0.01)
    request = {
        "TrainingJobName": "w-001-00000000",
        **definition(),
        "HyperParameters": {"x": "3", "lr": "0.01"},
    }
    fake.create_training_job(request)
    wake = threading.Event()
    link.watch(fake, "w-001-00000000", wake, threading.Event())
    assert wake.wait(5)
    assert fake.jobs["w-001-00000000"].status == "Completed"
