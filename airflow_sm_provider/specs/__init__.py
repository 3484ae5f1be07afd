"""Typed builders for SageMaker training and tuning requests.

Optional: operators take the boto3 request dict as well. A spec's ``to_request()`` writes the
API's PascalCase keys by hand (``VolumeSizeInGB``), so what it renders is exactly what boto3
sends. Specs are mutable attrs classes with ``template_fields``: nested inside an operator's
templated ``config``, their string fields are rendered by Airflow like any other.

Example::

    spec = TrainingJobSpec(
        name="churn-{{ ds_nodash }}",
        role_arn="arn:aws:iam::123456789012:role/SageMaker",
        algorithm=AlgorithmSpecification(training_image=IMAGE, metric_definitions=[
            MetricDefinition(name="validation:rmse", regex="rmse=([0-9.]+)")]),
        channels=[Channel(name="train", s3_uri="s3://bucket/train/")],
        output=OutputDataConfig(s3_output_path="s3://bucket/models/"),
        resources=ResourceConfig(instance_type="ml.m5.xlarge"),
        hyperparameters={"max_depth": 5, "eta": 0.2},
    )
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from airflow_sm_provider.specs._base import Spec
from airflow_sm_provider.specs.algorithm import AlgorithmSpecification, MetricDefinition
from airflow_sm_provider.specs.data import Channel, CheckpointConfig, OutputDataConfig
from airflow_sm_provider.specs.enums import (
    CompressionType,
    EarlyStopping,
    InputMode,
    ObjectiveType,
    S3DataDistribution,
    S3DataType,
    ScalingType,
    Strategy,
    WarmStartType,
)
from airflow_sm_provider.specs.job import TrainingSettings
from airflow_sm_provider.specs.ranges import CategoricalRange, ContinuousRange, IntegerRange, ParameterRange
from airflow_sm_provider.specs.resources import ResourceConfig, StoppingCondition, VpcConfig
from airflow_sm_provider.specs.training import TrainingJobSpec
from airflow_sm_provider.specs.tuning import TrainingJobDefinition, TuningJobSpec
from airflow_sm_provider.specs.tuning_config import (
    CompletionCriteria,
    HyperbandStrategyConfig,
    Objective,
    ResourceLimits,
    WarmStart,
)

__all__ = [
    "AlgorithmSpecification",
    "CategoricalRange",
    "Channel",
    "CheckpointConfig",
    "CompletionCriteria",
    "CompressionType",
    "ContinuousRange",
    "EarlyStopping",
    "HyperbandStrategyConfig",
    "InputMode",
    "IntegerRange",
    "MetricDefinition",
    "Objective",
    "ObjectiveType",
    "OutputDataConfig",
    "ParameterRange",
    "ResourceConfig",
    "ResourceLimits",
    "S3DataDistribution",
    "S3DataType",
    "ScalingType",
    "Spec",
    "StoppingCondition",
    "Strategy",
    "TrainingJobDefinition",
    "TrainingJobSpec",
    "TrainingSettings",
    "TuningJobSpec",
    "VpcConfig",
    "WarmStart",
    "WarmStartType",
    "render_request",
]


def render_request(config: Spec | Mapping[str, Any]) -> dict[str, Any]:
    """The boto3 request for an operator's ``config``: a spec's ``to_request()``, or a deep copy of a dict.

    :param config: A :class:`Spec` (usually :class:`TrainingJobSpec` or :class:`TuningJobSpec`)
        or a request dict as boto3 takes it.
    """
    if isinstance(config, Mapping):
        return copy.deepcopy(dict(config))
    to_request = getattr(config, "to_request", None)
    if callable(to_request):
        return to_request()
    raise TypeError(f"config must be a request dict or a spec, got {type(config).__name__}")
