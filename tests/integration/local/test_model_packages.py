"""The model registry over HTTP with boto3: versioning, approval, listing, tags, SageMaker's error
codes, state kept across a restart, and the amazon provider's own registration operator.

``sm_client`` checks every response body against botocore's output shape.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from sm_local_helpers import make_client

from airflow_sm_provider.local.server import LocalServer

pytestmark = pytest.mark.integration

SPEC = {
    "Containers": [
        {
            "Image": "local/sklearn:latest",
            "ModelDataUrl": "s3://bucket/train-1/output/model.tar.gz",
            "Environment": {"SAGEMAKER_PROGRAM": "serve.py"},
        }
    ],
    "SupportedContentTypes": ["text/csv", "application/json"],
    "SupportedResponseMIMETypes": ["application/json"],
    "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
    "SupportedTransformInstanceTypes": ["ml.m5.xlarge"],
}
METRICS = {
    "ModelQuality": {
        "Statistics": {"ContentType": "application/json", "S3Uri": "s3://bucket/train-1/evaluation.json"}
    }
}


def _register(client, group: str = "churn", **extra) -> str:
    return client.create_model_package(
        ModelPackageGroupName=group,
        ModelPackageDescription="weekly retrain",
        InferenceSpecification=SPEC,
        ModelMetrics=METRICS,
        CustomerMetadataProperties={"tuning_job": "tune-1", "dag_run": "manual__1"},
        MetadataProperties={"GeneratedBy": "airflow"},
        Domain="MACHINE_LEARNING",
        Task="CLASSIFICATION",
        SamplePayloadUrl="s3://bucket/sample.csv",
        **extra,
    )["ModelPackageArn"]


def _body(response: dict) -> dict:
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}


def _error(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]


def test_versions_are_registered_described_approved_and_listed(sm_client):
    group_arn = sm_client.create_model_package_group(
        ModelPackageGroupName="churn",
        ModelPackageGroupDescription="churn models",
        Tags=[{"Key": "team", "Value": "ml"}],
    )["ModelPackageGroupArn"]
    group = sm_client.describe_model_package_group(ModelPackageGroupName=group_arn)
    assert (group["ModelPackageGroupName"], group["ModelPackageGroupStatus"]) == ("churn", "Completed")
    identity = [{"Key": "airflow-task", "Value": "retrain.register.1"}]
    first, second = _register(sm_client, Tags=identity), _register(sm_client)
    assert first.endswith(":model-package/churn/1") and second.endswith(":model-package/churn/2")

    described = sm_client.describe_model_package(ModelPackageName=first)
    assert described["ModelPackageName"] == "churn" and described["ModelPackageVersion"] == 1
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    assert described["ModelPackageStatus"] == "Completed"
    for key, value in {
        "InferenceSpecification": SPEC,
        "ModelMetrics": METRICS,
        "CustomerMetadataProperties": {"tuning_job": "tune-1", "dag_run": "manual__1"},
        "MetadataProperties": {"GeneratedBy": "airflow"},
        "Domain": "MACHINE_LEARNING",
        "Task": "CLASSIFICATION",
        "SamplePayloadUrl": "s3://bucket/sample.csv",
    }.items():
        assert described[key] == value, key
    # the provider keeps a registration's identity in its tags, as it does a job's
    assert sm_client.list_tags(ResourceArn=first)["Tags"] == identity
    sm_client.add_tags(ResourceArn=second, Tags=[{"Key": "k", "Value": "v"}])
    assert sm_client.list_tags(ResourceArn=second)["Tags"] == [{"Key": "k", "Value": "v"}]
    assert sm_client.list_tags(ResourceArn=group_arn)["Tags"] == [{"Key": "team", "Value": "ml"}]

    sm_client.update_model_package(
        ModelPackageArn=second, ModelApprovalStatus="Approved", ApprovalDescription="gate: auc 0.91 > 0.89"
    )
    approved = sm_client.describe_model_package(ModelPackageName="churn/2")
    assert approved["ModelApprovalStatus"] == "Approved"
    assert approved["ApprovalDescription"] == "gate: auc 0.91 > 0.89"
    assert approved["LastModifiedTime"] > approved["CreationTime"]

    # the champion lookup: the group's latest Approved version
    latest = sm_client.list_model_packages(
        ModelPackageGroupName="churn",
        ModelApprovalStatus="Approved",
        SortBy="CreationTime",
        SortOrder="Descending",
        MaxResults=1,
    )["ModelPackageSummaryList"]
    assert [(s["ModelPackageArn"], s["ModelApprovalStatus"]) for s in latest] == [(second, "Approved")]
    assert sm_client.list_model_packages()["ModelPackageSummaryList"] == []  # Unversioned by default
    groups = sm_client.list_model_package_groups(NameContains="chu")["ModelPackageGroupSummaryList"]
    assert [g["ModelPackageGroupArn"] for g in groups] == [group_arn]


def test_boto3_paginators_walk_every_version_once(sm_client):
    sm_client.create_model_package_group(ModelPackageGroupName="paged")
    arns = [_register(sm_client, "paged") for _ in range(7)]
    pages = sm_client.get_paginator("list_model_packages").paginate(
        ModelPackageGroupName="paged", PaginationConfig={"PageSize": 3}
    )
    seen = [s["ModelPackageArn"] for page in pages for s in page["ModelPackageSummaryList"]]
    assert seen == arns
    error = _error(sm_client.list_model_packages, ModelPackageGroupName="paged", MaxResults=101)
    assert error["Code"] == "ValidationException"


def test_errors_carry_sagemakers_codes(sm_client):
    missing = _error(sm_client.describe_model_package, ModelPackageName="churn/1")
    assert missing["Code"] == "ValidationException" and "does not exist" in missing["Message"]
    no_group = _error(_register, client=sm_client)
    assert no_group["Code"] == "ValidationException" and "does not exist" in no_group["Message"]
    assert _error(sm_client.describe_model_package_group, ModelPackageGroupName="churn")["Code"] == (
        "ValidationException"
    )

    sm_client.create_model_package_group(ModelPackageGroupName="churn")
    duplicate = _error(sm_client.create_model_package_group, ModelPackageGroupName="churn")
    assert duplicate["Code"] == "ValidationException"
    assert duplicate["Message"].startswith("Model Package Group already exists")
    arn = _register(sm_client)
    in_use = _error(sm_client.delete_model_package_group, ModelPackageGroupName="churn")
    assert in_use["Code"] == "ConflictException"
    sm_client.delete_model_package(ModelPackageName=arn)
    sm_client.delete_model_package_group(ModelPackageGroupName="churn")
    gone = _error(sm_client.list_tags, ResourceArn=arn)
    assert gone["Code"] == "ResourceNotFound"


def test_the_registry_survives_a_restart(tmp_path):
    home = tmp_path / "home"
    with LocalServer(home=home, port=0, stop_grace=1.0) as first:
        client = make_client(first)
        client.create_model_package_group(ModelPackageGroupName="churn", ModelPackageGroupDescription="d")
        arns = [_register(client, Tags=[{"Key": "n", "Value": str(i)}]) for i in range(3)]
        client.update_model_package(
            ModelPackageArn=arns[0], ModelApprovalStatus="Rejected", ApprovalDescription="worse"
        )
        client.update_model_package(ModelPackageArn=arns[1], ModelApprovalStatus="Approved")
        client.delete_model_package(ModelPackageName=arns[2])
        before = [_body(client.describe_model_package(ModelPackageName=arn)) for arn in arns[:2]]
        group = _body(client.describe_model_package_group(ModelPackageGroupName="churn"))

    with LocalServer(home=home, port=0) as second:
        client = make_client(second)
        after = [_body(client.describe_model_package(ModelPackageName=arn)) for arn in arns[:2]]
        assert _body(client.describe_model_package_group(ModelPackageGroupName="churn")) == group
        assert client.list_tags(ResourceArn=arns[1])["Tags"] == [{"Key": "n", "Value": "1"}]
        statuses = [
            (s["ModelPackageVersion"], s["ModelApprovalStatus"])
            for s in client.list_model_packages(ModelPackageGroupName="churn")["ModelPackageSummaryList"]
        ]
        # the deleted version 3 stays retired: the next registration is version 4
        next_arn = _register(client)

    assert after == before
    assert after[0]["ApprovalDescription"] == "worse"
    assert statuses == [(1, "Rejected"), (2, "Approved")]
    assert next_arn.endswith(":model-package/churn/4")


def test_the_amazon_providers_register_operator_works_unchanged(monkeypatch, local_server, sm_client):
    from airflow.providers.amazon.aws.operators.sagemaker import (
        ApprovalStatus,
        SageMakerRegisterModelVersionOperator,
    )

    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", local_server.connection_json())

    def operator(task_id: str, **kwargs) -> SageMakerRegisterModelVersionOperator:
        return SageMakerRegisterModelVersionOperator(
            task_id=task_id,
            image_uri="local/sklearn:latest",
            model_url="s3://bucket/train-1/output/model.tar.gz",
            package_group_name="incumbent",
            package_desc="registered by the amazon provider",
            **kwargs,
        )

    first = operator("register").execute(context={})
    # the second run finds the group ("Model Package Group already exists") and adds version 2
    second = operator(
        "register_approved",
        model_approval=ApprovalStatus.APPROVED,
        extras={"CustomerMetadataProperties": {"run": "2"}},
    ).execute(context={})

    assert first.endswith(":model-package/incumbent/1") and second.endswith(":model-package/incumbent/2")
    described = sm_client.describe_model_package(ModelPackageName=second)
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["ModelPackageDescription"] == "registered by the amazon provider"
    assert described["CustomerMetadataProperties"] == {"run": "2"}
    assert described["InferenceSpecification"] == {
        "Containers": [
            {"Image": "local/sklearn:latest", "ModelDataUrl": "s3://bucket/train-1/output/model.tar.gz"}
        ],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }
    assert sm_client.describe_model_package(ModelPackageName=first)["ModelApprovalStatus"] == (
        "PendingManualApproval"
    )

    # a refused version rolls back the group the operator had just created
    failing = SageMakerRegisterModelVersionOperator(
        task_id="register_refused",
        image_uri="local/sklearn:latest",
        model_url="s3://bucket/model.tar.gz",
        package_group_name="rolled-back",
        extras={"ModelPackageName": "both-names"},
    )
    with pytest.raises(ClientError, match="Both ModelPackageName and ModelPackageGroupName"):
        failing.execute(context={})
    missing = _error(sm_client.describe_model_package_group, ModelPackageGroupName="rolled-back")
    assert "does not exist" in missing["Message"]
