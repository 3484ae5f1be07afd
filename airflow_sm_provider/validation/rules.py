"""SageMaker's documented rules that the service model cannot express.

Each function takes the (normalised) request and returns :class:`Problem` values; none raises.
A field with the wrong type is botocore's to report, so rules skip what they cannot read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from airflow_sm_provider.validation import credentials
from airflow_sm_provider.validation.shape import Problem

MAX_HYPERPARAMETERS = 100
MAX_HYPERPARAMETER_LENGTH = 256
MAX_TUNED_HYPERPARAMETERS = 30
_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*")
_NAME_RULE = "must start with a letter or digit and contain only letters, digits and hyphens"
_RANGE_KINDS = ("IntegerParameterRanges", "ContinuousParameterRanges", "CategoricalParameterRanges")
_CONFIG = "HyperParameterTuningJobConfig"


def training_problems(request: dict[str, Any]) -> list[Problem]:
    """Rules for a CreateTrainingJob request."""
    problems = _name_problems(request, "TrainingJobName")
    problems += hyperparameter_problems(request.get("HyperParameters"), "HyperParameters")
    problems += _algorithm_problems(request.get("AlgorithmSpecification"), "AlgorithmSpecification")
    problems += _stopping_problems(request.get("StoppingCondition"), "StoppingCondition")
    return problems


def tuning_problems(request: dict[str, Any]) -> list[Problem]:
    """Rules for a CreateHyperParameterTuningJob request."""
    problems = _name_problems(request, "HyperParameterTuningJobName")
    config = _dict(request.get(_CONFIG))
    shared_ranges = _dict(config.get("ParameterRanges"))
    strategy = config.get("Strategy")
    if shared_ranges:
        problems += range_problems(shared_ranges, f"{_CONFIG}.ParameterRanges", strategy)
    definitions = list(_definitions(request, problems))
    grid_sizes: list[int | None] = []
    for path, definition in definitions:
        own_ranges = _dict(definition.get("HyperParameterRanges"))
        if own_ranges:
            problems += range_problems(own_ranges, f"{path}.HyperParameterRanges", strategy)
        ranges = own_ranges or shared_ranges
        problems += _name_problems(definition, "DefinitionName", prefix=f"{path}.")
        problems += hyperparameter_problems(
            definition.get("StaticHyperParameters"),
            f"{path}.StaticHyperParameters",
            tuned=_range_names(ranges),
        )
        problems += _algorithm_problems(
            definition.get("AlgorithmSpecification"), f"{path}.AlgorithmSpecification"
        )
        problems += _stopping_problems(definition.get("StoppingCondition"), f"{path}.StoppingCondition")
        problems += _objective_problems(config, definition, path)
        grid_sizes.append(grid_size(ranges))
    problems += _limit_problems(config)
    problems += _strategy_problems(config, grid_sizes)
    return problems


def hyperparameter_problems(
    hyperparameters: Any, path: str, tuned: frozenset[str] = frozenset()
) -> list[Problem]:
    """Count, length and credential rules for a HyperParameters-like map; ``tuned`` names ranges."""
    if not isinstance(hyperparameters, dict):
        return []
    problems = []
    count = len(hyperparameters.keys() | tuned)
    if count > MAX_HYPERPARAMETERS:
        what = "static and tuned hyperparameters together" if tuned else "hyperparameters"
        problems.append(Problem(path, f"at most {MAX_HYPERPARAMETERS} {what}, got {count}"))
    for key, value in hyperparameters.items():
        key_text = str(key)
        field = f"{path}.{key_text[:32]}"
        if len(key_text) > MAX_HYPERPARAMETER_LENGTH:
            problems.append(Problem(field, f"key longer than {MAX_HYPERPARAMETER_LENGTH} characters"))
        if isinstance(value, str) and len(value) > MAX_HYPERPARAMETER_LENGTH:
            problems.append(Problem(field, f"value longer than {MAX_HYPERPARAMETER_LENGTH} characters"))
        if credentials.looks_like_credential(key_text, value):
            problems.append(Problem(field, credentials.RULE))
    return problems


def range_problems(ranges: dict[str, Any], path: str, strategy: Any) -> list[Problem]:
    """Bounds, scaling and strategy rules for one ParameterRanges object."""
    problems: list[Problem] = []
    seen: set[str] = set()
    total = 0
    for kind in _RANGE_KINDS:
        for index, item in enumerate(_list(ranges.get(kind))):
            if not isinstance(item, dict):
                continue
            total += 1
            field = f"{path}.{kind}[{index}]"
            name = item.get("Name")
            if isinstance(name, str):
                if name in seen:
                    problems.append(
                        Problem(f"{field}.Name", f"hyperparameter {name!r} has more than one range")
                    )
                seen.add(name)
            if kind == "CategoricalParameterRanges":
                problems += _categorical_problems(item, field, name)
            else:
                problems += _bounds_problems(item, field, integer=kind == "IntegerParameterRanges")
    if total > MAX_TUNED_HYPERPARAMETERS:
        problems.append(
            Problem(path, f"at most {MAX_TUNED_HYPERPARAMETERS} tuned hyperparameters, got {total}")
        )
    if strategy == "Grid" and _list(ranges.get("ContinuousParameterRanges")):
        problems.append(
            Problem(
                f"{path}.ContinuousParameterRanges",
                "not allowed with the Grid strategy (use categorical or integer ranges)",
            )
        )
    return problems


def grid_size(ranges: dict[str, Any]) -> int | None:
    """Distinct combinations a grid search enumerates, or ``None`` if it cannot be counted."""
    size = 1
    counted = False
    for item in _list(ranges.get("CategoricalParameterRanges")):
        values = _list(_dict(item).get("Values"))
        if not values:
            return None
        size *= len({str(value) for value in values})
        counted = True
    for item in _list(ranges.get("IntegerParameterRanges")):
        low, high = _integer(_dict(item).get("MinValue")), _integer(_dict(item).get("MaxValue"))
        if low is None or high is None or high < low:
            return None
        size *= high - low + 1
        counted = True
    return size if counted else None


def _categorical_problems(item: dict[str, Any], field: str, name: Any) -> list[Problem]:
    problems = []
    for index, value in enumerate(_list(item.get("Values"))):
        if isinstance(name, str) and credentials.looks_like_credential(name, value):
            problems.append(Problem(f"{field}.Values[{index}]", credentials.RULE))
    return problems


def _bounds_problems(item: dict[str, Any], field: str, *, integer: bool) -> list[Problem]:
    parse = _integer if integer else _number
    words = "an integer" if integer else "a number"
    bounds = {}
    problems = []
    for key in ("MinValue", "MaxValue"):
        raw = item.get(key)
        if isinstance(raw, str):
            bounds[key] = parse(raw)
            if bounds[key] is None:
                problems.append(Problem(f"{field}.{key}", f"must be {words} written as a string"))
    low, high = bounds.get("MinValue"), bounds.get("MaxValue")
    if low is not None and high is not None and low > high:
        problems.append(Problem(f"{field}.MinValue", "must be less than or equal to MaxValue"))
    scaling = item.get("ScalingType")
    if scaling == "Logarithmic" and low is not None and low <= 0:
        problems.append(Problem(f"{field}.MinValue", "must be greater than 0 with Logarithmic scaling"))
    if scaling == "ReverseLogarithmic":
        if integer:
            problems.append(
                Problem(f"{field}.ScalingType", "ReverseLogarithmic applies to continuous ranges only")
            )
        elif (low is not None and low < 0) or (high is not None and high >= 1):
            problems.append(Problem(field, "ReverseLogarithmic scaling needs 0 <= MinValue and MaxValue < 1"))
    return problems


def _definitions(request: dict[str, Any], problems: list[Problem]) -> Iterator[tuple[str, dict[str, Any]]]:
    single, several = request.get("TrainingJobDefinition"), request.get("TrainingJobDefinitions")
    if single is not None and several is not None:
        problems.append(
            Problem(
                "TrainingJobDefinitions", "give TrainingJobDefinition or TrainingJobDefinitions, not both"
            )
        )
    elif single is None and several is None:
        problems.append(Problem("TrainingJobDefinition", "required (or TrainingJobDefinitions)"))
    if isinstance(single, dict):
        yield "TrainingJobDefinition", single
    for index, definition in enumerate(_list(several)):
        if isinstance(definition, dict):
            yield f"TrainingJobDefinitions[{index}]", definition


def _name_problems(container: dict[str, Any], key: str, prefix: str = "") -> list[Problem]:
    name = container.get(key)
    if isinstance(name, str) and name and not _NAME.fullmatch(name):
        return [Problem(f"{prefix}{key}", _NAME_RULE)]
    return []


def _algorithm_problems(spec: Any, path: str) -> list[Problem]:
    if not isinstance(spec, dict):
        return []
    has_image, has_name = bool(spec.get("TrainingImage")), bool(spec.get("AlgorithmName"))
    if has_image and has_name:
        return [Problem(f"{path}.AlgorithmName", "give TrainingImage or AlgorithmName, not both")]
    if not has_image and not has_name:
        return [Problem(f"{path}.TrainingImage", "required (or AlgorithmName)")]
    return []


def _stopping_problems(stopping: Any, path: str) -> list[Problem]:
    stopping = _dict(stopping)
    runtime, wait = stopping.get("MaxRuntimeInSeconds"), stopping.get("MaxWaitTimeInSeconds")
    if isinstance(runtime, int) and isinstance(wait, int) and wait < runtime:
        return [
            Problem(f"{path}.MaxWaitTimeInSeconds", "must be greater than or equal to MaxRuntimeInSeconds")
        ]
    return []


def _objective_problems(config: dict[str, Any], definition: dict[str, Any], path: str) -> list[Problem]:
    if "TuningObjective" in definition:
        objective, objective_path = _dict(definition.get("TuningObjective")), f"{path}.TuningObjective"
    else:
        objective, objective_path = (
            _dict(config.get("HyperParameterTuningJobObjective")),
            (f"{_CONFIG}.HyperParameterTuningJobObjective"),
        )
    metric = objective.get("MetricName")
    algorithm = _dict(definition.get("AlgorithmSpecification"))
    defined = [_dict(item).get("Name") for item in _list(algorithm.get("MetricDefinitions"))]
    # Built-in algorithms define their metrics themselves; only custom definitions can be checked.
    if isinstance(metric, str) and defined and metric not in defined:
        listed = ", ".join(str(name) for name in defined)
        return [
            Problem(
                f"{objective_path}.MetricName",
                f"not among {path}.AlgorithmSpecification.MetricDefinitions (defined: {listed})",
            )
        ]
    return []


def _limit_problems(config: dict[str, Any]) -> list[Problem]:
    limits = _dict(config.get("ResourceLimits"))
    total, parallel = limits.get("MaxNumberOfTrainingJobs"), limits.get("MaxParallelTrainingJobs")
    if isinstance(total, int) and isinstance(parallel, int) and parallel > total:
        return [
            Problem(
                f"{_CONFIG}.ResourceLimits.MaxParallelTrainingJobs",
                "must be less than or equal to MaxNumberOfTrainingJobs",
            )
        ]
    return []


def _strategy_problems(config: dict[str, Any], grid_sizes: list[int | None]) -> list[Problem]:
    strategy = config.get("Strategy")
    problems = []
    if _dict(config.get("StrategyConfig")).get("HyperbandStrategyConfig") is not None:
        hyperband = _dict(_dict(config["StrategyConfig"]).get("HyperbandStrategyConfig"))
        field = f"{_CONFIG}.StrategyConfig.HyperbandStrategyConfig"
        if strategy != "Hyperband":
            problems.append(Problem(field, "only allowed with the Hyperband strategy"))
        low, high = hyperband.get("MinResource"), hyperband.get("MaxResource")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            problems.append(Problem(f"{field}.MinResource", "must be less than or equal to MaxResource"))
    if strategy == "Grid":
        if any(size is None for size in grid_sizes):
            problems.append(
                Problem(f"{_CONFIG}.ParameterRanges", "the Grid strategy needs categorical or integer ranges")
            )
        elif len(grid_sizes) == 1:
            requested = _dict(config.get("ResourceLimits")).get("MaxNumberOfTrainingJobs")
            if isinstance(requested, int) and requested != grid_sizes[0]:
                problems.append(
                    Problem(
                        f"{_CONFIG}.ResourceLimits.MaxNumberOfTrainingJobs",
                        f"with the Grid strategy must be omitted or equal the number of distinct "
                        f"combinations ({grid_sizes[0]})",
                    )
                )
    return problems


def _range_names(ranges: dict[str, Any]) -> frozenset[str]:
    names = (_dict(item).get("Name") for kind in _RANGE_KINDS for item in _list(ranges.get(kind)))
    return frozenset(name for name in names if isinstance(name, str))


def _integer(text: Any) -> int | None:
    try:
        return int(str(text).strip())
    except ValueError:
        return None


def _number(text: Any) -> float | None:
    try:
        number = float(str(text).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []
