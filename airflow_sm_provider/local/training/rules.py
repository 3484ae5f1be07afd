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
from airflow_sm_provider.local.errors import ValidationError
from airflow_sm_provider.local.training import scriptmode, storage
from airflow_sm_provider.local.training.metrics import compile_definitions

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


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
