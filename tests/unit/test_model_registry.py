"""airflow_sm_provider.model_registry: what a version carries, and the group created idempotently."""

from __future__ import annotations

import logging

import botocore.session
import pytest

from airflow_sm_provider import model_registry, naming
from airflow_sm_provider.hooks.sagemaker import SageMakerHook
from airflow_sm_provider.validation.shape import shape_problems

GROUP_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churn"
IDENTITY = naming.TaskIdentity("dag{x}", "register", "manual__2026-11-30T07:00:00+00:00")


def properties(**overrides):
    kwargs = {
        "metrics": {"test:auc": 0.987654321},
        "hyperparameters": {"lr": "0.01", "kernel": 'rbf"quoted"'},
        "training_job_name": "train-1",
        "tuning_job_name": "tune-1",
        "best_trial": "tune-1-003",
        "identity": IDENTITY,
    }
    return model_registry.metadata_properties(**{**kwargs, **overrides})


def test_metrics_keep_every_digit_and_read_back_as_numbers():
    assert float(properties()["metric:test:auc"]) == 0.987654321


def test_values_are_made_valid_for_the_service_model():
    props = properties(extra={"note": "x" * 300})
    assert props["hyperparameter:kernel"] == "rbf_quoted_"
    assert props["airflow-dag-id"] == "dag_x_"
    assert len(props["note"]) == 256
    request = {"ModelPackageGroupName": "churn", "CustomerMetadataProperties": props}
    assert shape_problems(request, "CreateModelPackage") == []


def test_lineage_without_tuning_has_no_tuning_keys():
    props = properties(tuning_job_name=None, best_trial=None, hyperparameters={})
    assert not {"tuning-job", "best-trial"} & set(props)
    assert props["training-job"] == "train-1"


@pytest.fixture
def stub(sagemaker_stub):
    return sagemaker_stub


def test_a_group_created_meanwhile_by_another_task_is_used(stub):
    stub.add_client_error(
        "describe_model_package_group",
        service_error_code="ValidationException",
        service_message="does not exist",
    )
    stub.add_client_error(
        "create_model_package_group",
        service_error_code="ValidationException",
        service_message="Model Package Group already exists: " + GROUP_ARN,
    )
    described = {
        "ModelPackageGroupName": "churn",
        "ModelPackageGroupArn": GROUP_ARN,
        "CreationTime": "2026-11-30T00:00:00Z",
        "CreatedBy": {},
        "ModelPackageGroupStatus": "Completed",
    }
    stub.add_response("describe_model_package_group", described)
    arn = model_registry.ensure_group(SageMakerHook(), "churn", None, logging.getLogger(__name__))
    assert arn == GROUP_ARN


def test_another_error_creating_the_group_is_raised(stub):
    from botocore.exceptions import ClientError

    stub.add_client_error(
        "describe_model_package_group",
        service_error_code="ValidationException",
        service_message="does not exist",
    )
    stub.add_client_error("create_model_package_group", service_error_code="AccessDeniedException")
    with pytest.raises(ClientError, match="AccessDenied"):
        model_registry.ensure_group(SageMakerHook(), "churn", "d", logging.getLogger(__name__))


def test_the_service_model_limits_are_the_ones_written_here():
    model = botocore.session.get_session().get_service_model("sagemaker")
    shape = model.operation_model("CreateModelPackage").input_shape.members["CustomerMetadataProperties"]
    assert (shape.metadata["max"], shape.key.metadata["max"], shape.value.metadata["max"]) == (
        model_registry.MAX_ENTRIES,
        model_registry.MAX_KEY,
        model_registry.MAX_VALUE,
    )
