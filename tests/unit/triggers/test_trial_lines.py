"""Deferred tuning: one log line per finished trial, trials listed only when a counter moved."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from airflow_sm_provider.triggers import SageMakerTuningTrigger, clients
from tests.unit.triggers.fake_sagemaker import FakeSageMaker

INTERVAL = 0.02
LIST_TRIALS = "list_training_jobs_for_hyper_parameter_tuning_job"


class FakeTuning(FakeSageMaker):
    """Adds a tuning job's trials: its counters follow them, and they can be listed."""

    def __init__(self) -> None:
        super().__init__()
        self.trials: dict[str, dict[str, Any]] = {}

    def trial(self, name: str, status: str, lr: str, loss: float | None = None) -> None:
        trial: dict[str, Any] = {
            "TrainingJobName": name,
            "TrainingJobStatus": status,
            "TunedHyperParameters": {"lr": lr},
            "CreationTime": self.now(),
        }
        if loss is not None:
            trial["FinalHyperParameterTuningJobObjectiveMetric"] = {
                "MetricName": "validation:loss",
                "Value": loss,
            }
        if status == "Failed":
            trial["FailureReason"] = "AlgorithmError: diverged"
        if status != "InProgress":
            trial["TrainingEndTime"] = self.now()
        self.trials[name] = trial
        self.set_status("tune", self.jobs["tune"]["status"])  # the counters moved

    def _describe(self, kind: str, **kwargs: Any) -> dict[str, Any]:
        description = super()._describe(kind, **kwargs)
        counters = {
            "Completed": 0,
            "InProgress": 0,
            "RetryableError": 0,
            "NonRetryableError": 0,
            "Stopped": 0,
        }
        for trial in self.trials.values():
            key = {"Failed": "NonRetryableError"}.get(trial["TrainingJobStatus"], trial["TrainingJobStatus"])
            counters[key] += 1
        description["TrainingJobStatusCounters"] = counters
        return description

    async def list_training_jobs_for_hyper_parameter_tuning_job(self, **kwargs: Any) -> dict[str, Any]:
        self.calls[LIST_TRIALS] += 1
        await asyncio.sleep(0)
        assert kwargs["HyperParameterTuningJobName"] == "tune"
        return {"TrainingJobSummaries": [dict(t) for t in self.trials.values()]}


@pytest.fixture
def fake(monkeypatch):
    client = FakeTuning()

    async def fake_open(hook, service="sagemaker"):
        assert service == "sagemaker", "a tuning trigger needs no logs client"
        return client, contextlib.AsyncExitStack()

    monkeypatch.setattr(clients, "_open", fake_open)
    return client


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached before the deadline"
        await asyncio.sleep(0.005)


class Recorder:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str, *args: object) -> None:
        self.lines.append(message % args if args else message)

    warning = error = exception = debug = info


def trigger(out: Recorder, **kwargs: Any) -> SageMakerTuningTrigger:
    made = SageMakerTuningTrigger(job_name="tune", poll_interval=INTERVAL, **kwargs)
    made._log = out
    return made


async def event_of(made: SageMakerTuningTrigger) -> dict:
    async with contextlib.aclosing(made.run()) as stream:
        async for event in stream:
            return event.payload
    raise AssertionError("no event")


def test_each_finished_trial_is_one_line_listed_only_when_a_counter_moved(fake):
    fake.add("tuning", "tune")
    out = Recorder()

    async def main():
        task = asyncio.ensure_future(event_of(trigger(out, print_log=True)))
        fake.trial("tune-001", "InProgress", "0.1")
        await until(lambda: fake.calls["describe_hyper_parameter_tuning_job"] >= 3)
        quiet = fake.calls[LIST_TRIALS]
        await until(lambda: fake.calls["describe_hyper_parameter_tuning_job"] >= 6)
        assert fake.calls[LIST_TRIALS] == quiet == 0  # nothing ended: no listing, however many polls
        fake.trial("tune-001", "Completed", "0.1", loss=0.25)
        await until(lambda: any("tune-001" in line for line in out.lines))
        fake.trial("tune-002", "Failed", "9.0")
        await until(lambda: any("tune-002" in line for line in out.lines))
        fake.trial("tune-003", "Completed", "0.01", loss=0.125)
        fake.set_status("tune", "Completed")
        return await task

    event = asyncio.run(main())
    assert event["status"] == "success"
    trial_lines = [line for line in out.lines if line.startswith("trial ")]
    assert trial_lines == [
        "trial tune-001: Completed, lr=0.1; validation:loss = 0.25",
        "trial tune-002: Failed, lr=9.0; AlgorithmError: diverged",
        "trial tune-003: Completed, lr=0.01; validation:loss = 0.125",
    ]
    assert fake.calls[LIST_TRIALS] <= 3  # one listing per counter change, at most
    assert not any("rank" in line for line in out.lines)  # the leaderboard is the operator's, on resume


def test_without_print_log_trials_are_never_listed(fake):
    fake.add("tuning", "tune")
    fake.trial("tune-001", "Completed", "0.1", loss=0.25)
    fake.set_status("tune", "Completed")
    out = Recorder()

    event = asyncio.run(event_of(trigger(out)))
    assert event["status"] == "success"
    assert fake.calls[LIST_TRIALS] == 0
    assert not [line for line in out.lines if line.startswith("trial ")]


def test_a_listing_refused_is_said_once_and_the_wait_goes_on(fake):
    fake.add("tuning", "tune")
    out = Recorder()

    async def refused(**kwargs: Any) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        fake.calls[LIST_TRIALS] += 1
        error = {"Code": "AccessDeniedException", "Message": "no"}
        raise ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}, LIST_TRIALS)

    fake.list_training_jobs_for_hyper_parameter_tuning_job = refused  # type: ignore[method-assign]

    async def main():
        task = asyncio.ensure_future(event_of(trigger(out, print_log=True)))
        fake.trial("tune-001", "Completed", "0.1", loss=0.25)
        await until(lambda: fake.calls[LIST_TRIALS] >= 1)
        fake.trial("tune-002", "Completed", "0.2", loss=0.5)
        fake.set_status("tune", "Completed")
        return await task

    event = asyncio.run(main())
    assert event["status"] == "success"
    assert fake.calls[LIST_TRIALS] == 1
    assert len([line for line in out.lines if "cannot be listed" in line]) == 1


def test_trials_the_task_reported_before_deferring_are_not_reported_again(fake):
    fake.add("tuning", "tune")
    fake.trial("tune-001", "Completed", "0.1", loss=0.25)
    out = Recorder()

    async def main():
        made = trigger(out, print_log=True, shown={"reported": ["tune-001"], "ended": 1})
        task = asyncio.ensure_future(event_of(made))
        fake.trial("tune-002", "Completed", "0.01", loss=0.125)
        await until(lambda: any("tune-002" in line for line in out.lines))
        fake.set_status("tune", "Completed")
        return await task

    asyncio.run(main())
    assert [line for line in out.lines if line.startswith("trial ")] == [
        "trial tune-002: Completed, lr=0.01; validation:loss = 0.125"
    ]


def test_a_trigger_started_again_long_after_the_deferral_does_not_repeat_older_trials(fake):
    fake.add("tuning", "tune")
    fake.trial("tune-001", "Completed", "0.1", loss=0.25)
    fake.trials["tune-001"]["TrainingEndTime"] = fake.now() - timedelta(minutes=10)
    out = Recorder()

    async def main():
        made = trigger(out, print_log=True, deferred_at=time.time() - 900)
        task = asyncio.ensure_future(event_of(made))
        fake.trial("tune-002", "Completed", "0.01", loss=0.125)
        await until(lambda: any("tune-002" in line for line in out.lines))
        fake.set_status("tune", "Completed")
        return await task

    asyncio.run(main())
    assert [line for line in out.lines if line.startswith("trial ")] == [
        "trial tune-002: Completed, lr=0.01; validation:loss = 0.125"
    ]
    assert any("1 trials that ended before" in line for line in out.lines)
