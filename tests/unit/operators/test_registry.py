"""The registry operators against botocore's Stubber (the AWS path)."""

from __future__ import annotations

import pytest

from airflow_sm_provider import naming
from airflow_sm_provider.exceptions import ConfigValidationError, SageMakerProviderError
from airflow_sm_provider.operators import (
    SageMakerRegisterModelVersionOperator,
    SageMakerUpdateModelApprovalOperator,
)
from tests.unit.operators.test_training import FakeTI, context
from tests.unit.registry_samples import NOW, model_package_description, package_arn
from tests.unit.sample_requests import training_description, tuning_description

GROUP_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churn"
TUNING = {
    "tuning_job_name": "tune-1",
    "best_training_job": {"name": "tune-1-002-abcdef12", "tuned_hyperparameters": {"lr": "0.0123"}},
}


def register(**kwargs):
    defaults = {
        "task_id": "register",
        "model_package_group_name": "churn",
        "training_job": {"training_job_name": "train-1", "status": "Completed"},
        "metrics": {"test:auc": 0.97},
        "evaluation_report_uri": "s3://bucket/eval/train-1.json",
        "tuning": TUNING,
        "inference_instance_types": ["ml.m5.large"],
    }
    return SageMakerRegisterModelVersionOperator(**{**defaults, **kwargs})


def identity_tags(ti=None):
    return naming.TaskIdentity.from_context(context(ti or FakeTI(task_id="register"))).tags()


def expect_create(stub, ti=None):
    stub.add_response(
        "create_model_package",
        {"ModelPackageArn": package_arn(1)},
        {
            "ModelPackageGroupName": "churn",
            "InferenceSpecification": {
                "Containers": [
                    {"Image": "img", "ModelDataUrl": "s3://bucket/output/train-1/output/model.tar.gz"}
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
                "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
            },
            "ModelApprovalStatus": "PendingManualApproval",
            "CustomerMetadataProperties": {
                "training-job": "train-1",
                "airflow-dag-id": "retrain",
                "airflow-run-id": "scheduled__2026-11-22T00:00:00+00:00",
                "airflow-task-id": "register",
                "tuning-job": "tune-1",
                "best-trial": "tune-1-002-abcdef12",
                "metric:test:auc": "0.97",
                "metric:validation:loss": "0.25",
                "hyperparameter:lr": "0.0123",
            },
            "ModelMetrics": {
                "ModelQuality": {
                    "Statistics": {
                        "ContentType": "application/json",
                        "S3Uri": "s3://bucket/eval/train-1.json",
                    }
                }
            },
            "Tags": identity_tags(ti),
        },
    )


def test_registers_a_version_creating_the_group_first(sagemaker_stub):
    sagemaker_stub.add_response("describe_training_job", training_description("train-1", "Completed"))
    sagemaker_stub.add_client_error(
        "describe_model_package_group",
        service_error_code="ValidationException",
        service_message=f"ModelPackageGroup {GROUP_ARN} does not exist.",
    )
    sagemaker_stub.add_response(
        "create_model_package_group", {"ModelPackageGroupArn": GROUP_ARN}, {"ModelPackageGroupName": "churn"}
    )
    sagemaker_stub.add_response("list_model_packages", {"ModelPackageSummaryList": []})
    expect_create(sagemaker_stub)
    sagemaker_stub.add_response(
        "describe_model_package",
        model_package_description(1, metrics={"test:auc": 0.97, "validation:loss": 0.25}),
        {"ModelPackageName": package_arn(1)},
    )
    result = register().execute(context(FakeTI(task_id="register")))
    sagemaker_stub.assert_no_pending_responses()
    assert result["model_package_arn"] == package_arn(1)
    assert result["approval_status"] == "PendingManualApproval"
    assert result["metrics"] == {"test:auc": 0.97, "validation:loss": 0.25}
    assert result["training_job_name"] == "train-1"


def group_exists(stub):
    stub.add_response(
        "describe_model_package_group",
        {
            "ModelPackageGroupName": "churn",
            "ModelPackageGroupArn": GROUP_ARN,
            "CreationTime": NOW,
            "CreatedBy": {},
            "ModelPackageGroupStatus": "Completed",
        },
    )


def test_a_retry_returns_the_version_its_earlier_attempt_registered(sagemaker_stub):
    ti = FakeTI(task_id="register", try_number=2)
    sagemaker_stub.add_response("describe_training_job", training_description("train-1", "Completed"))
    group_exists(sagemaker_stub)

    def summary(version):
        return {
            "ModelPackageGroupName": "churn",
            "ModelPackageVersion": version,
            "ModelPackageArn": package_arn(version),
            "CreationTime": NOW,
            "ModelPackageStatus": "Completed",
            "ModelApprovalStatus": "PendingManualApproval",
        }

    sagemaker_stub.add_response("list_model_packages", {"ModelPackageSummaryList": [summary(2), summary(1)]})
    # the newest version is another task instance's; the older one is ours
    sagemaker_stub.add_response("list_tags", {"Tags": identity_tags(FakeTI(task_id="other"))})
    sagemaker_stub.add_response("list_tags", {"Tags": identity_tags(ti)})
    sagemaker_stub.add_response("describe_model_package", model_package_description(1))
    result = register().execute(context(ti))
    sagemaker_stub.assert_no_pending_responses()  # no create_model_package was called
    assert result["model_package_version"] == 1


def test_only_versions_created_since_the_run_was_due_are_looked_at(sagemaker_stub):
    import datetime as dt

    class Run:
        run_after = NOW

    sagemaker_stub.add_response("describe_training_job", training_description("train-1", "Completed"))
    group_exists(sagemaker_stub)
    sagemaker_stub.add_response(
        "list_model_packages",
        {"ModelPackageSummaryList": []},
        {
            "ModelPackageGroupName": "churn",
            "SortBy": "CreationTime",
            "SortOrder": "Descending",
            "MaxResults": 100,
            "CreationTimeAfter": NOW - dt.timedelta(hours=1),
        },
    )
    expect_create(sagemaker_stub)
    sagemaker_stub.add_response("describe_model_package", model_package_description(1))
    register().execute({"ti": FakeTI(task_id="register"), "dag_run": Run()})
    sagemaker_stub.assert_no_pending_responses()


def test_an_unfinished_training_job_is_refused_before_any_registry_call(sagemaker_stub):
    sagemaker_stub.add_response("describe_training_job", training_description("train-1", "InProgress"))
    with pytest.raises(SageMakerProviderError, match="only a Completed job"):
        register().execute(context())
    sagemaker_stub.assert_no_pending_responses()


def test_a_bad_request_is_refused_naming_the_field(sagemaker_stub):
    sagemaker_stub.add_response("describe_training_job", training_description("train-1", "Completed"))
    with pytest.raises(ConfigValidationError, match="SupportedRealtimeInferenceInstanceTypes"):
        register(inference_instance_types=["ml.bogus"]).execute(context())


def test_the_approval_status_is_checked():
    with pytest.raises(ConfigValidationError, match="approval_status"):
        register(approval_status="Maybe").execute(context())


def test_the_training_job_may_be_a_name(sagemaker_stub):
    operator = register(training_job="train-1")
    assert operator._training_job_name() == "train-1"


def test_tuning_lineage_comes_from_the_tuning_result():
    request = register(tuning={"tuning_job_name": "t", "best_training_job": None}).build_request(
        naming.TaskIdentity("d", "register", "r"), training_description("train-1", "Completed")
    )
    assert request["CustomerMetadataProperties"]["tuning-job"] == "t"
    assert "best-trial" not in request["CustomerMetadataProperties"]
    assert tuning_description("t")  # the shape the operator reads


@pytest.mark.parametrize("status", ["Approved", "Rejected"])
def test_update_approval_writes_the_status_and_who_decided(sagemaker_stub, status):
    arn = package_arn(2)
    sagemaker_stub.add_response("describe_model_package", model_package_description(2))
    description = "Rejected by alice" if status == "Rejected" else None
    expected = (
        description or "Approved by Airflow task retrain.approve (run scheduled__2026-11-22T00:00:00+00:00)"
    )
    sagemaker_stub.add_response(
        "update_model_package",
        {"ModelPackageArn": arn},
        {"ModelPackageArn": arn, "ModelApprovalStatus": status, "ApprovalDescription": expected},
    )
    sagemaker_stub.add_response(
        "describe_model_package", model_package_description(2, status, ApprovalDescription=expected)
    )
    operator = SageMakerUpdateModelApprovalOperator(
        task_id="approve", model_package_arn=arn, approval_status=status, approval_description=description
    )
    result = operator.execute(context(FakeTI(task_id="approve")))
    sagemaker_stub.assert_no_pending_responses()
    assert (result["approval_status"], result["approval_description"]) == (status, expected)


def test_update_approval_accepts_only_approved_or_rejected():
    operator = SageMakerUpdateModelApprovalOperator(
        task_id="approve", model_package_arn=package_arn(1), approval_status="PendingManualApproval"
    )
    with pytest.raises(ConfigValidationError, match="'Approved' or 'Rejected'"):
        operator.execute(context())


def test_the_amazon_providers_parameters_register_without_a_training_job(sagemaker_stub):
    from airflow.providers.amazon.aws.operators.sagemaker import ApprovalStatus

    operator = SageMakerRegisterModelVersionOperator(
        task_id="register",
        image_uri="123.dkr.ecr.us-east-1.amazonaws.com/infer:1",
        model_url="s3://bucket/model.tar.gz",
        package_group_name="churn",
        package_desc="weekly",
        package_group_desc="churn models",
        model_approval=ApprovalStatus.APPROVED,
        extras={"Domain": "MACHINE_LEARNING", "Tags": [{"Key": "team", "Value": "ml"}]},
    )
    sagemaker_stub.add_client_error(
        "describe_model_package_group",
        service_error_code="ValidationException",
        service_message="does not exist",
    )
    sagemaker_stub.add_response(
        "create_model_package_group",
        {"ModelPackageGroupArn": GROUP_ARN},
        {"ModelPackageGroupName": "churn", "ModelPackageGroupDescription": "churn models"},
    )
    sagemaker_stub.add_response("list_model_packages", {"ModelPackageSummaryList": []})
    sagemaker_stub.add_response(
        "create_model_package",
        {"ModelPackageArn": package_arn(1)},
        {
            "ModelPackageGroupName": "churn",
            "ModelPackageDescription": "weekly",
            "InferenceSpecification": {
                "Containers": [
                    {
                        "Image": "123.dkr.ecr.us-east-1.amazonaws.com/infer:1",
                        "ModelDataUrl": "s3://bucket/model.tar.gz",
                    }
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            "ModelApprovalStatus": "Approved",
            "CustomerMetadataProperties": {
                "airflow-dag-id": "retrain",
                "airflow-run-id": "scheduled__2026-11-22T00:00:00+00:00",
                "airflow-task-id": "register",
            },
            "Domain": "MACHINE_LEARNING",
            "Tags": [{"Key": "team", "Value": "ml"}, *identity_tags()],
        },
    )
    sagemaker_stub.add_response("describe_model_package", model_package_description(1, "Approved"))
    result = operator.execute(context(FakeTI(task_id="register")))
    sagemaker_stub.assert_no_pending_responses()  # no training job was described
    assert result["model_package_arn"] == package_arn(1)
    assert result["training_job_name"] is None


def test_a_group_and_a_model_are_required():
    with pytest.raises(ValueError, match="package_group_name"):
        SageMakerRegisterModelVersionOperator(task_id="r", training_job="t")
    with pytest.raises(ValueError, match="training_job is required"):
        SageMakerRegisterModelVersionOperator(task_id="r", model_package_group_name="g", image_uri="i")
