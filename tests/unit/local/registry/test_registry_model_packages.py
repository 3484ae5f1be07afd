"""The model registry's rules: versioning, approval, listing, errors, and what survives a reload."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from airflow_sm_provider.local.arns import make_arn
from airflow_sm_provider.local.errors import Conflict, ValidationError
from airflow_sm_provider.local.registry.model_packages import ModelPackageRegistry
from airflow_sm_provider.local.registry.package_records import ECHOED_PACKAGE_FIELDS
from airflow_sm_provider.local.store import Store

REGION = "us-east-1"
ACCOUNT = "000000000000"
SPEC = {
    "Containers": [
        {
            "Image": "local/sklearn:latest",
            "ModelDataUrl": "s3://bucket/job/output/model.tar.gz",
            "Environment": {"SAGEMAKER_PROGRAM": "serve.py"},
        }
    ],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
    "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
    "SupportedTransformInstanceTypes": ["ml.m5.large"],
}
METRICS = {
    "ModelQuality": {
        "Statistics": {"ContentType": "application/json", "S3Uri": "s3://bucket/evaluation.json"}
    }
}


def _model() -> Any:
    return botocore.session.get_session().get_service_model("sagemaker")


def _fits_output(operation: str, response: dict) -> None:
    report = ParamValidator().validate(response, _model().operation_model(operation).output_shape)
    assert not report.has_errors(), report.generate_report()


def _registry(home: Path) -> ModelPackageRegistry:
    registry = ModelPackageRegistry(Store(home), lambda r, kind, name: make_arn(r, ACCOUNT, kind, name))
    registry.recover()
    return registry


@pytest.fixture
def registry(tmp_path: Path) -> ModelPackageRegistry:
    return _registry(tmp_path)


def _package(registry: ModelPackageRegistry, group: str = "churn", **extra: Any) -> str:
    return registry.create_package(
        {"ModelPackageGroupName": group, "InferenceSpecification": SPEC, **extra}, REGION
    )


def test_versions_count_per_group_and_name_the_arn(registry):
    registry.create_group({"ModelPackageGroupName": "churn"}, REGION)
    registry.create_group({"ModelPackageGroupName": "fraud"}, REGION)
    arns = [_package(registry) for _ in range(3)] + [_package(registry, "fraud")]
    prefix = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/"
    assert arns == [f"{prefix}churn/1", f"{prefix}churn/2", f"{prefix}churn/3", f"{prefix}fraud/1"]


def test_a_versioned_package_describes_as_sagemaker_reports_it(registry):
    registry.create_group({"ModelPackageGroupName": "Churn"}, REGION)
    arn = _package(
        registry,
        "Churn",
        ModelPackageDescription="week 12",
        ModelMetrics=METRICS,
        CustomerMetadataProperties={"tuning_job": "tune-1"},
        MetadataProperties={"GeneratedBy": "airflow"},
        Domain="MACHINE_LEARNING",
        Task="CLASSIFICATION",
        SamplePayloadUrl="s3://bucket/sample.csv",
    )
    description = registry.describe_package(arn)
    _fits_output("DescribeModelPackage", description)
    assert description["ModelPackageName"] == description["ModelPackageGroupName"] == "Churn"
    assert description["ModelPackageVersion"] == 1
    assert description["ModelPackageStatus"] == "Completed"
    assert description["ModelApprovalStatus"] == "PendingManualApproval"
    assert description["LastModifiedTime"] == description["CreationTime"]
    assert "ApprovalDescription" not in description
    assert description["InferenceSpecification"] == SPEC
    assert description["ModelMetrics"] == METRICS
    assert description["CustomerMetadataProperties"] == {"tuning_job": "tune-1"}
    assert (description["Domain"], description["Task"]) == ("MACHINE_LEARNING", "CLASSIFICATION")
    assert description["SamplePayloadUrl"] == "s3://bucket/sample.csv"
    assert registry.describe_package("churn/1") == description  # by name too, any case


def test_every_echoed_field_is_a_create_input_and_a_describe_output_member():
    create = _model().operation_model("CreateModelPackage").input_shape.members
    describe = _model().operation_model("DescribeModelPackage").output_shape.members
    assert [f for f in ECHOED_PACKAGE_FIELDS if f not in create or f not in describe] == []


def test_group_describes_and_lists_fit_the_output_shapes(registry):
    arn = registry.create_group(
        {"ModelPackageGroupName": "churn", "ModelPackageGroupDescription": "d"}, REGION
    )
    assert arn == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/churn"
    _fits_output("DescribeModelPackageGroup", registry.describe_group(arn))
    _fits_output("ListModelPackageGroups", registry.list_groups({}))
    _package(registry)
    _fits_output("ListModelPackages", registry.list_packages({"ModelPackageGroupName": "churn"}))


def test_approval_is_updated_with_its_description(registry):
    registry.create_group({"ModelPackageGroupName": "churn"}, REGION)
    arn = _package(registry, CustomerMetadataProperties={"a": "1", "b": "2"})
    before = registry.describe_package(arn)
    assert (
        registry.update_package(
            {
                "ModelPackageArn": arn,
                "ModelApprovalStatus": "Approved",
                "ApprovalDescription": "gate passed: auc 0.91 > 0.89",
                "CustomerMetadataProperties": {"c": "3"},
                "CustomerMetadataPropertiesToRemove": ["a"],
            }
        )
        == arn
    )
    after = registry.describe_package(arn)
    assert after["ModelApprovalStatus"] == "Approved"
    assert after["ApprovalDescription"] == "gate passed: auc 0.91 > 0.89"
    assert after["CustomerMetadataProperties"] == {"b": "2", "c": "3"}
    assert after["LastModifiedTime"] > before["LastModifiedTime"]
    assert after["CreationTime"] == before["CreationTime"]
    registry.update_package({"ModelPackageArn": arn, "ModelApprovalStatus": "Rejected"})
    rejected = registry.describe_package(arn)
    assert rejected["ModelApprovalStatus"] == "Rejected"
    assert rejected["ApprovalDescription"] == "gate passed: auc 0.91 > 0.89"  # kept unless given


def test_an_update_the_backend_cannot_apply_is_refused(registry):
    registry.create_group({"ModelPackageGroupName": "churn"}, REGION)
    arn = _package(registry)
    with pytest.raises(ValidationError, match="SourceUri"):
        registry.update_package({"ModelPackageArn": arn, "SourceUri": "s3://elsewhere"})


def test_the_approval_status_given_at_creation_is_kept(registry):
    registry.create_group({"ModelPackageGroupName": "churn"}, REGION)
    arn = _package(registry, ModelApprovalStatus="Approved")
    assert registry.describe_package(arn)["ModelApprovalStatus"] == "Approved"


def test_a_repeated_client_token_gets_the_first_attempts_version(registry):
    registry.create_group({"ModelPackageGroupName": "churn"}, REGION)
    first = _package(registry, ClientToken="retry-1")
    assert _package(registry, ClientToken="retry-1") == first
    assert _package(registry, ClientToken="retry-2").endswith("/churn/2")


def test_deleted_version_numbers_are_never_reused_even_after_a_reload(tmp_path):
    registry = _registry(tmp_path)
    registry.create_group({"ModelPackageGroupName": "churn"}, REGION)
    _package(registry)
    second = _package(registry)
    registry.delete_package(second)
    assert _package(registry).endswith("/churn/3")
    registry.delete_package("churn/3")
    assert _package(_registry(tmp_path)).endswith("/churn/4")


def test_groups_packages_and_approvals_survive_a_reload(tmp_path):
    registry = _registry(tmp_path)
    group = registry.create_group(
        {"ModelPackageGroupName": "churn", "ModelPackageGroupDescription": "d"}, REGION
    )
    arns = [_package(registry, ModelMetrics=METRICS) for _ in range(2)]
    registry.update_package({"ModelPackageArn": arns[0], "ModelApprovalStatus": "Approved"})
    reloaded = _registry(tmp_path)
    assert reloaded.describe_group(group) == registry.describe_group(group)
    for arn in arns:
        assert reloaded.describe_package(arn) == registry.describe_package(arn)
    assert reloaded.list_packages({"ModelPackageGroupName": "churn"}) == registry.list_packages(
        {"ModelPackageGroupName": "churn"}
    )


def test_concurrent_registrations_get_distinct_consecutive_versions(registry):
    registry.create_group({"ModelPackageGroupName": "churn"}, REGION)
    arns: list[str] = []
    threads = [threading.Thread(target=lambda: arns.append(_package(registry))) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(int(arn.rsplit("/", 1)[1]) for arn in arns) == list(range(1, 17))


def _versions(response: dict) -> list[int]:
    return [s["ModelPackageVersion"] for s in response["ModelPackageSummaryList"]]


def test_list_packages_filters_sorts_and_pages(registry):
    for name in ("churn", "fraud"):
        registry.create_group({"ModelPackageGroupName": name}, REGION)
    for _ in range(5):
        _package(registry)
    _package(registry, "fraud")
    registry.update_package({"ModelPackageArn": "churn/2", "ModelApprovalStatus": "Approved"})
    registry.update_package({"ModelPackageArn": "churn/4", "ModelApprovalStatus": "Approved"})
    group_arn = registry.describe_group("churn")["ModelPackageGroupArn"]

    assert _versions(registry.list_packages({"ModelPackageGroupName": "churn"})) == [1, 2, 3, 4, 5]
    assert _versions(registry.list_packages({"ModelPackageGroupName": group_arn})) == [1, 2, 3, 4, 5]
    approved = {"ModelPackageGroupName": "churn", "ModelApprovalStatus": "Approved"}
    assert _versions(registry.list_packages({**approved, "SortOrder": "Descending"})) == [4, 2]
    latest = registry.list_packages(
        {**approved, "SortBy": "CreationTime", "SortOrder": "Descending", "MaxResults": 1}
    )
    assert _versions(latest) == [4] and "NextToken" in latest
    assert _versions(
        registry.list_packages(
            {**approved, "NextToken": latest["NextToken"], "MaxResults": 1, "SortOrder": "Descending"}
        )
    ) == [2]
    page = registry.list_packages({"ModelPackageGroupName": "churn", "MaxResults": 3})
    rest = registry.list_packages(
        {"ModelPackageGroupName": "churn", "MaxResults": 3, "NextToken": page["NextToken"]}
    )
    assert (_versions(page), _versions(rest), "NextToken" in rest) == ([1, 2, 3], [4, 5], False)
    assert _versions(registry.list_packages({"ModelPackageGroupName": "missing"})) == []


def test_list_packages_without_a_group_lists_versioned_packages_only_when_asked(registry):
    registry.create_group({"ModelPackageGroupName": "churn"}, REGION)
    _package(registry)
    # SageMaker's default ModelPackageType is Unversioned unless a group is named
    assert registry.list_packages({})["ModelPackageSummaryList"] == []
    assert _versions(registry.list_packages({"ModelPackageType": "Versioned"})) == [1]
    assert _versions(registry.list_packages({"ModelPackageType": "Both"})) == [1]
    assert registry.list_packages({"ModelPackageGroupName": "churn", "ModelPackageType": "Unversioned"}) == {
        "ModelPackageSummaryList": []
    }
    summary = registry.list_packages({"ModelPackageType": "Versioned"})["ModelPackageSummaryList"][0]
    assert "ModelPackageName" not in summary  # the service gives a version only its ARN


def test_list_groups_filters_by_name_and_sorts(registry):
    for name in ("churn-b", "fraud", "churn-a"):
        registry.create_group({"ModelPackageGroupName": name}, REGION)

    def names(request: dict) -> list[str]:
        return [
            g["ModelPackageGroupName"] for g in registry.list_groups(request)["ModelPackageGroupSummaryList"]
        ]

    assert names({}) == ["churn-b", "fraud", "churn-a"]
    assert names({"NameContains": "CHURN", "SortBy": "Name"}) == ["churn-a", "churn-b"]
    assert names({"SortBy": "Name", "SortOrder": "Descending", "MaxResults": 2}) == ["fraud", "churn-b"]
    assert names({"CrossAccountFilterOption": "CrossAccount"}) == []


def test_group_errors_are_sagemakers(registry):
    registry.create_group({"ModelPackageGroupName": "churn"}, REGION)
    # the amazon provider's hook recognises an existing group by this message's start
    with pytest.raises(ValidationError, match=r"^Model Package Group already exists: arn:"):
        registry.create_group({"ModelPackageGroupName": "Churn"}, REGION)
    with pytest.raises(ValidationError, match="does not exist"):
        registry.describe_group("missing")
    with pytest.raises(ValidationError, match="does not exist"):
        registry.delete_group("missing")
    with pytest.raises(ValidationError, match="does not exist"):
        registry.describe_group(f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:model-package-group/churn")


def test_a_group_with_versions_cannot_be_deleted_until_they_are(registry):
    registry.create_group({"ModelPackageGroupName": "churn"}, REGION)
    arn = _package(registry)
    with pytest.raises(Conflict, match="versions 1") as raised:
        registry.delete_group("churn")
    assert raised.value.code == "ConflictException"
    registry.delete_package(arn)
    registry.delete_group("churn")
    assert registry.list_groups({})["ModelPackageGroupSummaryList"] == []
    assert not registry.arn_exists(arn)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"ModelPackageGroupName": "missing"}, "ModelPackageGroup missing does not exist"),
        ({"ModelPackageGroupName": "churn", "ModelPackageName": "p"}, "Both ModelPackageName and"),
        ({"ModelPackageName": "unversioned"}, "versioned model packages only"),
    ],
    ids=["missing-group", "both-names", "unversioned"],
)
def test_create_package_errors(registry, request_, message):
    registry.create_group({"ModelPackageGroupName": "churn"}, REGION)
    with pytest.raises(ValidationError, match=message):
        registry.create_package(request_, REGION)


@pytest.mark.parametrize(
    "identifier",
    [
        "churn/9",
        "churn",
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn/9",
        f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:model-package/churn/1",
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/churn/1",
    ],
)
def test_a_missing_package_does_not_exist(registry, identifier):
    registry.create_group({"ModelPackageGroupName": "churn"}, REGION)
    _package(registry)
    for call in (
        registry.describe_package,
        registry.delete_package,
        lambda i: registry.update_package({"ModelPackageArn": i, "ModelApprovalStatus": "Approved"}),
    ):
        with pytest.raises(ValidationError, match="does not exist"):
            call(identifier)
