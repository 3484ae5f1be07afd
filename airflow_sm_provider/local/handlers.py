"""One function per SageMaker operation: unpack the validated request, call the backend, pack the
response. No rules live here; they belong to the backend.

Each handler receives the backend, the request parameters (already validated against botocore's
input shape, timestamps as datetimes) and the region the caller signed for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_sm_provider.local.backend import LocalBackend

Handler = Callable[[LocalBackend, dict[str, Any], str], "dict[str, Any] | None"]
HANDLERS: dict[str, Handler] = {}


def handles(operation: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[operation] = func
        return func

    return register


# training jobs ---------------------------------------------------------------------------------
@handles("CreateTrainingJob")
def create_training_job(backend: LocalBackend, params: dict[str, Any], region: str) -> dict[str, Any]:
    return {"TrainingJobArn": backend.training.create_training_job(params, region=region)}


@handles("DescribeTrainingJob")
def describe_training_job(backend: LocalBackend, params: dict[str, Any], region: str) -> dict[str, Any]:
    return backend.training.describe_training_job(params["TrainingJobName"])


@handles("StopTrainingJob")
def stop_training_job(backend: LocalBackend, params: dict[str, Any], region: str) -> None:
    backend.training.stop_training_job(params["TrainingJobName"])


@handles("ListTrainingJobs")
def list_training_jobs(backend: LocalBackend, params: dict[str, Any], region: str) -> dict[str, Any]:
    return backend.training.list_training_jobs(params)


# tuning jobs (the tuning engine) ---------------------------------------------------------------
@handles("CreateHyperParameterTuningJob")
def create_tuning_job(backend: LocalBackend, params: dict[str, Any], region: str) -> dict[str, Any]:
    return {"HyperParameterTuningJobArn": backend.tuning.create(params)}


@handles("DescribeHyperParameterTuningJob")
def describe_tuning_job(backend: LocalBackend, params: dict[str, Any], region: str) -> dict[str, Any]:
    return backend.tuning.describe(params["HyperParameterTuningJobName"])


@handles("StopHyperParameterTuningJob")
def stop_tuning_job(backend: LocalBackend, params: dict[str, Any], region: str) -> None:
    backend.tuning.stop(params["HyperParameterTuningJobName"])


@handles("ListHyperParameterTuningJobs")
def list_tuning_jobs(backend: LocalBackend, params: dict[str, Any], region: str) -> dict[str, Any]:
    return backend.tuning.list(params)


@handles("ListTrainingJobsForHyperParameterTuningJob")
def list_tuning_trials(backend: LocalBackend, params: dict[str, Any], region: str) -> dict[str, Any]:
    return backend.tuning.list_training_jobs(params)


# models ----------------------------------------------------------------------------------------
@handles("CreateModel")
def create_model(backend: LocalBackend, params: dict[str, Any], region: str) -> dict[str, Any]:
    return {"ModelArn": backend.models.create(params, region)}


@handles("DescribeModel")
def describe_model(backend: LocalBackend, params: dict[str, Any], region: str) -> dict[str, Any]:
    return backend.models.describe(params["ModelName"])


@handles("DeleteModel")
def delete_model(backend: LocalBackend, params: dict[str, Any], region: str) -> None:
    backend.models.delete(params["ModelName"])


# model registry: package groups and versioned packages ------------------------------------------
@handles("CreateModelPackageGroup")
def create_model_package_group(backend: LocalBackend, params: dict[str, Any], region: str) -> dict[str, Any]:
    return {"ModelPackageGroupArn": backend.model_packages.create_group(params, region)}


@handles("DescribeModelPackageGroup")
def describe_model_package_group(
    backend: LocalBackend, params: dict[str, Any], region: str
) -> dict[str, Any]:
    return backend.model_packages.describe_group(params["ModelPackageGroupName"])


@handles("ListModelPackageGroups")
def list_model_package_groups(backend: LocalBackend, params: dict[str, Any], region: str) -> dict[str, Any]:
    return backend.model_packages.list_groups(params)


@handles("DeleteModelPackageGroup")
def delete_model_package_group(backend: LocalBackend, params: dict[str, Any], region: str) -> None:
    backend.model_packages.delete_group(params["ModelPackageGroupName"])


@handles("CreateModelPackage")
def create_model_package(backend: LocalBackend, params: dict[str, Any], region: str) -> dict[str, Any]:
    return {"ModelPackageArn": backend.model_packages.create_package(params, region)}


@handles("DescribeModelPackage")
def describe_model_package(backend: LocalBackend, params: dict[str, Any], region: str) -> dict[str, Any]:
    return backend.model_packages.describe_package(params["ModelPackageName"])


@handles("ListModelPackages")
def list_model_packages(backend: LocalBackend, params: dict[str, Any], region: str) -> dict[str, Any]:
    return backend.model_packages.list_packages(params)


@handles("UpdateModelPackage")
def update_model_package(backend: LocalBackend, params: dict[str, Any], region: str) -> dict[str, Any]:
    return {"ModelPackageArn": backend.model_packages.update_package(params)}


@handles("DeleteModelPackage")
def delete_model_package(backend: LocalBackend, params: dict[str, Any], region: str) -> None:
    backend.model_packages.delete_package(params["ModelPackageName"])


# tags ------------------------------------------------------------------------------------------
@handles("AddTags")
def add_tags(backend: LocalBackend, params: dict[str, Any], region: str) -> dict[str, Any]:
    return {"Tags": backend.tags.add(params["ResourceArn"], params["Tags"])}


@handles("ListTags")
def list_tags(backend: LocalBackend, params: dict[str, Any], region: str) -> dict[str, Any]:
    return backend.tags.list(params)
