"""Model package groups and versioned model packages as records: what Describe* and List* report
of them, and their documents in SQLite.

A versioned package is named by its group and version: SageMaker reports the group's name as its
``ModelPackageName`` and forms its ARN as ``model-package/<group>/<version>``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from airflow_sm_provider.local.times import from_epoch, to_epoch

__all__ = [
    "ECHOED_PACKAGE_FIELDS",
    "PENDING",
    "ModelPackage",
    "ModelPackageGroup",
    "parse_group_name",
    "parse_package_name",
]

PENDING = "PendingManualApproval"

# CreateModelPackage members DescribeModelPackage reports back as they were given (a test checks
# each is a member of both shapes).
ECHOED_PACKAGE_FIELDS = (
    "ModelPackageDescription",
    "ModelPackageRegistrationType",
    "InferenceSpecification",
    "SourceAlgorithmSpecification",
    "ValidationSpecification",
    "CertifyForMarketplace",
    "MetadataProperties",
    "ModelMetrics",
    "Domain",
    "Task",
    "SamplePayloadUrl",
    "CustomerMetadataProperties",
    "DriftCheckBaselines",
    "AdditionalInferenceSpecifications",
    "SkipModelValidation",
    "SourceUri",
    "SecurityConfig",
    "ModelCard",
    "ModelLifeCycle",
    "ManagedStorageType",
)
SUMMARY_FIELDS = ("ModelPackageDescription", "ModelLifeCycle", "ModelPackageRegistrationType")


def _resource(identifier: str, kind: str) -> str | None:
    """The resource part of a name or ``arn:...:<kind>/<resource>``; None for another kind of ARN."""
    if not identifier.startswith("arn:"):
        return identifier
    kind_and_resource = identifier.split(":", 5)[-1]
    prefix = f"{kind}/"
    return kind_and_resource[len(prefix) :] if kind_and_resource.startswith(prefix) else None


def parse_group_name(identifier: str) -> str | None:
    """The group a ``ModelPackageGroupName`` (name or ARN) names, lowercased as ARNs spell it."""
    name = _resource(identifier, "model-package-group")
    return None if name is None else name.lower()


def parse_package_name(identifier: str) -> tuple[str, int | None] | None:
    """(group, version) a ``ModelPackageName`` names: ``<group>/<version>`` or its ARN.

    A bare name has no version (it would name an unversioned package); None when the
    identifier cannot name a model package at all.
    """
    resource = _resource(identifier, "model-package")
    if resource is None:
        return None
    group, _, version = resource.partition("/")
    if not version:
        return group.lower(), None
    return (group.lower(), int(version)) if version.isdigit() else None


@dataclass
class ModelPackageGroup:
    """A CreateModelPackageGroup record, with the last version number it handed out."""

    name: str
    arn: str
    description: str | None
    creation_time: datetime
    last_version: int = 0

    @property
    def key(self) -> str:
        return self.name.lower()

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ModelPackageGroupName": self.name, "ModelPackageGroupArn": self.arn}
        if self.description is not None:
            out["ModelPackageGroupDescription"] = self.description
        out["CreationTime"] = self.creation_time
        out["ModelPackageGroupStatus"] = "Completed"
        return out

    def describe(self) -> dict[str, Any]:
        # no caller identity to report locally; the member is required, its fields are not
        return {**self.summary(), "CreatedBy": {}}

    def to_doc(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "arn": self.arn,
            "description": self.description,
            "creation_time": to_epoch(self.creation_time),
            "last_version": self.last_version,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ModelPackageGroup:
        created = from_epoch(doc["creation_time"])
        assert created is not None
        return cls(doc["name"], doc["arn"], doc["description"], created, doc["last_version"])


@dataclass
class ModelPackage:
    """A versioned model package: the request's echoed members plus what the registry decided."""

    group: str
    version: int
    arn: str
    fields: dict[str, Any]
    creation_time: datetime
    last_modified_time: datetime
    approval_status: str = PENDING
    approval_description: str | None = None
    client_token: str | None = None

    @property
    def group_key(self) -> str:
        return self.group.lower()

    def summary(self) -> dict[str, Any]:
        # ListModelPackages gives no ModelPackageName for a versioned package, only its ARN
        out: dict[str, Any] = {
            "ModelPackageGroupName": self.group,
            "ModelPackageVersion": self.version,
            "ModelPackageArn": self.arn,
            "CreationTime": self.creation_time,
            "ModelPackageStatus": "Completed",
            "ModelApprovalStatus": self.approval_status,
        }
        out.update({key: self.fields[key] for key in SUMMARY_FIELDS if key in self.fields})
        return copy.deepcopy(out)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ModelPackageName": self.group,
            "ModelPackageGroupName": self.group,
            "ModelPackageVersion": self.version,
            "ModelPackageArn": self.arn,
            "CreationTime": self.creation_time,
            # nothing is validated or scanned locally: the package is complete once created
            "ModelPackageStatus": "Completed",
            "ModelPackageStatusDetails": {"ValidationStatuses": [], "ImageScanStatuses": []},
            "ModelApprovalStatus": self.approval_status,
            "LastModifiedTime": self.last_modified_time,
        }
        if self.approval_description is not None:
            out["ApprovalDescription"] = self.approval_description
        out.update({key: self.fields[key] for key in ECHOED_PACKAGE_FIELDS if key in self.fields})
        return copy.deepcopy(out)

    def to_doc(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "version": self.version,
            "arn": self.arn,
            "fields": self.fields,
            "creation_time": to_epoch(self.creation_time),
            "last_modified_time": to_epoch(self.last_modified_time),
            "approval_status": self.approval_status,
            "approval_description": self.approval_description,
            "client_token": self.client_token,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ModelPackage:
        created, modified = from_epoch(doc["creation_time"]), from_epoch(doc["last_modified_time"])
        assert created is not None and modified is not None
        return cls(
            group=doc["group"],
            version=doc["version"],
            arn=doc["arn"],
            fields=doc["fields"],
            creation_time=created,
            last_modified_time=modified,
            approval_status=doc["approval_status"],
            approval_description=doc["approval_description"],
            client_token=doc["client_token"],
        )
