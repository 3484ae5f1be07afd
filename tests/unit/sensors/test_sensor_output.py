"""What a training or tuning sensor shows of its job while it runs, in every mode.

A reschedule-mode sensor is a new process at every poke: here each poke is a new sensor object
sharing only the task state store (a dict standing in for Airflow 3.3's, same methods), as in
Airflow.
"""

from __future__ import annotations

import pytest

from airflow_sm_provider import reporting
from airflow_sm_provider.sensors import SageMakerTrainingSensor, SageMakerTuningSensor
from tests.unit.operators.test_training import FakeTI
from tests.unit.sample_requests import training_description, tuning_description


class Store:
    """The task state store's interface (get / set / delete) over a dict."""

    def __init__(self, fail_writes: bool = False):
        self.values: dict[str, object] = {}
        self.fail_writes = fail_writes
        self.writes = 0

    def get(self, key, default=None):
        return self.values.get(key, default)

    def set(self, key, value, *, retention=None):
        if self.fail_writes:
            raise RuntimeError("state store unavailable")
        self.writes += 1
        self.values[key] = value

    def delete(self, key):
        self.values.pop(key, None)


class GrowingLogs:
    """CloudWatch Logs for a job whose script prints as the test says."""

    def __init__(self, job_name: str):
        self.job_name = job_name
        self.events: list[dict] = []

    def prints(self, message: str) -> None:
        n = len(self.events) + 1
        self.events.append(
            {
                "eventId": str(n),
                "timestamp": 1_000 * n,
                "logStreamName": f"{self.job_name}/algo-1-1700000000",
                "message": message,
            }
        )

    def filter_log_events(self, **kwargs):
        return {"events": [e for e in self.events if e["timestamp"] >= kwargs.get("startTime", 0)]}


def poke_once(sagemaker_stub, task_log, store, status, try_number=1):
    """One reschedule-mode poke in a process of its own; the output lines it logged."""
    sagemaker_stub.add_response(
        "describe_training_job", training_description("j", status), {"TrainingJobName": "j"}
    )
    sensor = SageMakerTrainingSensor(task_id="wait", job_name="j", mode="reschedule")
    context = {"ti": FakeTI(try_number=try_number)}
    if store is not None:
        context["task_state_store"] = store
    before = len(task_log.messages("info"))
    done = sensor.poke(context)
    shown = [m for m in task_log.messages("info")[before:] if m.startswith("[algo-1]")]
    return done, shown


@pytest.fixture
def logs(sagemaker_stub):
    growing = GrowingLogs("j")
    sagemaker_stub.logs.filter_log_events = growing.filter_log_events
    return growing


def test_reschedule_mode_shows_each_line_once_while_the_job_runs(sagemaker_stub, task_log, logs):
    store = Store()
    logs.prints("epoch 1")
    assert poke_once(sagemaker_stub, task_log, store, "InProgress") == (False, ["[algo-1] epoch 1"])
    logs.prints("epoch 2")
    logs.prints("epoch 3")
    assert poke_once(sagemaker_stub, task_log, store, "InProgress") == (
        False,
        ["[algo-1] epoch 2", "[algo-1] epoch 3"],
    )
    assert poke_once(sagemaker_stub, task_log, store, "InProgress") == (False, [])  # nothing new
    logs.prints("done")
    done, shown = poke_once(sagemaker_stub, task_log, store, "Completed")
    assert done.is_done
    assert shown == ["[algo-1] done"]
    assert store.values == {}  # the job has ended: the place is forgotten


def test_a_quiet_poke_does_not_write_the_store(sagemaker_stub, task_log, logs):
    store = Store()
    logs.prints("epoch 1")
    poke_once(sagemaker_stub, task_log, store, "InProgress")
    poke_once(sagemaker_stub, task_log, store, "InProgress")
    assert store.writes == 1


def test_a_retry_carries_on_where_the_previous_try_stopped(sagemaker_stub, task_log, logs):
    store = Store()
    logs.prints("epoch 1")
    poke_once(sagemaker_stub, task_log, store, "InProgress", try_number=1)
    logs.prints("epoch 2")
    assert poke_once(sagemaker_stub, task_log, store, "InProgress", try_number=2) == (
        False,
        ["[algo-1] epoch 2"],
    )
    assert any("from where try 1 left it" in m for m in task_log.messages("info"))


def test_without_a_task_state_store_reschedule_mode_shows_the_output_at_the_end_and_says_so(
    sagemaker_stub, task_log, logs
):
    logs.prints("epoch 1")
    assert poke_once(sagemaker_stub, task_log, None, "InProgress") == (False, [])
    logs.prints("done")
    _, shown = poke_once(sagemaker_stub, task_log, None, "Completed")
    assert shown == ["[algo-1] epoch 1", "[algo-1] done"]
    assert any("shown once it has ended" in m for m in task_log.messages("info"))


def test_a_store_that_cannot_be_written_is_a_warning_never_a_failure(sagemaker_stub, task_log, logs):
    store = Store(fail_writes=True)
    logs.prints("epoch 1")
    assert poke_once(sagemaker_stub, task_log, store, "InProgress") == (False, ["[algo-1] epoch 1"])
    warnings = [m for m in task_log.messages("warning") if "task state store" in m]
    assert len(warnings) == 1 and "state store unavailable" in warnings[0]


def test_a_place_kept_for_another_job_is_ignored(sagemaker_stub, task_log, logs):
    store = Store()
    store.values[reporting.PLACE_KEY] = {"job": "other", "try": 1, "state": {"after_ms": 10**15}}
    logs.prints("epoch 1")
    assert poke_once(sagemaker_stub, task_log, store, "InProgress") == (False, ["[algo-1] epoch 1"])


def trial(name, status, value=None):
    summary = {
        "TrainingJobName": name,
        "TrainingJobArn": f"arn:aws:sagemaker:eu-west-1:123456789012:training-job/{name}",
        "CreationTime": 1_700_000_000,
        "TrainingJobStatus": status,
        "TunedHyperParameters": {"x": "1"},
    }
    if value is not None:
        summary["TrainingEndTime"] = 1_700_000_100
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "MetricName": "validation:loss",
            "Value": value,
        }
    return summary


def test_a_reschedule_mode_tuning_sensor_logs_each_trial_end_once(sagemaker_stub, task_log):
    store = Store()
    pokes = [
        (
            [trial("t-1", "Completed", 0.5), trial("t-2", "InProgress")],
            "InProgress",
            {"Completed": 1, "InProgress": 1},
        ),
        ([trial("t-1", "Completed", 0.5), trial("t-2", "Completed", 0.3)], "InProgress", {"Completed": 2}),
    ]
    shown = []
    for trials, status, counters in pokes:
        description = tuning_description("j", status)
        description["TrainingJobStatusCounters"] = counters
        sagemaker_stub.add_response(
            "describe_hyper_parameter_tuning_job", description, {"HyperParameterTuningJobName": "j"}
        )
        sagemaker_stub.add_response(
            "list_training_jobs_for_hyper_parameter_tuning_job",
            {"TrainingJobSummaries": trials},
            {"HyperParameterTuningJobName": "j", "MaxResults": 100},
        )
        sensor = SageMakerTuningSensor(task_id="wait", job_name="j", mode="reschedule")
        before = len(task_log.messages("info"))
        assert sensor.poke({"ti": FakeTI(), "task_state_store": store}) is False
        shown.append([m.split()[1] for m in task_log.messages("info")[before:] if m.startswith("trial ")])
    assert shown == [["t-1:"], ["t-2:"]]


def test_a_deferrable_sensor_hands_the_trigger_what_its_first_poke_showed(sagemaker_stub, task_log, logs):
    from airflow.providers.common.compat.sdk import TaskDeferred

    logs.prints("epoch 1")
    sagemaker_stub.add_response("describe_training_job", training_description("j"), {"TrainingJobName": "j"})
    sensor = SageMakerTrainingSensor(task_id="wait", job_name="j", deferrable=True)
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({"ti": FakeTI()})
    assert "[algo-1] epoch 1" in task_log.messages("info")
    trigger = deferred.value.trigger
    assert trigger.serialize()[1]["shown"] == trigger.shown
    from airflow_sm_provider.logtail import LogCursor

    cursor = LogCursor.from_dict({**trigger.shown, "job_name": "j"})
    assert cursor.take(logs.events) == []  # the trigger will not show epoch 1 again
