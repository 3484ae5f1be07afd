"""What the local backend checks in a CreateTrainingJob request beyond botocore's shape.

botocore's ``ParamValidator`` covers types, required members and lengths; these are the
remaining rules SageMaker applies that matter here (the name pattern), plus what the local
backend cannot do and must refuse before creating anything (FSx/EFS channels, manifest files,
URIs that are neither ``s3://`` nor ``file://``, metric regexes that do not compile).
"""

from __future__ import annotations

import re
from typing import Any

from airflow_sm_provider.local import protocol
from airflow_sm_provider.local.algorithms import builtin_for
from airflow_sm_provider.local.errors import ValidationError
from airflow_sm_provider.local.training import scriptmode, storage, toolkit
from airflow_sm_provider.local.training.metrics import compile_definitions

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
CHANNEL_PATTERN = re.compile(r"^[A-Za-z0-9\.\-_]+$")


def check_name(name: str, field: str) -> None:
    if not NAME_PATTERN.match(name):
        raise ValidationError(
            f"Value {name!r} at '{field}' failed to satisfy constraint: Member must satisfy regular "
            f"expression pattern: {NAME_PATTERN.pattern}"
        )


def check_training_request(request: dict[str, Any]) -> None:
    """The rules beyond botocore's shape that the local backend enforces before creating a job."""
    protocol.parse_request("CreateTrainingJob", request)
    check_name(request["TrainingJobName"], "trainingJobName")
    storage.check_uri(request["OutputDataConfig"]["S3OutputPath"], "OutputDataConfig.S3OutputPath")
    for i, channel in enumerate(request.get("InputDataConfig") or []):
        source = channel["DataSource"]
        field = f"InputDataConfig[{i}].DataSource"
        if "FileSystemDataSource" in source:
            raise ValidationError(f"{field}.FileSystemDataSource is not supported by the local backend")
        s3 = source.get("S3DataSource")
        if s3 is None:
            raise ValidationError(f"{field}.S3DataSource is required by the local backend")
        if s3.get("S3DataType", "S3Prefix") != "S3Prefix":
            raise ValidationError(f"{field}.S3DataSource.S3DataType: only S3Prefix is supported locally")
        storage.check_uri(s3["S3Uri"], f"{field}.S3DataSource.S3Uri")
    submit = (request.get("HyperParameters") or {}).get(scriptmode.SUBMIT_DIR)
    if submit:
        storage.check_uri(scriptmode.unquote(submit), f"HyperParameters.{scriptmode.SUBMIT_DIR}")
    checkpoint = (request.get("CheckpointConfig") or {}).get("S3Uri")
    if checkpoint:
        storage.check_uri(checkpoint, "CheckpointConfig.S3Uri")
    compile_definitions((request.get("AlgorithmSpecification") or {}).get("MetricDefinitions"))
    check_job_settings(request)


def check_job_settings(request: dict[str, Any]) -> None:
    """The rules shared by a CreateTrainingJob request and a tuning job's training job
    definition (whose trials the tuning job creates later, when a refusal would come too late)."""
    check_algorithm(request.get("AlgorithmSpecification") or {})
    check_builtin(request)
    check_instances(request.get("ResourceConfig") or {})
    check_spot(request)
    check_channels(request.get("InputDataConfig") or [])
    check_group_channels(request)
    local = (request.get("CheckpointConfig") or {}).get("LocalPath")
    if local:
        scriptmode.contained(local)


def check_channels(channels: list[dict[str, Any]]) -> None:
    """Channel names are directory names under ``input/data``: SageMaker's pattern, distinct."""
    names = [channel["ChannelName"] for channel in channels]
    for name in names:
        if not CHANNEL_PATTERN.match(name) or name in (".", ".."):
            raise ValidationError(
                f"Value {name!r} at 'ChannelName' failed to satisfy constraint: Member must "
                f"satisfy regular expression pattern: {CHANNEL_PATTERN.pattern}"
            )
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValidationError(f"InputDataConfig: channel names must be unique, repeated: {duplicates}")


def check_spot(request: dict[str, Any]) -> None:
    """SageMaker's managed spot rules: MaxWaitTimeInSeconds only with spot (the service's own
    message), required with it (as the SageMaker SDK requires), never below MaxRuntimeInSeconds."""
    stopping = request.get("StoppingCondition") or {}
    wait = stopping.get("MaxWaitTimeInSeconds")
    if not request.get("EnableManagedSpotTraining"):
        if wait is not None:
            raise ValidationError(
                "Invalid MaxWaitTimeInSeconds. It is only supported when EnableManagedSpotTraining "
                "is set to true"
            )
        return
    if wait is None:
        raise ValidationError(
            "EnableManagedSpotTraining needs StoppingCondition.MaxWaitTimeInSeconds: how long the "
            "job may wait for spot capacity and run, interruptions included"
        )
    runtime = stopping.get("MaxRuntimeInSeconds", 86400)
    if wait < runtime:
        raise ValidationError(
            f"StoppingCondition.MaxWaitTimeInSeconds ({wait}) must be greater than or equal to "
            f"MaxRuntimeInSeconds ({runtime})"
        )


def check_algorithm(spec: dict[str, Any]) -> None:
    """TrainingImage or AlgorithmName, exactly one; algorithm resources do not exist locally."""
    if spec.get("TrainingImage") and spec.get("AlgorithmName"):
        raise ValidationError("AlgorithmSpecification: give TrainingImage or AlgorithmName, not both")
    if spec.get("AlgorithmName"):
        raise ValidationError(
            f"AlgorithmSpecification.AlgorithmName {spec['AlgorithmName']!r}: the local backend has "
            "no algorithm resources (CreateAlgorithm, AWS Marketplace); give the algorithm's "
            "TrainingImage instead (SageMaker's built-in XGBoost image runs locally)"
        )
    if not spec.get("TrainingImage"):
        raise ValidationError("AlgorithmSpecification: TrainingImage or AlgorithmName is required")


def check_builtin(request: dict[str, Any]) -> None:
    """A built-in algorithm's image without ``sagemaker_program`` runs the algorithm: it must be
    installed here."""
    builtin = builtin_for(request)
    if builtin is None:
        return
    problem = builtin.missing()
    if problem:
        raise ValidationError(f"AlgorithmSpecification.TrainingImage: {problem}")
    if len(toolkit.hosts(request)) > 1:  # each host would train alone: a different model
        raise ValidationError(
            f"ResourceConfig: the local built-in {builtin.name} runs on one instance; its "
            "distributed training across instances is not emulated"
        )


def check_instances(resources: dict[str, Any]) -> None:
    """At least one instance; ``InstanceGroups`` instead of InstanceType and InstanceCount, with
    distinct names."""
    groups = resources.get("InstanceGroups")
    if not groups:
        if resources.get("InstanceCount", 1) < 1:
            raise ValidationError(
                "ResourceConfig.InstanceCount: a training job needs at least 1 instance (got "
                f"{resources.get('InstanceCount')})"
            )
        return
    if resources.get("InstanceType") or resources.get("InstanceCount"):
        raise ValidationError(
            "ResourceConfig: give InstanceGroups or InstanceType and InstanceCount, not both"
        )
    names = [group["InstanceGroupName"] for group in groups]
    if len(set(names)) != len(names):
        raise ValidationError(f"ResourceConfig.InstanceGroups: group names must be unique: {names}")
    if sum(group["InstanceCount"] for group in groups) < 1:
        raise ValidationError("ResourceConfig.InstanceGroups: a training job needs at least 1 instance")


def check_group_channels(request: dict[str, Any]) -> None:
    """``S3DataSource.InstanceGroupNames`` must name groups of the job."""
    groups = {
        g["InstanceGroupName"] for g in (request.get("ResourceConfig") or {}).get("InstanceGroups") or []
    }
    for channel in request.get("InputDataConfig") or []:
        named = ((channel.get("DataSource") or {}).get("S3DataSource") or {}).get("InstanceGroupNames")
        if named and not set(named) <= groups:
            raise ValidationError(
                f"InputDataConfig {channel['ChannelName']!r}: InstanceGroupNames {named} must be "
                f"among ResourceConfig.InstanceGroups {sorted(groups)}"
            )
