"""A trial's CreateTrainingJob request, built from its training job definition.

Each trial is an ordinary training job: named ``<tuning-job>-<NNN>-<8 hex>`` as SageMaker names
them, carrying the definition's algorithm, data, output, resources, stopping condition and
environment, the static hyperparameters plus the tuned ones plus ``_tuning_objective_metric``, and
the tuning job's tags plus :data:`TUNING_JOB_TAG` naming the tuning job (``aws:`` keys are
reserved by AWS, hence a plain key).
"""

from __future__ import annotations

import secrets
from typing import Any

TUNING_JOB_TAG = "sagemaker-local:tuning-job-name"
OBJECTIVE_HYPERPARAMETER = "_tuning_objective_metric"

# Definition fields that CreateTrainingJob takes under the same name and shape.
_COPIED = (
    "AlgorithmSpecification",
    "RoleArn",
    "InputDataConfig",
    "VpcConfig",
    "OutputDataConfig",
    "ResourceConfig",
    "StoppingCondition",
    "EnableNetworkIsolation",
    "EnableInterContainerTrafficEncryption",
    "EnableManagedSpotTraining",
    "CheckpointConfig",
    "RetryStrategy",
    "Environment",
)


def trial_name(job_name: str, number: int) -> str:
    """``<tuning-job>-<NNN>-<8 hex>``, e.g. ``mytune-001-1a2b3c4d``."""
    return f"{job_name}-{number:03d}-{secrets.token_hex(4)}"


def objective_of(config: dict[str, Any], definition: dict[str, Any]) -> dict[str, Any]:
    """The definition's ``TuningObjective``, else the job's ``HyperParameterTuningJobObjective``."""
    objective = definition.get("TuningObjective") or config.get("HyperParameterTuningJobObjective")
    if not objective:
        raise KeyError("no objective")
    return objective


def ranges_of(config: dict[str, Any], definition: dict[str, Any]) -> dict[str, Any]:
    """The definition's ``HyperParameterRanges``, else the job's ``ParameterRanges``."""
    return definition.get("HyperParameterRanges") or config.get("ParameterRanges") or {}


def build_request(
    *,
    name: str,
    job_name: str,
    config: dict[str, Any],
    definition: dict[str, Any],
    tuned: dict[str, str],
    tags: list[dict[str, str]],
) -> dict[str, Any]:
    """The CreateTrainingJob request for one trial (a new dict; the inputs are not modified)."""
    request: dict[str, Any] = {"TrainingJobName": name}
    for key in _COPIED:
        if key in definition:
            request[key] = definition[key]
    if "ResourceConfig" not in request and "HyperParameterTuningResourceConfig" in definition:
        request["ResourceConfig"] = _resource_config(definition["HyperParameterTuningResourceConfig"])
    hyperparameters = dict(definition.get("StaticHyperParameters") or {})
    hyperparameters.update(tuned)
    hyperparameters[OBJECTIVE_HYPERPARAMETER] = objective_of(config, definition)["MetricName"]
    request["HyperParameters"] = hyperparameters
    request["Tags"] = [t for t in tags if t["Key"] != TUNING_JOB_TAG] + [
        {"Key": TUNING_JOB_TAG, "Value": job_name}
    ]
    return request


def _resource_config(tuning: dict[str, Any]) -> dict[str, Any]:
    """A ResourceConfig from HyperParameterTuningResourceConfig (its first instance config)."""
    resource: dict[str, Any] = {}
    source = tuning["InstanceConfigs"][0] if tuning.get("InstanceConfigs") else tuning
    for key in ("InstanceType", "InstanceCount", "VolumeSizeInGB"):
        if key in source:
            resource[key] = source[key]
    if "VolumeKmsKeyId" in tuning:
        resource["VolumeKmsKeyId"] = tuning["VolumeKmsKeyId"]
    resource.setdefault("InstanceCount", 1)
    resource.setdefault("VolumeSizeInGB", 1)
    return resource
