from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import time

import pytest

from airflow_sm_provider.jobs import TRAINING, TUNING, Outcome
from airflow_sm_provider.triggers import SageMakerTrainingTrigger, SageMakerTuningTrigger, clients
from tests.unit.sample_requests import training_description, tuning_description

TRIGGERS = {"training": SageMakerTrainingTrigger, "tuning": SageMakerTuningTrigger}
DESCRIBE = {
    "training": ("describe_training_job", "TrainingJobName"),
    "tuning": ("describe_hyper_parameter_tuning_job", "HyperParameterTuningJobName"),
}
STOP = {"training": "stop_training_job", "tuning": "stop_hyper_parameter_tuning_job"}


def describe(kind, name, status, **extra):
    return (training_description if kind == "training" else tuning_description)(name, status, **extra)


@pytest.fixture
def aio_stub(monkeypatch):
    """Run a coroutine against a real aiobotocore client whose responses come from AioStubber."""
    from aiobotocore.session import get_session
    from aiobotocore.stub import AioStubber

    queued: list = []

    def run(coro_factory, allow_pending=False):
        async def main():
            session = get_session()
            async with session.create_client(
                "sagemaker", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
            ) as client:
                stubber = AioStubber(client)
                for method, args in queued:
                    getattr(stubber, method)(*args[0], **args[1])
                stubber.activate()

                async def fake_open(hook):
                    return client, contextlib.AsyncExitStack()

                monkeypatch.setattr(clients, "_open", fake_open)
                result = await coro_factory()
                if not allow_pending:
                    stubber.assert_no_pending_responses()
                return result

        return asyncio.run(main())

    class Queue:
        def add_response(self, *args, **kwargs):
            queued.append(("add_response", (args, kwargs)))

        def add_client_error(self, *args, **kwargs):
            queued.append(("add_client_error", (args, kwargs)))

    queue = Queue()
    queue.run = run
    return queue


async def first_event(trigger):
    async with contextlib.aclosing(trigger.run()) as events:
        async for event in events:
            return event.payload
    raise AssertionError("trigger ended without an event")


@pytest.mark.parametrize("kind", ["training", "tuning"])
def test_serialize_round_trips_with_json_native_kwargs(kind):
    trigger = TRIGGERS[kind](
        job_name="j",
        aws_conn_id="aws_x",
        region_name="eu-west-1",
        poll_interval=15,
        timeout_at=1.5e9,
        stop_job_on_kill=False,
    )
    classpath, kwargs = trigger.serialize()
    assert json.loads(json.dumps(kwargs)) == kwargs
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(importlib.import_module(module), name)(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)
    assert type(rebuilt) is TRIGGERS[kind]


def test_designs_minimal_constructor_works():
    trigger = SageMakerTrainingTrigger(
        job_name="j", aws_conn_id="aws_default", region_name=None, poll_interval=30
    )
    assert trigger.serialize()[1]["timeout_at"] is None


TERMINAL = [
    (kind.name, status, outcome)
    for kind in (TRAINING, TUNING)
    for status, outcome in kind.statuses.items()
    if outcome.is_terminal()
]


@pytest.mark.parametrize(("kind", "status", "outcome"), TERMINAL)
def test_every_terminal_status_fires_one_event_of_the_common_shape(aio_stub, kind, status, outcome):
    method, key = DESCRIBE[kind]
    aio_stub.add_response(method, describe(kind, "j", "InProgress"), {key: "j"})
    aio_stub.add_response(method, describe(kind, "j", status), {key: "j"})
    trigger = TRIGGERS[kind](job_name="j", poll_interval=0)

    event = aio_stub.run(lambda: first_event(trigger))

    assert set(event) == {"status", "kind", "job_name", "job_status", "message"}
    assert event["status"] == ("success" if outcome is Outcome.SUCCEEDED else "failed")
    assert (event["kind"], event["job_name"], event["job_status"]) == (kind, "j", status)
    if outcome is Outcome.FAILED and status in ("Failed", "Stopped"):
        assert describe(kind, "j", status)["FailureReason"] in event["message"]


def test_completed_tuning_job_without_best_training_job_is_a_failure_event(aio_stub):
    aio_stub.add_response(*DESCRIBE_ARGS("tuning", "Completed", best=False))
    event = aio_stub.run(lambda: first_event(SageMakerTuningTrigger(job_name="j", poll_interval=0)))
    assert event["status"] == "failed"
    assert "none of its training jobs succeeded" in event["message"]


def DESCRIBE_ARGS(kind, status, **extra):
    method, key = DESCRIBE[kind]
    return method, describe(kind, "j", status, **extra), {key: "j"}


def test_transient_errors_are_retried_not_fatal(aio_stub):
    aio_stub.add_client_error("describe_training_job", "ThrottlingException", http_status_code=400)
    aio_stub.add_client_error("describe_training_job", "ServiceUnavailable", http_status_code=503)
    aio_stub.add_response(*DESCRIBE_ARGS("training", "Completed"))
    event = aio_stub.run(lambda: first_event(SageMakerTrainingTrigger(job_name="j", poll_interval=0)))
    assert event["status"] == "success"


def test_non_transient_error_ends_with_an_error_event(aio_stub):
    aio_stub.add_client_error(
        "describe_training_job", "AccessDeniedException", "no access", http_status_code=403
    )
    event = aio_stub.run(lambda: first_event(SageMakerTrainingTrigger(job_name="j", poll_interval=0)))
    assert event["status"] == "error"
    assert "AccessDenied" in event["message"]


def test_timeout_produces_a_clear_timeout_event_once_the_status_is_known(aio_stub):
    aio_stub.add_response(*DESCRIBE_ARGS("training", "InProgress"))
    trigger = SageMakerTrainingTrigger(job_name="j", poll_interval=3600, timeout_at=time.time() - 1)
    event = aio_stub.run(lambda: first_event(trigger))
    assert event["status"] == "timeout"
    assert "max_ingestion_time" in event["message"]
    assert trigger.last_status == "InProgress"  # the job was looked at once, and left running


def test_a_restarted_trigger_past_its_deadline_reports_the_real_outcome_of_a_finished_job(aio_stub):
    # The triggerer restarted after max_ingestion_time while the job completed; the first
    # Describe is throttled and is only retried a poll interval later.
    aio_stub.add_client_error("describe_training_job", "ThrottlingException", http_status_code=400)
    aio_stub.add_response(*DESCRIBE_ARGS("training", "Completed"))
    trigger = SageMakerTrainingTrigger(job_name="j", poll_interval=1, timeout_at=time.time() - 60)
    event = aio_stub.run(lambda: first_event(trigger))
    assert (event["status"], event["job_status"]) == ("success", "Completed")


def test_a_trigger_that_never_learns_the_status_times_out_after_the_grace_saying_so(aio_stub, monkeypatch):
    from airflow_sm_provider.triggers import sagemaker

    monkeypatch.setattr(sagemaker, "FIRST_STATUS_GRACE", 0.3)
    for _ in range(40):
        aio_stub.add_client_error("describe_training_job", "ThrottlingException", http_status_code=400)
    trigger = SageMakerTrainingTrigger(job_name="j", poll_interval=0.01, timeout_at=time.time() - 60)

    event = aio_stub.run(lambda: first_event(trigger), allow_pending=True)
    assert event["status"] == "timeout"
    assert event["job_status"] is None
    assert "no status could be read" in event["message"]


@pytest.mark.parametrize("kind", ["training", "tuning"])
def test_on_kill_stops_the_job(aio_stub, kind):
    key = DESCRIBE[kind][1]
    aio_stub.add_response(STOP[kind], {}, {key: "j"})
    aio_stub.run(lambda: TRIGGERS[kind](job_name="j", poll_interval=0).on_kill())


def test_on_kill_with_stop_job_on_kill_false_makes_no_call(aio_stub):
    trigger = SageMakerTrainingTrigger(job_name="j", poll_interval=0, stop_job_on_kill=False)
    aio_stub.run(trigger.on_kill)


def test_cleanup_as_on_triggerer_restart_never_stops_the_job(aio_stub):
    async def cancel_mid_wait():
        trigger = SageMakerTrainingTrigger(job_name="j", poll_interval=3600)
        task = asyncio.ensure_future(first_event(trigger))
        deadline = time.monotonic() + 10
        while trigger.last_status is None and time.monotonic() < deadline:
            await asyncio.sleep(0.001)
        assert trigger.last_status == "InProgress"
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await trigger.cleanup()
        return clients.open_clients()

    aio_stub.add_response(*DESCRIBE_ARGS("training", "InProgress"))
    assert aio_stub.run(cancel_mid_wait) == 0  # no stop call queued: the Stubber would raise
