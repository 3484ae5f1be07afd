from __future__ import annotations

import pytest

from airflow_sm_provider.exceptions import JobFailedError
from airflow_sm_provider.sensors import SageMakerTrainingSensor, SageMakerTuningSensor
from airflow_sm_provider.triggers import SageMakerTrainingTrigger, SageMakerTuningTrigger
from tests.unit.operators.test_training import FakeTI, context
from tests.unit.sample_requests import training_description, tuning_description


def test_training_poke_waits_then_returns_the_operators_xcom(sagemaker_stub):
    sensor = SageMakerTrainingSensor(task_id="wait", job_name="j")
    sagemaker_stub.add_response("describe_training_job", training_description("j"), {"TrainingJobName": "j"})
    sagemaker_stub.add_response(
        "describe_training_job", training_description("j", "Completed"), {"TrainingJobName": "j"}
    )
    assert sensor.poke(context()) is False
    done = sensor.poke(context())
    assert done.is_done
    assert done.xcom_value["training_job_name"] == "j"
    assert done.xcom_value["final_metrics"] == {"validation:loss": 0.25}


@pytest.mark.parametrize(
    ("sensor_class", "describe", "method"),
    [
        (SageMakerTrainingSensor, training_description, "describe_training_job"),
        (SageMakerTuningSensor, tuning_description, "describe_hyper_parameter_tuning_job"),
    ],
)
@pytest.mark.parametrize("status", ["Failed", "Stopped"])
def test_poke_fails_on_failed_and_stopped_jobs(sagemaker_stub, sensor_class, describe, method, status):
    sensor = sensor_class(task_id="wait", job_name="j", print_log=False)
    sagemaker_stub.add_response(method, describe("j", status), {sensor.kind.name_key: "j"})
    if sensor.kind.failure_details:  # a tuning failure names its failed trials
        sagemaker_stub.add_response(
            "list_training_jobs_for_hyper_parameter_tuning_job",
            {"TrainingJobSummaries": []},
            {"HyperParameterTuningJobName": "j", "MaxResults": 100},
        )
    with pytest.raises(JobFailedError, match=status):
        sensor.poke(context())


def test_tuning_poke_pushes_tuned_hyperparameters(sagemaker_stub):
    done = tuning_description("t", "Completed")
    best = done["BestTrainingJob"]["TrainingJobName"]
    sagemaker_stub.add_response(
        "describe_hyper_parameter_tuning_job", done, {"HyperParameterTuningJobName": "t"}
    )
    sagemaker_stub.add_response(
        "describe_training_job", training_description(best, "Completed"), {"TrainingJobName": best}
    )
    ti = FakeTI()
    result = SageMakerTuningSensor(task_id="wait", job_name="t", print_log=False).poke(context(ti))
    assert result.xcom_value["best_training_job"]["name"] == best
    assert ti.xcom["tuned_hyperparameters"] == {"lr": "0.0123"}
    assert ti.xcom["best_training_job_name"] == best


@pytest.mark.parametrize(
    ("sensor_class", "trigger_class", "describe", "method"),
    [
        (SageMakerTrainingSensor, SageMakerTrainingTrigger, training_description, "describe_training_job"),
        (
            SageMakerTuningSensor,
            SageMakerTuningTrigger,
            tuning_description,
            "describe_hyper_parameter_tuning_job",
        ),
    ],
)
def test_deferrable_sensor_pokes_once_then_defers_to_the_same_trigger(
    sagemaker_stub, sensor_class, trigger_class, describe, method
):
    from airflow.providers.common.compat.sdk import TaskDeferred

    sensor = sensor_class(
        task_id="wait", job_name="j", deferrable=True, poke_interval=20, timeout=600, print_log=False
    )
    sagemaker_stub.add_response(method, describe("j"), {sensor.kind.name_key: "j"})
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute(context())
    trigger = deferred.value.trigger
    assert type(trigger) is trigger_class
    assert (trigger.job_name, trigger.poll_interval, trigger.stop_job_on_kill) == ("j", 20, False)
    assert trigger.timeout_at is not None
    assert (trigger.timeout_name, trigger.timeout_seconds) == ("timeout", 600)
    sagemaker_stub.assert_no_pending_responses()


def test_sensor_execute_complete_fails_on_failed_event(sagemaker_stub):
    sagemaker_stub.add_response(
        "describe_training_job",
        training_description("j", "Failed", FailureReason="boom"),
        {"TrainingJobName": "j"},
    )
    sensor = SageMakerTrainingSensor(task_id="wait", job_name="j")
    with pytest.raises(JobFailedError, match="boom"):
        sensor.execute_complete(
            context(),
            {
                "status": "failed",
                "kind": "training",
                "job_name": "j",
                "job_status": "Failed",
                "message": "boom",
            },
        )


def test_reschedule_mode_is_accepted():
    sensor = SageMakerTrainingSensor(task_id="wait", job_name="j", mode="reschedule")
    assert sensor.reschedule


def test_deferrable_sensor_on_a_finished_job_returns_without_deferring(sagemaker_stub):
    sagemaker_stub.add_response(
        "describe_training_job", training_description("j", "Completed"), {"TrainingJobName": "j"}
    )
    ti = FakeTI()
    sensor = SageMakerTrainingSensor(task_id="wait", job_name="j", deferrable=True)
    result = sensor.execute(context(ti))
    assert result["training_job_name"] == "j"
    assert result["status"] == "Completed"


def test_poke_rides_out_a_transient_error(sagemaker_stub):
    sagemaker_stub.add_client_error(
        "describe_training_job", service_error_code="ThrottlingException", http_status_code=400
    )
    sagemaker_stub.add_response(
        "describe_training_job", training_description("j", "Completed"), {"TrainingJobName": "j"}
    )
    sensor = SageMakerTrainingSensor(task_id="wait", job_name="j")
    assert sensor.poke(context()) is False
    assert sensor.poke(context()).is_done


def test_poke_still_fails_on_a_non_transient_error(sagemaker_stub):
    from botocore.exceptions import ClientError

    sagemaker_stub.add_client_error(
        "describe_training_job", service_error_code="AccessDeniedException", http_status_code=403
    )
    with pytest.raises(ClientError, match="AccessDenied"):
        SageMakerTrainingSensor(task_id="wait", job_name="j").poke(context())


def test_a_deferred_sensors_timeout_is_a_sensor_timeout_naming_timeout():
    from airflow.providers.common.compat.sdk import AirflowSensorTimeout

    from airflow_sm_provider.triggers.sagemaker import SageMakerTrainingTrigger

    trigger = SageMakerTrainingTrigger(job_name="j", timeout_name="timeout", timeout_seconds=60)
    trigger.last_status = "InProgress"
    event = trigger._timeout_event().payload
    sensor = SageMakerTrainingSensor(task_id="wait", job_name="j", deferrable=True, timeout=60)
    with pytest.raises(AirflowSensorTimeout) as raised:
        sensor.execute_complete(context(), event)
    assert "timeout (60 s) ran out" in str(raised.value)
    assert "max_ingestion_time" not in str(raised.value)


def test_a_poke_mode_timeout_names_timeout_in_the_same_words(sagemaker_stub, mocker):
    from airflow.providers.common.compat.sdk import AirflowSensorTimeout

    sensor = SageMakerTrainingSensor(task_id="wait", job_name="j", timeout=0, poke_interval=0)
    mocker.patch.object(sensor, "poke", return_value=False)
    with pytest.raises(AirflowSensorTimeout) as raised:
        sensor.execute(context())
    assert str(raised.value) == (
        "SageMaker training job j was still running when timeout (0 s) ran out; the job was left running"
    )


def test_sensor_execute_complete_refuses_an_event_about_another_job():
    from airflow_sm_provider.exceptions import SageMakerProviderError

    sensor = SageMakerTrainingSensor(task_id="wait", job_name="j")
    event = {"status": "success", "kind": "training", "job_name": "other", "job_status": "Completed"}
    with pytest.raises(SageMakerProviderError, match="deferred watching j;"):
        sensor.execute_complete(context(), event)
