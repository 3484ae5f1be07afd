"""The model registry: model package groups and their versioned model packages.

Create/Describe/List/DeleteModelPackageGroup and Create/Describe/List/Update/DeleteModelPackage,
with SageMaker's versioning: a package created in a group is its next version (1, 2, ...), named
``<group>/<version>`` with the ARN ``model-package/<group>/<version>``. A group keeps the last
number it handed out, so a deleted version's number (and ARN, which tags are keyed by) is never
given to another package, across restarts too. Only versioned packages exist here: a
CreateModelPackage without ``ModelPackageGroupName`` is refused.

Errors, as SageMaker answers them: a missing group or package is a ValidationException saying it
"does not exist"; a second group of the same name is a ValidationException starting "Model
Package Group already exists" (the amazon provider's hook matches that text); deleting a group
that still holds versions is the ConflictException the service model documents for it.

A request repeating a ``ClientToken`` (boto3 fills one in for every CreateModelPackage and reuses
it when it retries) gets the version the first attempt created instead of a new one.

Concurrency: records live in memory under ``_lock``, which readers hold only to copy. Changes are
serialised by ``_write_lock``: each is checked against memory, written to SQLite, then applied
to memory, so the disk never lags behind what a reader was told and a failed write changes
nothing. Readers never wait for SQLite.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from typing import Any

from airflow_sm_provider.local import listing
from airflow_sm_provider.local.errors import Conflict, ValidationError
from airflow_sm_provider.local.registry.package_records import (
    ECHOED_PACKAGE_FIELDS,
    PENDING,
    ModelPackage,
    ModelPackageGroup,
    parse_group_name,
    parse_package_name,
)
from airflow_sm_provider.local.store import Store
from airflow_sm_provider.local.times import utcnow

__all__ = ["ModelPackageRegistry"]

GROUP_SORT_KEYS: dict[str, Callable[[ModelPackageGroup], Any]] = {
    "Name": lambda g: g.name,
    "CreationTime": lambda g: g.creation_time,
}
PACKAGE_SORT_KEYS: dict[str, Callable[[ModelPackage], Any]] = {
    "Name": lambda p: p.group,
    "CreationTime": lambda p: p.creation_time,
}
# UpdateModelPackage members this backend applies; any other is refused rather than ignored
UPDATABLE = {
    "ModelPackageArn",
    "ModelApprovalStatus",
    "ApprovalDescription",
    "CustomerMetadataProperties",
    "CustomerMetadataPropertiesToRemove",
    "ClientToken",
}


class ModelPackageRegistry:
    """Model package groups and versions of one backend home.

    :param store: persistence.
    :param arn_for: builds an ARN from the request's region, the resource kind
        (``model-package-group`` or ``model-package``) and the resource name.
    """

    def __init__(self, store: Store, arn_for: Callable[[str, str, str], str]) -> None:
        self.store = store
        self._arn_for = arn_for
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._groups: dict[str, ModelPackageGroup] = {}  # by lowercased name, as ARNs spell it
        self._packages: dict[tuple[str, int], ModelPackage] = {}  # by (group key, version)

    def recover(self) -> None:
        for doc in self.store.load_model_package_groups():
            group = ModelPackageGroup.from_doc(doc)
            self._groups[group.key] = group
        for doc in self.store.load_model_packages():
            package = ModelPackage.from_doc(doc)
            self._packages[package.group_key, package.version] = package

    # groups ----------------------------------------------------------------------------------
    def create_group(self, request: dict[str, Any], region: str) -> str:
        name = request["ModelPackageGroupName"]
        group = ModelPackageGroup(
            name=name,
            arn=self._arn_for(region, "model-package-group", name),
            description=request.get("ModelPackageGroupDescription"),
            creation_time=utcnow(),
        )
        with self._write_lock:
            if group.key in self._groups:
                raise ValidationError(f"Model Package Group already exists: {self._groups[group.key].arn}")
            self.store.save_model_package_group(group.to_doc())
            if request.get("Tags"):
                self.store.put_tags(group.arn, request["Tags"])
            with self._lock:
                self._groups[group.key] = group
        return group.arn

    def describe_group(self, identifier: str) -> dict[str, Any]:
        with self._lock:
            return self._group(identifier).describe()

    def list_groups(self, request: dict[str, Any]) -> dict[str, Any]:
        # every group is this account's own: a CrossAccount listing is empty
        if request.get("CrossAccountFilterOption") == "CrossAccount":
            return {"ModelPackageGroupSummaryList": []}
        with self._lock:
            groups = listing.filter_by(
                self._groups.values(), request, name=lambda g: g.name, created=lambda g: g.creation_time
            )
            ordered = listing.sort(groups, GROUP_SORT_KEYS, request, default="CreationTime")
            page, token = listing.page(ordered, request, "ListModelPackageGroups")
            summaries = [group.summary() for group in page]
        return {"ModelPackageGroupSummaryList": summaries, **listing.next_token(token)}

    def delete_group(self, identifier: str) -> None:
        with self._write_lock:
            with self._lock:
                group = self._group(identifier)
                versions = sorted(v for key, v in self._packages if key == group.key)
            if versions:
                raise Conflict(
                    f"Model Package Group {group.arn} still has model package versions "
                    f"{', '.join(map(str, versions))}: delete them first."
                )
            self.store.delete_model_package_group(group.key)
            self.store.delete_tags(group.arn)
            with self._lock:
                del self._groups[group.key]

    # packages --------------------------------------------------------------------------------
    def create_package(self, request: dict[str, Any], region: str) -> str:
        group_name = request.get("ModelPackageGroupName")
        if group_name and request.get("ModelPackageName"):
            raise ValidationError(
                "Both ModelPackageName and ModelPackageGroupName are provided in the input. "
                "Cannot determine which one to use."
            )
        if not group_name:
            raise ValidationError(
                "Missing ARN: this local backend keeps versioned model packages only; give "
                "ModelPackageGroupName instead of ModelPackageName."
            )
        fields = {key: request[key] for key in ECHOED_PACKAGE_FIELDS if key in request}
        token = request.get("ClientToken")
        with self._write_lock:
            with self._lock:
                group = self._group(group_name)
                retried = self._by_token(token) if token else None
            if retried is not None:
                return retried.arn
            now = utcnow()
            version = group.last_version + 1
            package = ModelPackage(
                group=group.name,
                version=version,
                arn=self._arn_for(region, "model-package", f"{group.name}/{version}"),
                fields=fields,
                creation_time=now,
                last_modified_time=now,
                approval_status=request.get("ModelApprovalStatus") or PENDING,
                client_token=token,
            )
            group_doc = {**group.to_doc(), "last_version": version}
            self.store.save_model_package(package.to_doc(), group=group_doc)
            if request.get("Tags"):
                self.store.put_tags(package.arn, request["Tags"])
            with self._lock:
                group.last_version = version
                self._packages[group.key, version] = package
        return package.arn

    def describe_package(self, identifier: str) -> dict[str, Any]:
        with self._lock:
            return self._package(identifier).describe()

    def list_packages(self, request: dict[str, Any]) -> dict[str, Any]:
        # SageMaker lists unversioned packages unless told otherwise or given a group
        default_type = "Versioned" if request.get("ModelPackageGroupName") else "Unversioned"
        if (request.get("ModelPackageType") or default_type) == "Unversioned":
            return {"ModelPackageSummaryList": []}
        group_key = parse_group_name(request.get("ModelPackageGroupName") or "")
        approval = request.get("ModelApprovalStatus")
        with self._lock:
            candidates = [
                package
                for package in self._packages.values()
                if (not group_key or package.group_key == group_key)
                and (not approval or package.approval_status == approval)
            ]
            packages = listing.filter_by(
                candidates, request, name=lambda p: p.group, created=lambda p: p.creation_time
            )
            ordered = listing.sort(packages, PACKAGE_SORT_KEYS, request, default="CreationTime")
            page, token = listing.page(ordered, request, "ListModelPackages")
            summaries = [package.summary() for package in page]
        return {"ModelPackageSummaryList": summaries, **listing.next_token(token)}

    def update_package(self, request: dict[str, Any]) -> str:
        unsupported = sorted(set(request) - UPDATABLE)
        if unsupported:
            raise ValidationError(
                f"UpdateModelPackage of {', '.join(unsupported)} is not supported by the local backend"
            )
        with self._write_lock:
            with self._lock:
                current = self._package(request["ModelPackageArn"])
            metadata = dict(current.fields.get("CustomerMetadataProperties") or {})
            metadata.update(request.get("CustomerMetadataProperties") or {})
            for key in request.get("CustomerMetadataPropertiesToRemove") or ():
                metadata.pop(key, None)
            fields = {k: v for k, v in current.fields.items() if k != "CustomerMetadataProperties"}
            if metadata:
                fields["CustomerMetadataProperties"] = metadata
            updated = dataclasses.replace(
                current,
                fields=fields,
                last_modified_time=utcnow(),
                approval_status=request.get("ModelApprovalStatus") or current.approval_status,
                approval_description=request.get("ApprovalDescription", current.approval_description),
            )
            self.store.save_model_package(updated.to_doc())
            with self._lock:
                self._packages[updated.group_key, updated.version] = updated
        return updated.arn

    def delete_package(self, identifier: str) -> None:
        with self._write_lock:
            with self._lock:
                package = self._package(identifier)
            self.store.delete_model_package(package.arn)
            self.store.delete_tags(package.arn)
            with self._lock:
                del self._packages[package.group_key, package.version]

    # lookups ---------------------------------------------------------------------------------
    def arn_exists(self, arn: str) -> bool:
        with self._lock:
            return any(record.arn == arn for record in self._records())

    def _records(self) -> Iterator[ModelPackageGroup | ModelPackage]:
        yield from self._groups.values()
        yield from self._packages.values()

    def _by_token(self, token: str) -> ModelPackage | None:
        return next((p for p in self._packages.values() if p.client_token == token), None)

    def _group(self, identifier: str) -> ModelPackageGroup:
        key = parse_group_name(identifier)
        group = self._groups.get(key) if key else None
        if group is None or (identifier.startswith("arn:") and identifier.lower() != group.arn):
            raise ValidationError(f"ModelPackageGroup {identifier} does not exist.")
        return group

    def _package(self, identifier: str) -> ModelPackage:
        parsed = parse_package_name(identifier)
        package = None
        if parsed is not None and parsed[1] is not None:
            package = self._packages.get((parsed[0], parsed[1]))
        if package is None or (identifier.startswith("arn:") and identifier.lower() != package.arn):
            raise ValidationError(f"ModelPackage {identifier} does not exist.")
        return package
