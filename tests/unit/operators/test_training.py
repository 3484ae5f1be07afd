from __future__ import annotations

import copy
import json

import pytest
from botocore.stub import ANY

from airflow_sm_provider import naming
from airflow_sm_provider.exceptions import (
    ConfigValidationError,
    JobFailedError,
    JobNameConflictError,
    JobTimeoutError,
)
from airflow_sm_provider.operators import SageMakerTrainingOperator
from airflow_sm_provider.triggers import SageMakerTrainingTrigger
from tests.unit.sample_requests import training_config, training_description


class FakeTI:
    def __init__(
        self,
        dag_id="retrain",
        task_id="train",
        run_id="scheduled__2026-11-22T00:00:00+00:00",
        map_index=-1,
        try_number=1,
    ):
        self.dag_id, self.task_id, self.run_id, self.map_index = dag_id, task_id, run_id, map_index
        self.try_number = try_number
        self.xcom: dict[str, object] = {}

    def xcom_push(self, key, value):
        self.xcom[key] = value

    def xcom_pull(self, task_ids=None, key="return_value", map_indexes=None):
        return self.xcom.get(key)


def context(ti=None):
    return {"ti": ti or FakeTI()}


def base_name(ti=None):
    return naming.base_name(naming.TaskIdentity.from_context(context(ti)), 63)


def list_params(base):
    return {"NameContains": base, "SortBy": "CreationTime", "SortOrder": "Descending", "MaxResults": 100}


def summary(description):
    keys = ("TrainingJobName", "TrainingJobArn", "CreationTime", "TrainingJobStatus")
    return {k: description[k] for k in keys}


def operator(**kwargs):
    kwargs.setdefault("config", training_config())
    kwargs.setdefault("check_interval", 0)
    return SageMakerTrainingOperator(task_id="train", **kwargs)


def test_first_run_creates_a_deterministic_job_tags_it_and_returns_the_contract(sagemaker_stub):
    name = base_name()
    sagemaker_stub.add_response("list_training_jobs", {"TrainingJobSummaries": []}, list_params(name))
    sagemaker_stub.add_response(
        "create_training_job",
        {"TrainingJobArn": training_description(name)["TrainingJobArn"]},
        {
            **training_config(),
            "TrainingJobName": name,
            "Tags": naming.TaskIdentity.from_context(context()).tags(),
        },
    )
    sagemaker_stub.add_response(
        "describe_training_job", training_description(name), {"TrainingJobName": name}
    )
    sagemaker_stub.add_response(
        "describe_training_job", training_description(name, "Completed"), {"TrainingJobName": name}
    )
    ti = FakeTI()

    result = operator().execute(context(ti))

    sagemaker_stub.assert_no_pending_responses()
    assert json.loads(json.dumps(result)) == result
    assert result == {
        "training_job_name": name,
        "training_job_arn": training_description(name)["TrainingJobArn"],
        "status": "Completed",
        "secondary_status": "Completed",
        "model_artifacts": f"s3://bucket/output/{name}/output/model.tar.gz",
        "final_metrics": {"validation:loss": 0.25},
        "hyperparameters": {"epochs": "3", "lr": "0.1"},
        "billable_seconds": 42,
    }
    assert ti.xcom["sagemaker_job"] == {"kind": "training", "job_name": name, "region_name": "us-east-1"}
    assert len(name) <= 63 and naming.NAME_PATTERN.match(name)


@pytest.mark.parametrize("status", ["InProgress", "Completed"])
def test_retry_reattaches_with_exactly_one_create_across_two_attempts(sagemaker_stub, status):
    name = base_name()
    # attempt 1: creates the job, then the worker loses its AWS access mid-wait and the task fails
    sagemaker_stub.add_response("list_training_jobs", {"TrainingJobSummaries": []}, list_params(name))
    sagemaker_stub.add_response("create_training_job", {"TrainingJobArn": "arn:x"}, ANY_CREATE)
    sagemaker_stub.add_response(
        "describe_training_job", training_description(name), {"TrainingJobName": name}
    )
    sagemaker_stub.add_client_error("describe_training_job", "AccessDeniedException", http_status_code=403)
    with pytest.raises(Exception, match="AccessDenied"):
        operator().execute(context())
    # attempt 2: finds the job and reattaches; no create_training_job response is queued, so a
    # second create would make the Stubber raise
    found = training_description(name, status)
    sagemaker_stub.add_response(
        "list_training_jobs", {"TrainingJobSummaries": [summary(found)]}, list_params(name)
    )
    sagemaker_stub.add_response("describe_training_job", found, {"TrainingJobName": name})
    if status == "InProgress":
        sagemaker_stub.add_response(
            "describe_training_job", training_description(name, "Completed"), {"TrainingJobName": name}
        )

    result = operator().execute(context())

    sagemaker_stub.assert_no_pending_responses()
    assert result["training_job_name"] == name
    assert result["status"] == "Completed"


ANY_CREATE = {key: ANY for key in (*training_config(), "TrainingJobName", "Tags")}


@pytest.mark.parametrize("status", ["Failed", "Stopped"])
def test_failed_or_stopped_previous_attempt_gets_a_fresh_suffixed_job(sagemaker_stub, status):
    name = base_name()
    previous = [training_description(f"{name}-2", status), training_description(name, "Failed")]
    sagemaker_stub.add_response(
        "list_training_jobs", {"TrainingJobSummaries": [summary(d) for d in previous]}, list_params(name)
    )
    sagemaker_stub.add_response("describe_training_job", previous[0], {"TrainingJobName": f"{name}-2"})
    sagemaker_stub.add_response(
        "create_training_job", {"TrainingJobArn": "arn:x"}, {**ANY_CREATE, "TrainingJobName": f"{name}-3"}
    )
    sagemaker_stub.add_response(
        "describe_training_job",
        training_description(f"{name}-3", "Completed"),
        {"TrainingJobName": f"{name}-3"},
    )

    result = operator().execute(context())

    sagemaker_stub.assert_no_pending_responses()
    assert result["training_job_name"] == f"{name}-3"


@pytest.mark.parametrize("status", ["Failed", "Stopped"])
def test_failed_job_fails_the_task_with_sagemakers_failure_reason(sagemaker_stub, status):
    name = base_name()
    sagemaker_stub.add_response("list_training_jobs", {"TrainingJobSummaries": []}, list_params(name))
    sagemaker_stub.add_response("create_training_job", {"TrainingJobArn": "arn:x"}, ANY_CREATE)
    sagemaker_stub.add_response(
        "describe_training_job", training_description(name), {"TrainingJobName": name}
    )
    sagemaker_stub.add_response(
        "describe_training_job", training_description(name, status), {"TrainingJobName": name}
    )

    with pytest.raises(JobFailedError, match=f"ended {status}: AlgorithmError: boom at epoch 2") as err:
        operator().execute(context())
    assert err.value.failure_reason == "AlgorithmError: boom at epoch 2"


def test_transient_errors_while_waiting_do_not_fail_the_task(sagemaker_stub):
    name = base_name()
    sagemaker_stub.add_response("list_training_jobs", {"TrainingJobSummaries": []}, list_params(name))
    sagemaker_stub.add_response("create_training_job", {"TrainingJobArn": "arn:x"}, ANY_CREATE)
    sagemaker_stub.add_response(
        "describe_training_job", training_description(name), {"TrainingJobName": name}
    )
    sagemaker_stub.add_client_error("describe_training_job", "ThrottlingException", http_status_code=400)
    sagemaker_stub.add_client_error("describe_training_job", "InternalFailure", http_status_code=500)
    sagemaker_stub.add_response(
        "describe_training_job", training_description(name, "Completed"), {"TrainingJobName": name}
    )

    assert operator().execute(context())["status"] == "Completed"


def start_and_keep_running(stub, name, polls=2):
    stub.add_response("list_training_jobs", {"TrainingJobSummaries": []}, list_params(name))
    stub.add_response("create_training_job", {"TrainingJobArn": "arn:x"}, ANY_CREATE)
    for _ in range(polls):
        stub.add_response("describe_training_job", training_description(name), {"TrainingJobName": name})


def test_max_ingestion_time_with_a_retry_to_come_leaves_the_job_for_it(sagemaker_stub):
    name = base_name()
    start_and_keep_running(sagemaker_stub, name)
    with pytest.raises(JobTimeoutError, match=r"max_ingestion_time \(0 s\) ran out"):
        operator(max_ingestion_time=0, retries=1).execute(context(FakeTI(try_number=1)))
    sagemaker_stub.assert_no_pending_responses()  # no StopTrainingJob queued or made


def test_max_ingestion_time_on_the_last_try_stops_the_job(sagemaker_stub):
    name = base_name()
    start_and_keep_running(sagemaker_stub, name)
    sagemaker_stub.add_response("stop_training_job", {}, {"TrainingJobName": name})
    with pytest.raises(JobTimeoutError):
        operator(max_ingestion_time=0, retries=1).execute(context(FakeTI(try_number=2)))
    sagemaker_stub.assert_no_pending_responses()


def test_stop_job_on_kill_false_leaves_the_job_even_on_the_last_try(sagemaker_stub):
    name = base_name()
    start_and_keep_running(sagemaker_stub, name)
    with pytest.raises(JobTimeoutError):
        operator(max_ingestion_time=0, stop_job_on_kill=False).execute(context())
    sagemaker_stub.assert_no_pending_responses()


@pytest.mark.parametrize(("retries", "stopped"), [(0, True), (1, False)])
def test_execution_timeout_in_the_worker_stops_the_job_only_on_the_last_try(
    sagemaker_stub, mocker, retries, stopped
):
    from airflow.providers.common.compat.sdk import AirflowTaskTimeout

    name = base_name()
    start_and_keep_running(sagemaker_stub, name, polls=0)
    sagemaker_stub.add_response(
        "describe_training_job", training_description(name), {"TrainingJobName": name}
    )
    if stopped:
        sagemaker_stub.add_response("stop_training_job", {}, {"TrainingJobName": name})
    # the task runner's timeout signal interrupts the wait, then it calls on_kill
    mocker.patch("airflow_sm_provider.waiting.wait", side_effect=AirflowTaskTimeout("Timeout, PID: 1"))
    task = operator(retries=retries)
    with pytest.raises(AirflowTaskTimeout):
        task.execute(context())
    task.on_kill()  # must not overrule the decision (the Stubber refuses a second stop)
    sagemaker_stub.assert_no_pending_responses()


@pytest.mark.parametrize(("retries", "stopped"), [(0, True), (1, False)])
def test_a_deferred_max_ingestion_time_decides_on_resume(sagemaker_stub, retries, stopped):
    if stopped:
        sagemaker_stub.add_response("stop_training_job", {}, {"TrainingJobName": "j"})
    event = {
        "status": "timeout",
        "kind": "training",
        "job_name": "j",
        "job_status": "InProgress",
        "message": "late",
    }
    with pytest.raises(JobTimeoutError, match="late"):
        operator(retries=retries).execute_complete(context(), event)
    sagemaker_stub.assert_no_pending_responses()


@pytest.mark.parametrize(("retries", "stopped"), [(0, True), (2, False)])
def test_a_deferral_that_hits_execution_timeout_decides_too(sagemaker_stub, retries, stopped):
    from airflow_sm_provider.operators.base import TaskDeferralTimeout

    if stopped:
        sagemaker_stub.add_response("stop_training_job", {}, {"TrainingJobName": "j"})
    ti = FakeTI()
    ti.xcom_push("sagemaker_job", {"kind": "training", "job_name": "j", "region_name": "us-east-1"})
    with pytest.raises(TaskDeferralTimeout):
        operator(retries=retries).resume_execution("__fail__", {"error": "Trigger timeout"}, context(ti))
    sagemaker_stub.assert_no_pending_responses()


def test_explicit_name_owned_by_someone_else_fails_clearly(sagemaker_stub):
    config = training_config(TrainingJobName="shared-name")
    other = training_description("shared-name")
    sagemaker_stub.add_response("describe_training_job", other, {"TrainingJobName": "shared-name"})
    sagemaker_stub.add_response(
        "list_tags", {"Tags": [{"Key": "team", "Value": "x"}]}, {"ResourceArn": other["TrainingJobArn"]}
    )

    with pytest.raises(JobNameConflictError, match=r"shared-name.*already exists"):
        operator(config=config).execute(context())


def test_explicit_name_with_timestamp_action_creates_a_suffixed_job(sagemaker_stub):
    config = training_config(TrainingJobName="shared-name")
    other = training_description("shared-name")
    sagemaker_stub.add_response("describe_training_job", other, {"TrainingJobName": "shared-name"})
    sagemaker_stub.add_response("list_tags", {"Tags": []}, {"ResourceArn": other["TrainingJobArn"]})
    sagemaker_stub.add_response("create_training_job", {"TrainingJobArn": "arn:x"}, ANY_CREATE)
    sagemaker_stub.add_response(
        "describe_training_job", training_description("shared-name-1", "Completed"), {"TrainingJobName": ANY}
    )

    operator(config=config, action_if_job_exists="timestamp").execute(context())
    sagemaker_stub.assert_no_pending_responses()


def test_explicit_name_started_by_this_task_instance_is_reattached(sagemaker_stub):
    config = training_config(TrainingJobName="my-job")
    mine = training_description("my-job", "Completed")
    tags = naming.TaskIdentity.from_context(context()).tags()
    sagemaker_stub.add_response("describe_training_job", mine, {"TrainingJobName": "my-job"})
    sagemaker_stub.add_response("list_tags", {"Tags": tags}, {"ResourceArn": mine["TrainingJobArn"]})

    assert operator(config=config).execute(context())["training_job_name"] == "my-job"


def test_explicit_name_that_does_not_exist_is_created_with_that_name(sagemaker_stub):
    config = training_config(TrainingJobName="fresh-job")
    sagemaker_stub.add_client_error(
        "describe_training_job",
        "ValidationException",
        "Requested resource not found.",
        expected_params={"TrainingJobName": "fresh-job"},
    )
    sagemaker_stub.add_response(
        "create_training_job", {"TrainingJobArn": "arn:x"}, {**ANY_CREATE, "TrainingJobName": "fresh-job"}
    )
    sagemaker_stub.add_response(
        "describe_training_job",
        training_description("fresh-job", "Completed"),
        {"TrainingJobName": "fresh-job"},
    )

    assert operator(config=config).execute(context())["training_job_name"] == "fresh-job"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda c: c["ResourceConfig"].update(VolumeSizeInGb=5), "ResourceConfig"),
        (lambda c: c.pop("RoleArn"), "RoleArn"),
        (lambda c: c["HyperParameters"].update({f"k{i}": "v" for i in range(120)}), "HyperParameters"),
        (lambda c: c.update(TrainingJobName="bad_name!"), "TrainingJobName"),
        (
            lambda c: c["StoppingCondition"].update(MaxRuntimeInSeconds="an hour"),
            "StoppingCondition.MaxRuntimeInSeconds",
        ),
    ],
)
def test_invalid_config_fails_naming_the_field_before_any_api_call(sagemaker_stub, change, field):
    config = training_config()
    change(config)
    with pytest.raises(ConfigValidationError, match=field.replace(".", r"\.")):
        operator(config=config).execute(context())
    sagemaker_stub.assert_no_pending_responses()  # and the Stubber raises on any unexpected call


def test_hyperparameters_argument_merges_over_config_stringified_without_mutating_config(sagemaker_stub):
    config = training_config()
    original = copy.deepcopy(config)
    name = base_name()
    expected = {
        **config,
        "HyperParameters": {"epochs": "3", "lr": "0.02", "depth": "7"},
        "TrainingJobName": name,
        "Tags": ANY,
    }
    sagemaker_stub.add_response("list_training_jobs", {"TrainingJobSummaries": []}, list_params(name))
    sagemaker_stub.add_response("create_training_job", {"TrainingJobArn": "arn:x"}, expected)
    sagemaker_stub.add_response(
        "describe_training_job", training_description(name, "Completed"), {"TrainingJobName": name}
    )

    operator(config=config, hyperparameters={"lr": 0.02, "depth": 7}).execute(context())

    sagemaker_stub.assert_no_pending_responses()
    assert config == original


def test_deferrable_defers_to_the_training_trigger_with_no_hidden_timeout(sagemaker_stub):
    from airflow.providers.common.compat.sdk import TaskDeferred

    name = base_name()
    sagemaker_stub.add_response("list_training_jobs", {"TrainingJobSummaries": []}, list_params(name))
    sagemaker_stub.add_response("create_training_job", {"TrainingJobArn": "arn:x"}, ANY_CREATE)
    sagemaker_stub.add_response(
        "describe_training_job", training_description(name), {"TrainingJobName": name}
    )

    with pytest.raises(TaskDeferred) as deferred:
        operator(deferrable=True, check_interval=45).execute(context())

    trigger = deferred.value.trigger
    assert isinstance(trigger, SageMakerTrainingTrigger)
    assert (trigger.job_name, trigger.poll_interval, trigger.timeout_at) == (name, 45, None)
    assert deferred.value.timeout is None
    assert deferred.value.method_name == "execute_complete"


def test_execute_complete_on_a_failed_event_fails_with_the_jobs_own_failure(sagemaker_stub):
    sagemaker_stub.add_response(
        "describe_training_job",
        training_description("j", "Stopped", FailureReason="by user"),
        {"TrainingJobName": "j"},
    )
    event = {
        "status": "failed",
        "kind": "training",
        "job_name": "j",
        "job_status": "Stopped",
        "message": "ended Stopped: by user",
    }
    with pytest.raises(JobFailedError, match="ended Stopped: by user"):
        operator().execute_complete(context(), event)


def test_execute_complete_success_describes_and_returns_the_contract(sagemaker_stub):
    sagemaker_stub.add_response(
        "describe_training_job", training_description("j", "Completed"), {"TrainingJobName": "j"}
    )
    event = {
        "status": "success",
        "kind": "training",
        "job_name": "j",
        "job_status": "Completed",
        "message": "",
    }
    assert operator().execute_complete(context(), event)["final_metrics"] == {"validation:loss": 0.25}


def test_on_kill_stops_the_running_job(sagemaker_stub):
    op = operator()
    op.job_name = "running-job"
    sagemaker_stub.add_response("stop_training_job", {}, {"TrainingJobName": "running-job"})
    op.on_kill()
    sagemaker_stub.assert_no_pending_responses()


def test_on_kill_respects_stop_job_on_kill_false(sagemaker_stub):
    op = operator(stop_job_on_kill=False)
    op.job_name = "running-job"
    op.on_kill()  # the Stubber raises on any call


def test_request_is_never_logged(sagemaker_stub, caplog, capfd):
    name = base_name()
    config = training_config(Environment={"DB_PASSWORD": "hunter2-very-secret"})
    sagemaker_stub.add_response("list_training_jobs", {"TrainingJobSummaries": []}, list_params(name))
    sagemaker_stub.add_response(
        "create_training_job", {"TrainingJobArn": "arn:x"}, {**ANY_CREATE, "Environment": ANY}
    )
    sagemaker_stub.add_response(
        "describe_training_job", training_description(name, "Completed"), {"TrainingJobName": name}
    )
    with caplog.at_level("INFO"):
        operator(config=config).execute(context())
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    assert "hunter2" not in logged
    assert f"Started SageMaker training job {name}" in logged


def test_a_typed_spec_config_renders_to_the_same_request(sagemaker_stub):
    from airflow_sm_provider import specs

    spec = specs.TrainingJobSpec(
        role_arn="arn:aws:iam::123456789012:role/sagemaker",
        algorithm=specs.AlgorithmSpecification(
            training_image="123456789012.dkr.ecr.us-east-1.amazonaws.com/sklearn:1.2",
            metric_definitions=[specs.MetricDefinition(name="validation:loss", regex="loss=([0-9.]+)")],
        ),
        output=specs.OutputDataConfig(s3_output_path="s3://bucket/output/"),
        resources=specs.ResourceConfig(instance_type="ml.m5.large", volume_size_in_gb=10),
        stopping=specs.StoppingCondition(max_runtime_in_seconds=3600),
        hyperparameters={"epochs": 3, "lr": 0.1},
    )
    name = base_name()
    sagemaker_stub.add_response("list_training_jobs", {"TrainingJobSummaries": []}, list_params(name))
    sagemaker_stub.add_response(
        "create_training_job",
        {"TrainingJobArn": "arn:x"},
        {
            **{k: ANY for k in spec.to_request()},
            "HyperParameters": {"epochs": "3", "lr": "0.1"},
            "TrainingJobName": name,
            "Tags": ANY,
        },
    )
    sagemaker_stub.add_response(
        "describe_training_job", training_description(name, "Completed"), {"TrainingJobName": name}
    )

    assert operator(config=spec).execute(context())["training_job_name"] == name
    sagemaker_stub.assert_no_pending_responses()


def test_create_answering_resource_in_use_for_our_own_job_reattaches(sagemaker_stub):
    name = base_name()
    mine = training_description(name)
    sagemaker_stub.add_response("list_training_jobs", {"TrainingJobSummaries": []}, list_params(name))
    sagemaker_stub.add_client_error(
        "create_training_job", "ResourceInUse", "Training job names must be unique"
    )
    sagemaker_stub.add_response("describe_training_job", mine, {"TrainingJobName": name})
    sagemaker_stub.add_response(
        "list_tags",
        {"Tags": naming.TaskIdentity.from_context(context()).tags()},
        {"ResourceArn": mine["TrainingJobArn"]},
    )
    sagemaker_stub.add_response(
        "describe_training_job", training_description(name, "Completed"), {"TrainingJobName": name}
    )

    assert operator().execute(context())["status"] == "Completed"
    sagemaker_stub.assert_no_pending_responses()


def test_the_amazon_providers_training_arguments_are_accepted():
    from airflow.providers.amazon.aws.operators.sagemaker import SageMakerTrainingOperator as Incumbent

    kwargs = {
        "config": training_config(),
        "aws_conn_id": "aws_default",
        "wait_for_completion": True,
        "print_log": True,
        "check_interval": 30,
        "max_ingestion_time": None,
        "check_if_job_exists": True,
        "action_if_job_exists": "timestamp",
        "deferrable": False,
    }
    Incumbent(task_id="incumbent", **kwargs)  # the same call both ways
    assert operator(**kwargs).action_if_job_exists == "timestamp"


def test_a_missing_connection_fails_before_validation_or_any_api_call(sagemaker_stub):
    from airflow_sm_provider.exceptions import AwsConnectionError

    with pytest.raises(AwsConnectionError, match="'aws_typo'"):
        operator(aws_conn_id="aws_typo").execute(context())
    # the Stubber has no responses queued: any call would have raised a different error


def test_the_first_log_line_says_where_the_job_goes(sagemaker_stub, task_log):
    name = base_name()
    sagemaker_stub.add_response("list_training_jobs", {"TrainingJobSummaries": []}, list_params(name))
    sagemaker_stub.add_response("create_training_job", {"TrainingJobArn": "arn:x"}, ANY_CREATE)
    sagemaker_stub.add_response(
        "describe_training_job", training_description(name, "Completed"), {"TrainingJobName": name}
    )
    operator().execute(context())
    ours = [m for m in task_log.messages() if "SageMaker " in m]  # the provider's own lines
    assert ours[0].startswith(
        "SageMaker training job via connection 'aws_default', region us-east-1, endpoint "
    )
    assert ours[1].startswith("Started SageMaker training job")


def completed_without_accuracy(name):
    job = training_description(name, "Completed")
    job["AlgorithmSpecification"] = {
        **job["AlgorithmSpecification"],
        "MetricDefinitions": [
            {"Name": "validation:loss", "Regex": "loss=([0-9.]+)"},
            {"Name": "validation:accuracy", "Regex": "acc=([0-9.]+)"},
        ],
    }
    return job


@pytest.mark.parametrize("fail", [False, True])
def test_a_completed_job_with_a_metric_that_never_matched_warns_or_fails(
    sagemaker_stub, mocker, task_log, fail
):
    from airflow_sm_provider.exceptions import MissingMetricsError
    from airflow_sm_provider.hooks.sagemaker import SageMakerHook

    name = base_name()
    sagemaker_stub.add_response("list_training_jobs", {"TrainingJobSummaries": []}, list_params(name))
    sagemaker_stub.add_response("create_training_job", {"TrainingJobArn": "arn:x"}, ANY_CREATE)
    sagemaker_stub.add_response(
        "describe_training_job", completed_without_accuracy(name), {"TrainingJobName": name}
    )
    read = mocker.patch.object(
        SageMakerHook, "training_log_lines", return_value=["loss=0.2", "validation accuracy 0.93"]
    )
    if fail:
        with pytest.raises(MissingMetricsError, match="validation:accuracy"):
            operator(fail_on_missing_metrics=True).execute(context())
    else:
        assert operator().execute(context())["status"] == "Completed"
        warnings = [m for m in task_log.messages("warning") if "was never reported" in m]
        assert len(warnings) == 1
        assert (
            "'validation:accuracy'" in warnings[0]
            and "closest line: 'validation accuracy 0.93'" in warnings[0]
        )
    read.assert_called_once_with(name, 5000)


class Clock:
    """time.monotonic and time.sleep for the wait core: sleeping advances the clock, instantly."""

    def __init__(self):
        self.now = 1000.0
        self.slept = 0.0

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds
        self.slept += seconds


def test_a_throttling_outage_at_task_start_is_ridden_out(sagemaker_stub, mocker):
    clock = Clock()
    mocker.patch("airflow_sm_provider.waiting.time", clock)
    name = base_name()
    for code, status in [
        ("ThrottlingException", 400),
        ("ServiceUnavailable", 503),
        ("ThrottlingException", 400),
    ]:
        sagemaker_stub.add_client_error("list_training_jobs", code, http_status_code=status)
    sagemaker_stub.add_response("list_training_jobs", {"TrainingJobSummaries": []}, list_params(name))
    sagemaker_stub.add_response("create_training_job", {"TrainingJobArn": "arn:x"}, ANY_CREATE)
    sagemaker_stub.add_response(
        "describe_training_job", training_description(name, "Completed"), {"TrainingJobName": name}
    )
    assert operator(check_interval=30).execute(context())["status"] == "Completed"
    assert clock.slept == 90


def test_an_outage_longer_than_ten_minutes_fails_saying_it_was_throttled_and_for_how_long(
    sagemaker_stub, mocker
):
    from airflow_sm_provider.exceptions import ApiUnavailableError

    clock = Clock()
    mocker.patch("airflow_sm_provider.waiting.time", clock)
    for _ in range(21):
        sagemaker_stub.add_client_error("list_training_jobs", "ThrottlingException", http_status_code=400)
    with pytest.raises(
        ApiUnavailableError, match=r"throttled or unavailable \(ThrottlingException\) for 600 s"
    ):
        operator(check_interval=30).execute(context())


def test_the_training_scripts_output_is_in_the_task_log_while_the_job_runs(sagemaker_stub, task_log):
    name = base_name()
    start_and_keep_running(sagemaker_stub, name, polls=2)  # the Describe after create, one poll
    sagemaker_stub.add_response(
        "describe_training_job", training_description(name, "Completed"), {"TrainingJobName": name}
    )
    answers = iter(
        [
            {
                "events": [
                    {
                        "eventId": "1",
                        "timestamp": 1,
                        "logStreamName": f"{name}/algo-1-1",
                        "message": "epoch 1",
                    }
                ]
            },
            {
                "events": [
                    {"eventId": "2", "timestamp": 2, "logStreamName": f"{name}/algo-1-1", "message": "done"}
                ]
            },
        ]
    )
    sagemaker_stub.logs.filter_log_events = lambda **kwargs: next(answers)
    operator().execute(context())
    lines = [m for m in task_log.messages("info") if m.startswith("[algo-1]")]
    assert lines == ["[algo-1] epoch 1", "[algo-1] done"]


def test_print_log_false_reads_no_output(sagemaker_stub):
    name = base_name()
    start_and_keep_running(sagemaker_stub, name, polls=0)
    sagemaker_stub.add_response(
        "describe_training_job", training_description(name, "Completed"), {"TrainingJobName": name}
    )
    operator(print_log=False).execute(context())
    assert sagemaker_stub.logs.calls == []


def test_a_reattached_running_job_shows_its_output_from_now_on(sagemaker_stub, task_log):
    name = base_name()
    running = summary(training_description(name))
    sagemaker_stub.add_response("list_training_jobs", {"TrainingJobSummaries": [running]}, list_params(name))
    sagemaker_stub.add_response(
        "describe_training_job", training_description(name), {"TrainingJobName": name}
    )
    sagemaker_stub.add_response(
        "describe_training_job", training_description(name, "Completed"), {"TrainingJobName": name}
    )
    operator().execute(context())
    assert sagemaker_stub.logs.calls[0]["startTime"] > 1_700_000_000_000  # now, not the start
    assert any("from now on" in m for m in task_log.messages("info"))


def test_execute_complete_refuses_an_event_about_another_job_than_the_one_it_deferred_on(sagemaker_stub):
    from airflow_sm_provider.exceptions import SageMakerProviderError
    from airflow_sm_provider.links.sagemaker import XCOM_KEY

    ti = FakeTI()
    ti.xcom_push(XCOM_KEY, {"kind": "training", "job_name": "mine", "region_name": "eu-west-1"})
    event = {"status": "success", "kind": "training", "job_name": "theirs", "job_status": "Completed"}
    with pytest.raises(SageMakerProviderError, match=r"about SageMaker job theirs.*deferred watching mine"):
        operator().execute_complete(context(ti), event)
    sagemaker_stub.assert_no_pending_responses()  # nothing was described or published
    assert ti.xcom[XCOM_KEY]["job_name"] == "mine"


def test_a_mapped_instance_reads_only_its_own_recorded_job(sagemaker_stub):
    class MappedTI(FakeTI):
        def xcom_pull(self, task_ids=None, key="return_value", map_indexes=None):
            # Airflow returns every instance's value unless map_indexes names one
            if map_indexes is None:
                return [{"job_name": "instance-0"}, {"job_name": "instance-1"}]
            return {"job_name": f"instance-{map_indexes}"}

    sagemaker_stub.add_response(
        "describe_training_job",
        training_description("instance-1", "Completed"),
        {"TrainingJobName": "instance-1"},
    )
    event = {"status": "success", "kind": "training", "job_name": "instance-1", "job_status": "Completed"}
    result = operator().execute_complete(context(MappedTI(map_index=1)), event)
    assert result["training_job_name"] == "instance-1"
