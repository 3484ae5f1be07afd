"""Rules for the settings of one training job.

A CreateTrainingJob request and each training job definition of a tuning job carry the same
settings (algorithm, metric definitions, channels, resources, stopping condition, spot), so
:func:`settings_problems` serves both; ``prefix`` is the path of the object holding them
(``""`` or ``"TrainingJobDefinitions[1]."``).
"""

from __future__ import annotations

import re
from typing import Any

from airflow_sm_provider.validation.problem import Problem
from airflow_sm_provider.validation.values import as_dict, as_list


def settings_problems(settings: dict[str, Any], prefix: str = "") -> list[Problem]:
    """Every rule below, for the settings held by ``settings``."""
    return (
        _algorithm_problems(
            as_dict(settings.get("AlgorithmSpecification")), f"{prefix}AlgorithmSpecification"
        )
        + _channel_problems(as_list(settings.get("InputDataConfig")), f"{prefix}InputDataConfig")
        + _resource_problems(as_dict(settings.get("ResourceConfig")), f"{prefix}ResourceConfig")
        + _tuning_resource_problems(
            as_dict(settings.get("HyperParameterTuningResourceConfig")),
            f"{prefix}HyperParameterTuningResourceConfig",
        )
        + _stopping_problems(settings, prefix)
    )


def _algorithm_problems(spec: dict[str, Any], path: str) -> list[Problem]:
    if not spec:
        return []
    problems = _metric_problems(as_list(spec.get("MetricDefinitions")), f"{path}.MetricDefinitions")
    has_image, has_name = bool(spec.get("TrainingImage")), bool(spec.get("AlgorithmName"))
    if has_image and has_name:
        problems.append(Problem(f"{path}.AlgorithmName", "give TrainingImage or AlgorithmName, not both"))
    elif not has_image and not has_name:
        problems.append(Problem(f"{path}.TrainingImage", "required (or AlgorithmName)"))
    return problems


def _metric_problems(definitions: list[Any], path: str) -> list[Problem]:
    """SageMaker reads a metric's value from the first capture group of its regex on each log line."""
    problems = []
    for index, definition in enumerate(definitions):
        regex = as_dict(definition).get("Regex")
        if not isinstance(regex, str):
            continue
        field = f"{path}[{index}].Regex"
        try:
            compiled = re.compile(regex)
        except re.error as err:
            problems.append(Problem(field, f"is not a valid regular expression ({err})"))
            continue
        if compiled.groups == 0:
            problems.append(Problem(field, "needs a capture group around the value, e.g. loss=([0-9.]+)"))
    return problems


def _channel_problems(channels: list[Any], path: str) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for index, channel in enumerate(channels):
        name = as_dict(channel).get("ChannelName")
        if not isinstance(name, str):
            continue
        if name in seen:
            problems.append(
                Problem(f"{path}[{index}].ChannelName", f"channel {name!r} is defined more than once")
            )
        seen.add(name)
    return problems


def _resource_problems(resources: dict[str, Any], path: str) -> list[Problem]:
    if not resources:
        return []
    if resources.get("InstanceGroups"):
        clashing = [key for key in ("InstanceType", "InstanceCount") if key in resources]
        if clashing:
            return [
                Problem(
                    f"{path}.InstanceGroups",
                    f"give InstanceGroups or {'/'.join(clashing)}, not both (a heterogeneous cluster "
                    "is described by its instance groups only)",
                )
            ]
        return []
    count = resources.get("InstanceCount")
    if isinstance(count, int) and not isinstance(count, bool) and count < 1:
        return [Problem(f"{path}.InstanceCount", "must be at least 1")]
    return []


def _tuning_resource_problems(resources: dict[str, Any], path: str) -> list[Problem]:
    if not resources.get("InstanceConfigs"):
        return []
    clashing = [key for key in ("InstanceType", "InstanceCount", "VolumeSizeInGB") if key in resources]
    if clashing:
        return [Problem(f"{path}.InstanceConfigs", f"give InstanceConfigs or {'/'.join(clashing)}, not both")]
    return []


def _stopping_problems(settings: dict[str, Any], prefix: str) -> list[Problem]:
    stopping = as_dict(settings.get("StoppingCondition"))
    field = f"{prefix}StoppingCondition.MaxWaitTimeInSeconds"
    runtime, wait = stopping.get("MaxRuntimeInSeconds"), stopping.get("MaxWaitTimeInSeconds")
    spot = settings.get("EnableManagedSpotTraining") is True
    if spot and wait is None:
        return [
            Problem(field, "required with EnableManagedSpotTraining (how long to wait for spot capacity)")
        ]
    if wait is not None and not spot:
        return [Problem(field, "only allowed with EnableManagedSpotTraining: true")]
    if isinstance(runtime, int) and isinstance(wait, int) and wait < runtime:
        return [Problem(field, "must be greater than or equal to MaxRuntimeInSeconds")]
    return []
