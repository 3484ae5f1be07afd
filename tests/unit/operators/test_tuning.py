from __future__ import annotations

import json

import pytest
from botocore.stub import ANY

from airflow_sm_provider import naming
from airflow_sm_provider.exceptions import ConfigValidationError, JobFailedError, NoSuccessfulTrainingJobError
from airflow_sm_provider.operators import SageMakerTuningOperator
from tests.unit.operators.test_training import FakeTI, context
from tests.unit.sample_requests import NOW, training_description, tuning_config, tuning_description


def ctx(ti=None):
    return context(ti or FakeTI(task_id="tune"))


def base_name():
    return naming.base_name(naming.TaskIdentity.from_context(ctx()), 32)


def list_params(base):
    return {"NameContains": base, "SortBy": "CreationTime", "SortOrder": "Descending", "MaxResults": 100}


def operator(**kwargs):
    kwargs.setdefault("config", tuning_config())
    kwargs.setdefault("print_log", False)  # trial lines have their own tests (more List calls)
    return SageMakerTuningOperator(task_id="tune", check_interval=0, **kwargs)


def start(stub, name):
    stub.add_response(
        "list_hyper_parameter_tuning_jobs", {"HyperParameterTuningJobSummaries": []}, list_params(name)
    )
    stub.add_response(
        "create_hyper_parameter_tuning_job",
        {"HyperParameterTuningJobArn": tuning_description(name)["HyperParameterTuningJobArn"]},
        {**tuning_config(), "HyperParameterTuningJobName": name, "Tags": ANY},
    )
    stub.add_response(
        "describe_hyper_parameter_tuning_job", tuning_description(name), {"HyperParameterTuningJobName": name}
    )


def test_completed_tuning_publishes_summary_and_tuned_hyperparameters(sagemaker_stub):
    name = base_name()
    start(sagemaker_stub, name)
    done = tuning_description(name, "Completed")
    best_name = done["BestTrainingJob"]["TrainingJobName"]
    sagemaker_stub.add_response(
        "describe_hyper_parameter_tuning_job", done, {"HyperParameterTuningJobName": name}
    )
    sagemaker_stub.add_response(
        "describe_training_job", training_description(best_name, "Completed"), {"TrainingJobName": best_name}
    )
    ti = FakeTI(task_id="tune")

    result = operator().execute(ctx(ti))

    assert json.loads(json.dumps(result)) == result
    assert result["tuning_job_name"] == name and len(name) <= 32
    assert (
        result["best_training_job"]["model_artifacts"]
        == f"s3://bucket/output/{best_name}/output/model.tar.gz"
    )
    assert result["best_training_job"]["objective_metric"] == {
        "name": "validation:loss",
        "type": "Minimize",
        "value": 0.11,
    }
    assert ti.xcom["tuned_hyperparameters"] == {"lr": "0.0123"}
    assert ti.xcom["best_training_job_name"] == best_name
    assert ti.xcom["sagemaker_job"]["kind"] == "tuning"


def trials(*rows):
    return {
        "TrainingJobSummaries": [
            {
                "TrainingJobName": name,
                "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{name}",
                "CreationTime": NOW,
                "TrainingJobStatus": status,
                "TunedHyperParameters": {"lr": "0.1"},
                **({"FailureReason": reason} if reason else {}),
            }
            for name, status, reason in rows
        ]
    }


def test_completed_without_a_successful_training_job_names_the_objective_and_the_trials(sagemaker_stub):
    name = base_name()
    start(sagemaker_stub, name)
    sagemaker_stub.add_response(
        "describe_hyper_parameter_tuning_job",
        tuning_description(name, "Completed", best=False),
        {"HyperParameterTuningJobName": name},
    )
    rows = [(f"{name}-00{i}", "Completed", None) for i in range(1, 7)]
    rows.append((f"{name}-007", "Failed", "AlgorithmError: out of memory"))
    sagemaker_stub.add_response(
        "list_training_jobs_for_hyper_parameter_tuning_job",
        trials(*reversed(rows)),
        {"HyperParameterTuningJobName": name, "MaxResults": 100},
    )
    with pytest.raises(NoSuccessfulTrainingJobError) as raised:
        operator().execute(ctx())
    message = str(raised.value)
    assert "none of its training jobs succeeded" in message
    assert "no trial reported the objective metric 'validation:loss' (regex 'loss=([0-9.]+)')" in message
    assert f"{name}-007: Failed: AlgorithmError: out of memory" in message
    assert f"{name}-006: Completed: reported no value for 'validation:loss'" in message
    assert "and 2 more" in message  # five trials named, the rest counted


def test_stopped_tuning_job_fails_the_task(sagemaker_stub):
    name = base_name()
    start(sagemaker_stub, name)
    sagemaker_stub.add_response(
        "describe_hyper_parameter_tuning_job",
        tuning_description(name, "Stopped"),
        {"HyperParameterTuningJobName": name},
    )
    sagemaker_stub.add_response(
        "list_training_jobs_for_hyper_parameter_tuning_job",
        trials((f"{name}-001", "Completed", None)),
        {"HyperParameterTuningJobName": name, "MaxResults": 100},
    )
    with pytest.raises(JobFailedError, match="ended Stopped: Stopped by user"):
        operator().execute(ctx())


def test_grid_with_continuous_ranges_is_refused_before_any_call(sagemaker_stub):
    config = tuning_config()
    config["HyperParameterTuningJobConfig"]["Strategy"] = "Grid"
    with pytest.raises(ConfigValidationError, match="ContinuousParameterRanges"):
        operator(config=config).execute(ctx())


def test_max_parallel_above_max_number_is_refused(sagemaker_stub):
    config = tuning_config()
    config["HyperParameterTuningJobConfig"]["ResourceLimits"] = {
        "MaxNumberOfTrainingJobs": 2,
        "MaxParallelTrainingJobs": 5,
    }
    with pytest.raises(ConfigValidationError, match="MaxParallelTrainingJobs"):
        operator(config=config).execute(ctx())


def test_retry_of_a_completed_tuning_job_returns_its_result_without_creating(sagemaker_stub):
    name = base_name()
    done = tuning_description(name, "Completed")
    summary = {
        k: done[k]
        for k in (
            "HyperParameterTuningJobName",
            "HyperParameterTuningJobArn",
            "HyperParameterTuningJobStatus",
            "CreationTime",
        )
    }
    summary.update(
        Strategy="Bayesian",
        TrainingJobStatusCounters=done["TrainingJobStatusCounters"],
        ObjectiveStatusCounters=done["ObjectiveStatusCounters"],
    )
    sagemaker_stub.add_response(
        "list_hyper_parameter_tuning_jobs", {"HyperParameterTuningJobSummaries": [summary]}, list_params(name)
    )
    sagemaker_stub.add_response(
        "describe_hyper_parameter_tuning_job", done, {"HyperParameterTuningJobName": name}
    )
    best = done["BestTrainingJob"]["TrainingJobName"]
    sagemaker_stub.add_response(
        "describe_training_job", training_description(best, "Completed"), {"TrainingJobName": best}
    )

    assert operator().execute(ctx())["status"] == "Completed"
    sagemaker_stub.assert_no_pending_responses()


def test_on_kill_stops_the_tuning_job(sagemaker_stub):
    op = operator()
    op.job_name = "t"
    sagemaker_stub.add_response("stop_hyper_parameter_tuning_job", {}, {"HyperParameterTuningJobName": "t"})
    op.on_kill()
    sagemaker_stub.assert_no_pending_responses()
