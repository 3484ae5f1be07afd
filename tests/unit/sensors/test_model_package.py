from __future__ import annotations

import pytest

from airflow_sm_provider.exceptions import JobFailedError
from airflow_sm_provider.sensors import SageMakerModelApprovalSensor
from airflow_sm_provider.triggers import SageMakerModelApprovalTrigger
from tests.unit.operators.test_training import FakeTI, context
from tests.unit.registry_samples import model_package_description, package_arn

ARN = package_arn(2)
PARAMS = {"ModelPackageName": ARN}


class RescheduledTI(FakeTI):
    """A task instance in its first reschedule-mode try."""

    def get_first_reschedule_date(self, context):
        return None


def sensor(**kwargs):
    return SageMakerModelApprovalSensor(task_id="wait_for_approval", model_package_arn=ARN, **kwargs)


def test_poke_waits_while_pending_then_returns_the_version(sagemaker_stub):
    sagemaker_stub.add_response("describe_model_package", model_package_description(2), PARAMS)
    sagemaker_stub.add_response("describe_model_package", model_package_description(2, "Approved"), PARAMS)
    waiting = sensor()
    assert waiting.poke(context()) is False
    done = waiting.poke(context())
    assert done.is_done
    assert done.xcom_value["model_package_arn"] == ARN
    assert done.xcom_value["approval_status"] == "Approved"


def test_a_rejection_fails_with_who_rejected_it_and_why(sagemaker_stub):
    sagemaker_stub.add_response("describe_model_package", model_package_description(2, "Rejected"), PARAMS)
    with pytest.raises(JobFailedError, match="Rejected by alice: worse on the holdout") as raised:
        sensor().poke(context())
    assert raised.value.status == "Rejected"
    assert raised.value.failure_reason == "Rejected by alice: worse on the holdout"


@pytest.mark.parametrize("mode", ["poke", "reschedule"])
def test_poke_and_reschedule_modes_return_the_version_when_approved(sagemaker_stub, mode):
    sagemaker_stub.add_response("describe_model_package", model_package_description(2, "Approved"), PARAMS)
    waiting = sensor(mode=mode, poke_interval=1, timeout=60)
    assert waiting.reschedule is (mode == "reschedule")
    result = waiting.execute(context(RescheduledTI()))
    assert result["approval_status"] == "Approved"


def test_deferrable_pokes_once_then_defers_to_the_approval_trigger(sagemaker_stub):
    from airflow.providers.common.compat.sdk import TaskDeferred

    sagemaker_stub.add_response("describe_model_package", model_package_description(2), PARAMS)
    with pytest.raises(TaskDeferred) as deferred:
        sensor(deferrable=True, poke_interval=20, timeout=600).execute(context())
    trigger = deferred.value.trigger
    assert type(trigger) is SageMakerModelApprovalTrigger
    assert (trigger.job_name, trigger.poll_interval, trigger.stop_job_on_kill) == (ARN, 20, False)
    assert (trigger.timeout_name, trigger.timeout_seconds) == ("timeout", 600)
    sagemaker_stub.assert_no_pending_responses()


def test_deferrable_on_an_approved_version_never_defers(sagemaker_stub):
    sagemaker_stub.add_response("describe_model_package", model_package_description(2, "Approved"), PARAMS)
    assert sensor(deferrable=True).execute(context())["model_package_version"] == 2


def test_resuming_from_a_failed_event_re_describes_and_fails_with_the_description(sagemaker_stub):
    sagemaker_stub.add_response("describe_model_package", model_package_description(2, "Rejected"), PARAMS)
    event = {
        "status": "failed",
        "kind": "model_package",
        "job_name": ARN,
        "job_status": "Rejected",
        "message": "x",
    }
    with pytest.raises(JobFailedError, match="Rejected by alice"):
        sensor(deferrable=True).execute_complete(context(), event)


def test_resuming_from_a_success_event_returns_the_version(sagemaker_stub):
    sagemaker_stub.add_response("describe_model_package", model_package_description(2, "Approved"), PARAMS)
    event = {
        "status": "success",
        "kind": "model_package",
        "job_name": ARN,
        "job_status": "Approved",
        "message": "",
    }
    assert sensor(deferrable=True).execute_complete(context(), event)["approval_status"] == "Approved"


def test_a_timeout_says_the_version_is_still_pending_and_left_as_it_is(sagemaker_stub, mocker):
    from airflow.providers.common.compat.sdk import AirflowSensorTimeout

    waiting = sensor(timeout=0, poke_interval=0)
    mocker.patch.object(waiting, "poke", return_value=False)
    with pytest.raises(AirflowSensorTimeout) as raised:
        waiting.execute(context())
    assert str(raised.value) == (
        f"SageMaker model package {ARN} was still PendingManualApproval when timeout (0 s) ran out; "
        "its approval status was left as it is"
    )
