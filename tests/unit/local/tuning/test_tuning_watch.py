"""A running trial seen from the engine: the watcher that wakes it, and its final objective."""

from __future__ import annotations

import math
import threading

from tuning_fakes import FakeTraining, definition

from airflow_sm_provider.local.tuning import watch


def described(status: str, final: float | None = None) -> dict:
    out: dict = {"TrainingJobStatus": status}
    if final is not None:
        out["FinalMetricDataList"] = [
            {"MetricName": "loss", "Value": final},
            {"MetricName": "acc", "Value": 0.9},
        ]
    return out


def test_final_objective_is_the_final_metric_of_the_objective():
    assert watch.final_objective(described("Completed", 0.25), "loss", [1.0, 0.5]) == 0.25


def test_final_objective_falls_back_to_the_last_emitted_value():
    assert watch.final_objective(described("Stopped"), "loss", [1.0, 0.5]) == 0.5


def test_failed_or_non_finite_objectives_have_no_value():
    assert watch.final_objective(described("Failed", 0.25), "loss", [0.25]) is None
    assert watch.final_objective(described("Completed", math.nan), "loss", []) is None
    assert watch.final_objective(described("Completed"), "loss", []) is None


def test_watch_wakes_the_engine_when_the_trial_ends():
    fake = FakeTraining(epoch_seconds=0.01)
    request = {
        "TrainingJobName": "w-001-00000000",
        **definition(),
        "HyperParameters": {"x": "3", "lr": "0.01"},
    }
    fake.create_training_job(request)
    wake = threading.Event()
    watch.watch(fake, "w-001-00000000", wake, threading.Event())
    assert wake.wait(5)
    assert fake.jobs["w-001-00000000"].status == "Completed"
