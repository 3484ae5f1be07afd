from __future__ import annotations

import asyncio
import contextlib
import importlib
import json

import pytest

from airflow_sm_provider.jobs import MODEL_PACKAGE
from airflow_sm_provider.triggers import SageMakerModelApprovalTrigger
from tests.unit.registry_samples import model_package_description, package_arn
from tests.unit.triggers.test_sagemaker import aio_stub, first_event  # noqa: F401 - fixture

ARN = package_arn(2)


def test_serialize_round_trips_with_the_literal_classpath():
    trigger = SageMakerModelApprovalTrigger(
        job_name=ARN, aws_conn_id="aws_x", poll_interval=15, timeout_at=1.5e9
    )
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_sm_provider.triggers.model_package.SageMakerModelApprovalTrigger"
    assert json.loads(json.dumps(kwargs)) == kwargs
    module, _, name = classpath.rpartition(".")
    assert getattr(importlib.import_module(module), name)(**kwargs).serialize() == (classpath, kwargs)


@pytest.mark.parametrize(("status", "event_status"), [("Approved", "success"), ("Rejected", "failed")])
def test_a_decision_fires_one_event_after_pending(aio_stub, status, event_status):  # noqa: F811
    aio_stub.add_response("describe_model_package", model_package_description(2), {"ModelPackageName": ARN})
    aio_stub.add_response(
        "describe_model_package", model_package_description(2, status), {"ModelPackageName": ARN}
    )
    event = aio_stub.run(lambda: first_event(SageMakerModelApprovalTrigger(job_name=ARN, poll_interval=0)))
    assert (event["status"], event["kind"], event["job_name"], event["job_status"]) == (
        event_status,
        MODEL_PACKAGE.name,
        ARN,
        status,
    )
    if status == "Rejected":
        assert "Rejected by alice" in event["message"]


def test_many_watched_versions_share_one_poller_that_describes_each_and_never_lists(aio_stub):  # noqa: F811
    from airflow_sm_provider.triggers.registry import pollers

    arns = [package_arn(v) for v in range(1, 11)]
    # first status of ten newcomers (Describes, no InProgress listing), then one refresh each
    for version, arn in enumerate(arns, start=1):
        aio_stub.add_response(
            "describe_model_package", model_package_description(version), {"ModelPackageName": arn}
        )
    for version, arn in enumerate(arns, start=1):
        aio_stub.add_response(
            "describe_model_package",
            model_package_description(version, "Approved"),
            {"ModelPackageName": arn},
        )

    async def watch_all():
        triggers = [SageMakerModelApprovalTrigger(job_name=arn, poll_interval=0) for arn in arns]
        tasks = [asyncio.ensure_future(first_event(t)) for t in triggers]
        await asyncio.sleep(0)
        (poller,) = pollers()
        events = await asyncio.gather(*tasks)
        return poller, events

    poller, events = aio_stub.run(watch_all)
    assert [e["status"] for e in events] == ["success"] * 10
    assert set(poller.calls) == {"DescribeModelPackage"}
    assert poller.calls["DescribeModelPackage"] == 20


def test_on_kill_leaves_the_version_alone(aio_stub):  # noqa: F811
    trigger = SageMakerModelApprovalTrigger(job_name=ARN)
    aio_stub.run(lambda: trigger.on_kill())  # no API call is stubbed: none may be made


def test_the_trigger_is_the_one_on_the_row():
    from airflow_sm_provider.triggers.sagemaker import trigger_for

    assert trigger_for(MODEL_PACKAGE) is SageMakerModelApprovalTrigger
    with contextlib.suppress(Exception):
        pass
