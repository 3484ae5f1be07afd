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
    sensor = sensor_class(task_id="wait", job_name="j")
    sagemaker_stub.add_response(method, describe("j", status), {sensor.kind.name_key: "j"})
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
    result = SageMakerTuningSensor(task_id="wait", job_name="t").poke(context(ti))
    assert result.xcom_value["best_training_job"]["name"] == best
    assert ti.xcom["tuned_hyperparameters"] == {"lr": "0.0123"}
    assert ti.xcom["best_training_job_name"] == best


@pytest.mark.parametrize(
    ("sensor_class", "trigger_class"),
    [
        (SageMakerTrainingSensor, SageMakerTrainingTrigger),
        (SageMakerTuningSensor, SageMakerTuningTrigger),
    ],
)
def test_deferrable_sensor_defers_to_the_same_trigger(sensor_class, trigger_class):
    from airflow.sdk.exceptions import TaskDeferred

    sensor = sensor_class(task_id="wait", job_name="j", deferrable=True, poke_interval=20, timeout=600)
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute(context())
    trigger = deferred.value.trigger
    assert type(trigger) is trigger_class
    assert (trigger.job_name, trigger.poll_interval, trigger.stop_job_on_kill) == ("j", 20, False)
    assert trigger.timeout_at is not None


def test_sensor_execute_complete_fails_on_failed_event():
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
