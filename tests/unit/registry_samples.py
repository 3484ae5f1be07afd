"""Sample model registry responses, shaped as botocore returns them."""

from __future__ import annotations

import datetime as dt

NOW = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
GROUP = "churn"
REGION_ACCOUNT = "us-east-1:123456789012"


def package_arn(version: int, group: str = GROUP) -> str:
    return f"arn:aws:sagemaker:{REGION_ACCOUNT}:model-package/{group}/{version}"


def model_package_description(
    version: int | str = 1, status: str = "PendingManualApproval", *, metrics=None, group=GROUP, **extra
):
    """DescribeModelPackage of version ``version`` (a name such as ``"j"`` stands for version 1)."""
    number = version if isinstance(version, int) else 1
    description = {
        "ModelPackageName": group,
        "ModelPackageGroupName": group,
        "ModelPackageVersion": number,
        "ModelPackageArn": package_arn(number, group),
        "CreationTime": NOW,
        "LastModifiedTime": NOW,
        "ModelPackageStatus": "Completed",
        "ModelPackageStatusDetails": {"ValidationStatuses": [], "ImageScanStatuses": []},
        "ModelApprovalStatus": status,
        "InferenceSpecification": {
            "Containers": [{"Image": "img", "ModelDataUrl": "s3://bucket/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        "CustomerMetadataProperties": {
            "training-job": "train-1",
            **{f"metric:{k}": repr(float(v)) for k, v in (metrics or {"test:auc": 0.9}).items()},
        },
    }
    if status == "Rejected":
        description["ApprovalDescription"] = "Rejected by alice: worse on the holdout"
    description.update(extra)
    return description
