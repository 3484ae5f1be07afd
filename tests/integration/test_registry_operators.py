"""The registry operators and the approval sensor against the local backend (real boto3 over HTTP)."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pendulum
import pytest

from airflow_sm_provider.exceptions import JobFailedError
from airflow_sm_provider.sensors import SageMakerModelApprovalSensor
from airflow_sm_provider.triggers import SageMakerModelApprovalTrigger
from tests.integration.test_dag_tune_then_train import xcom
from tests.unit.operators.test_training import context

DAG_FILE = Path(__file__).parent / "dags" / "sm_test_registry.py"
GROUP = "sm-test-models"

pytestmark = pytest.mark.integration


def load_dag(dag_id: str):
    spec = importlib.util.spec_from_file_location("sm_test_registry", DAG_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from airflow.sdk import DAG

    return {obj.dag_id: obj for obj in vars(module).values() if isinstance(obj, DAG)}[dag_id]


@pytest.mark.parametrize("mode", ["poke", "reschedule", "deferrable"])
def test_train_gate_register_approve_and_wait_in_every_sensor_mode(airflow_db, aws_default, sm_client, mode):
    when = pendulum.datetime(2026, 10, 5, tz="UTC")
    run = load_dag(f"sm_test_registry_{mode}").test(run_after=when, logical_date=when)

    assert run.state == "success"
    assert xcom(run, "gate")["decision"] == "promote"  # the first model: no champion
    registered = xcom(run, "register")
    assert registered["model_package_version"] == 1
    waited = xcom(run, "wait_for_approval")
    assert (waited["model_package_arn"], waited["approval_status"]) == (
        registered["model_package_arn"],
        "Approved",
    )
    described = sm_client.describe_model_package(ModelPackageName=registered["model_package_arn"])
    assert described["ApprovalDescription"].startswith(
        f"Approved by Airflow task sm_test_registry_{mode}.approve"
    )
    inference = described["InferenceSpecification"]
    assert inference["SupportedContentTypes"] == ["application/json"]
    assert inference["SupportedTransformInstanceTypes"] == ["ml.m5.large"]
    assert inference["Containers"][0]["ModelDataUrl"] == xcom(run, "train")["model_artifacts"]
    assert (
        float(described["CustomerMetadataProperties"]["metric:loss"])
        == xcom(run, "train")["final_metrics"]["loss"]
    )


def test_a_rerun_registers_no_second_version_and_the_next_run_is_gated(airflow_db, aws_default, sm_client):
    dag = load_dag("sm_test_registry_poke")
    when = pendulum.datetime(2026, 10, 12, tz="UTC")
    first = dag.test(run_after=when, logical_date=when)
    again = dag.test(run_after=when, logical_date=when)  # clears and re-runs the same task instances
    assert (first.state, again.state) == ("success", "success")
    assert xcom(again, "register")["model_package_arn"] == xcom(first, "register")["model_package_arn"]
    assert len(sm_client.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]) == 1

    later = pendulum.datetime(2026, 10, 19, tz="UTC")
    next_run = dag.test(run_after=later, logical_date=later)
    decision = xcom(next_run, "gate")
    # the same training config gives the same loss: not worse, so promoted against champion v1
    assert decision["champion"]["model_package_version"] == 1
    assert decision["decision"] == "promote"
    assert xcom(next_run, "register")["model_package_version"] == 2


def test_a_deferred_sensor_resumes_when_someone_approves_in_the_registry(
    airflow_db, aws_default, sm_client, monkeypatch
):
    from airflow_sm_provider.triggers import SageMakerModelApprovalTrigger as Trigger

    watched = []
    original_run = Trigger.run

    async def approve_once_watched(self):
        # the trigger exists only once the sensor has poked (pending) and deferred: approve now,
        # as someone would in SageMaker Studio, and let the trigger find out
        watched.append(self.job_name)
        await asyncio.to_thread(
            sm_client.update_model_package,
            ModelPackageArn=self.job_name,
            ModelApprovalStatus="Approved",
            ApprovalDescription="Approved by carol in Studio",
        )
        async for event in original_run(self):
            yield event

    monkeypatch.setattr(Trigger, "run", approve_once_watched)
    when = pendulum.datetime(2026, 10, 26, tz="UTC")
    run = load_dag("sm_test_registry_pending").test(run_after=when, logical_date=when)

    assert run.state == "success"
    waited = xcom(run, "wait_for_approval")
    assert watched == [xcom(run, "register")["model_package_arn"]]
    assert (waited["approval_status"], waited["approval_description"]) == (
        "Approved",
        "Approved by carol in Studio",
    )


def pending_version(sm_client, group="sm-test-sensor"):
    sm_client.create_model_package_group(ModelPackageGroupName=group)
    return sm_client.create_model_package(
        ModelPackageGroupName=group,
        InferenceSpecification={"Containers": [{"Image": "local/python:3.11"}]},
    )["ModelPackageArn"]


def test_poke_sees_pending_then_a_rejection_fails_with_its_description(aws_default, sm_client):
    arn = pending_version(sm_client)
    sensor = SageMakerModelApprovalSensor(task_id="wait", model_package_arn=arn)
    assert sensor.poke(context()) is False
    sm_client.update_model_package(
        ModelPackageArn=arn,
        ModelApprovalStatus="Rejected",
        ApprovalDescription="Rejected by bob: AUC dropped",
    )
    with pytest.raises(JobFailedError, match="Rejected by bob: AUC dropped"):
        sensor.poke(context())


def test_the_trigger_reports_an_approval_made_while_it_waits(aws_default, sm_client):
    arn = pending_version(sm_client)
    trigger = SageMakerModelApprovalTrigger(job_name=arn, poll_interval=0.2)

    async def main():
        events = trigger.run()
        first = asyncio.ensure_future(events.__anext__())
        while trigger.last_status is None:  # approve only once the trigger has seen it pending
            await asyncio.sleep(0.05)
        await asyncio.to_thread(
            sm_client.update_model_package, ModelPackageArn=arn, ModelApprovalStatus="Approved"
        )
        event = await asyncio.wait_for(first, 60)
        await events.aclose()
        return event.payload

    payload = asyncio.run(main())
    assert trigger.last_status == "Approved"
    assert (payload["status"], payload["job_status"], payload["job_name"]) == ("success", "Approved", arn)
