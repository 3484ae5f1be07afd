"""The model package (version) kind: its row, progress line and XCom result.

A version in a model package group is watched like a job: its ``ModelApprovalStatus`` is the
status. ``Approved`` is success, ``Rejected`` a failure (with the ``ApprovalDescription`` as its
reason), ``PendingManualApproval`` still running. The "name" a watcher holds is the version's ARN
(DescribeModelPackage takes it as ``ModelPackageName``; a versioned package's own
``ModelPackageName`` is its group's name, so it cannot identify a version).
"""

from __future__ import annotations

from typing import Any

from airflow_sm_provider.jobs.kind import Description, JobKind, Outcome

#: CustomerMetadataProperties key prefixes this provider writes (and the gate reads back).
METRIC_PREFIX = "metric:"
HYPERPARAMETER_PREFIX = "hyperparameter:"


def package_progress(description: Description) -> str:
    status = description.get("ModelApprovalStatus", "?")
    version = description.get("ModelPackageVersion", "?")
    reason = description.get("ApprovalDescription")
    return f"version {version}: {status}" + (f" ({reason})" if reason else "")


def package_metrics(description: Description) -> dict[str, float]:
    """The metrics a registered version carries in its CustomerMetadataProperties."""
    metrics: dict[str, float] = {}
    for key, value in (description.get("CustomerMetadataProperties") or {}).items():
        if key.startswith(METRIC_PREFIX):
            try:
                metrics[key.removeprefix(METRIC_PREFIX)] = float(value)
            except ValueError:
                continue  # written by someone else; not a number we can compare
    return metrics


def package_result(description: Description, best_description: Description | None = None) -> dict[str, Any]:
    """The ``return_value`` XCom for a model package version, JSON-native only."""
    containers = (description.get("InferenceSpecification") or {}).get("Containers") or [{}]
    return {
        "model_package_arn": description["ModelPackageArn"],
        "model_package_group_name": description.get("ModelPackageGroupName"),
        "model_package_version": description.get("ModelPackageVersion"),
        "approval_status": description["ModelApprovalStatus"],
        "approval_description": description.get("ApprovalDescription"),
        "image": containers[0].get("Image"),
        "model_data_url": containers[0].get("ModelDataUrl"),
        "metrics": package_metrics(description),
        "customer_metadata": dict(description.get("CustomerMetadataProperties") or {}),
    }


def package_failure_details(hook: Any, description: Description) -> str:
    version = description.get("ModelPackageVersion", "?")
    return f"Version {version} ({description.get('ModelPackageArn')}) was rejected"


MODEL_PACKAGE = JobKind(
    name="model_package",
    label="model package",
    name_key="ModelPackageName",
    arn_key="ModelPackageArn",
    status_key="ModelApprovalStatus",
    status_enum="ModelApprovalStatus",
    max_name_length=63,
    create_operation="CreateModelPackage",
    describe_operation="DescribeModelPackage",
    # a version cannot be stopped: a killed approval wait leaves it as it is
    stop_operation=None,
    list_operation="ListModelPackages",
    list_key="ModelPackageSummaryList",
    statuses={
        "PendingManualApproval": Outcome.RUNNING,
        "Approved": Outcome.SUCCEEDED,
        "Rejected": Outcome.FAILED,
    },
    trigger="airflow_sm_provider.triggers.model_package.SageMakerModelApprovalTrigger",
    amazon_xcom_key="ModelPackage",
    console_fragment="model-packages",
    summary_settles_success=True,
    # ListModelPackages has neither LastModifiedTimeAfter nor a status filter the poller's sweep
    # and baseline need: approval changes do not move CreationTime, so the poller Describes each.
    list_sweeps=False,
    reason_key="ApprovalDescription",
    timeout_words=("still PendingManualApproval", "its approval status was left as it is"),
    progress=package_progress,
    result=package_result,
    failure_details=package_failure_details,
)
