"""What the README's migration table promises: the amazon provider's operator and ours, given the
same config, and ours with ``xcom_format="amazon"`` returning what downstream tasks of the amazon
provider's operator read."""

from __future__ import annotations

from unittest import mock

import pytest
from botocore.stub import ANY

from airflow_sm_provider.exceptions import ConfigValidationError
from airflow_sm_provider.operators import SageMakerTrainingOperator
from tests.unit.operators.test_training import FakeTI, base_name, context, list_params
from tests.unit.sample_requests import training_config, training_description, tuning_description

ANY_CREATE = {key: ANY for key in (*training_config(), "TrainingJobName")}


@pytest.fixture
def incumbent_stub(sagemaker_stub):
    """The same stubbed client, handed to the amazon provider's SageMakerHook too."""
    from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook as AmazonHook

    with (
        mock.patch.object(
            AmazonHook, "conn", new_callable=mock.PropertyMock, return_value=sagemaker_stub.client
        ),
        # its pre-check of the S3 buckets (head_bucket), which would need S3 itself
        mock.patch.object(AmazonHook, "check_training_config"),
    ):
        yield sagemaker_stub


def run_incumbent(stub, name):
    from airflow.providers.amazon.aws.operators.sagemaker import SageMakerTrainingOperator as Amazon

    stub.add_client_error("describe_training_job", "ValidationException", "Requested resource not found", 400)
    created = {"TrainingJobArn": "arn:x", "ResponseMetadata": {"HTTPStatusCode": 200}}
    stub.add_response("create_training_job", created, ANY_CREATE)
    stub.add_response(
        "describe_training_job", training_description(name, "Completed"), {"TrainingJobName": name}
    )
    operator = Amazon(
        task_id="train",
        config=training_config(TrainingJobName=name),
        wait_for_completion=False,
        print_log=False,
    )
    return operator.execute(context())


def run_ours(stub, name, **kwargs):
    stub.add_response("list_training_jobs", {"TrainingJobSummaries": []}, list_params(name))
    stub.add_response("create_training_job", {"TrainingJobArn": "arn:x"}, {**ANY_CREATE, "Tags": ANY})
    stub.add_response(
        "describe_training_job", training_description(name, "Completed"), {"TrainingJobName": name}
    )
    operator = SageMakerTrainingOperator(task_id="train", config=training_config(), **kwargs)
    return operator.execute(context())


def test_xcom_format_amazon_returns_what_the_amazon_providers_operator_returns(incumbent_stub):
    name = base_name()
    theirs = run_incumbent(incumbent_stub, name)
    ours = run_ours(incumbent_stub, name, xcom_format="amazon")
    assert list(ours) == list(theirs) == ["Training"]
    assert ours["Training"].keys() == theirs["Training"].keys() - {"ResponseMetadata"}
    # the same values, except that datetimes are ISO 8601 here and Python reprs there
    assert without_times(ours["Training"]) == without_times(theirs["Training"])
    assert ours["Training"]["CreationTime"] == training_description(name)["CreationTime"].isoformat()
    assert ours["Training"]["FinalMetricDataList"][0]["Timestamp"].startswith("2026-")


def without_times(value):
    if isinstance(value, dict):
        return {
            k: None if k.endswith(("Time", "Timestamp")) else without_times(v)
            for k, v in value.items()
            if k != "ResponseMetadata"
        }
    if isinstance(value, list):
        return [without_times(item) for item in value]
    return value


def test_the_default_xcom_is_the_contract_and_the_side_keys_are_pushed_either_way(sagemaker_stub):
    name = base_name()
    result = run_ours(sagemaker_stub, name)
    assert result["training_job_name"] == name
    assert set(result) == {
        "training_job_name",
        "training_job_arn",
        "status",
        "secondary_status",
        "model_artifacts",
        "final_metrics",
        "hyperparameters",
        "billable_seconds",
    }


def test_an_unknown_xcom_format_is_refused_at_parse_time():
    with pytest.raises(ValueError, match="xcom_format must be one of"):
        SageMakerTrainingOperator(task_id="t", config=training_config(), xcom_format="Training")


def test_increment_appends_the_next_free_number_to_someone_elses_name(sagemaker_stub):
    name = "shared-name"
    taken = [
        {
            "TrainingJobName": n,
            "TrainingJobArn": f"arn:{n}",
            "TrainingJobStatus": "Completed",
            "CreationTime": training_description(n)["CreationTime"],
        }
        for n in ("shared-name", "shared-name-1", "shared-name-4", "shared-name-x")
    ]
    sagemaker_stub.add_response(
        "describe_training_job", training_description(name, "Completed"), {"TrainingJobName": name}
    )
    sagemaker_stub.add_response(
        "list_tags", {"Tags": [{"Key": "owner", "Value": "someone-else"}]}, {"ResourceArn": ANY}
    )
    sagemaker_stub.add_response(
        "list_training_jobs", {"TrainingJobSummaries": taken}, {"NameContains": name, "MaxResults": 100}
    )
    sagemaker_stub.add_response(
        "create_training_job",
        {"TrainingJobArn": "arn:x"},
        {**{k: ANY for k in training_config()}, "TrainingJobName": "shared-name-5", "Tags": ANY},
    )
    sagemaker_stub.add_response(
        "describe_training_job",
        training_description("shared-name-5", "Completed"),
        {"TrainingJobName": "shared-name-5"},
    )
    operator = SageMakerTrainingOperator(
        task_id="train", config=training_config(TrainingJobName=name), action_if_job_exists="increment"
    )
    assert operator.execute(context())["training_job_name"] == "shared-name-5"


def test_a_mapped_training_task_takes_the_tuned_hyperparameters_from_a_tuning_result():
    from airflow_sm_provider.jobs import tuning_result

    description = tuning_description("t", "Completed")
    result = tuning_result(description, None)
    operator = SageMakerTrainingOperator(task_id="train", config=training_config(), hyperparameters=result)
    request = operator.build_request(context(FakeTI()))
    assert request["HyperParameters"] == {"epochs": "3", "lr": "0.0123"}


def test_a_tuning_result_without_a_best_job_is_refused_naming_hyperparameters():
    from airflow_sm_provider.jobs import tuning_result

    result = tuning_result(tuning_description("t", "Completed", best=False), None)
    operator = SageMakerTrainingOperator(task_id="train", config=training_config(), hyperparameters=result)
    with pytest.raises(ConfigValidationError, match="hyperparameters: the tuning result of t has no best"):
        operator.build_request(context(FakeTI()))
