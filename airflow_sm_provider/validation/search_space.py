"""Rules for a tuning job's search space and strategy.

The size of a grid is counted arithmetically (the product of the ranges' sizes), never by
building it: three integer ranges of 0..999 are 10^9 points, which the local backend's grid
sampler would try to hold in memory. SageMaker documents (Automatic Model Tuning resource
limits, not adjustable) at most :data:`MAX_TRAINING_JOBS` training jobs per tuning job for the
Bayesian, Hyperband and Grid strategies, "either specified explicitly or inferred from the
search space" for Grid, so a larger grid could never run: it is refused here, before anything
enumerates it. Random search may be raised to :data:`MAX_RANDOM_TRAINING_JOBS` by a quota
increase, so that is its cap.
"""

from __future__ import annotations

from typing import Any

from airflow_sm_provider.validation import credentials
from airflow_sm_provider.validation.problem import Problem
from airflow_sm_provider.validation.values import as_dict, as_list, to_float, to_int

MAX_TUNED_HYPERPARAMETERS = 30
MAX_TRAINING_JOBS = 750
MAX_RANDOM_TRAINING_JOBS = 10_000
RANGE_KINDS = ("IntegerParameterRanges", "ContinuousParameterRanges", "CategoricalParameterRanges")
CONFIG = "HyperParameterTuningJobConfig"


def range_problems(ranges: dict[str, Any], path: str, strategy: Any) -> list[Problem]:
    """Bounds, scaling and strategy rules for one ParameterRanges object."""
    problems: list[Problem] = []
    seen: set[str] = set()
    total = 0
    for kind in RANGE_KINDS:
        for index, item in enumerate(as_list(ranges.get(kind))):
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
    if strategy == "Grid" and as_list(ranges.get("ContinuousParameterRanges")):
        problems.append(
            Problem(
                f"{path}.ContinuousParameterRanges",
                "not allowed with the Grid strategy (use categorical or integer ranges)",
            )
        )
    return problems


def range_names(ranges: dict[str, Any]) -> dict[str, str]:
    """Each tuned hyperparameter's name -> the path of its range, relative to ``ranges``."""
    names: dict[str, str] = {}
    for kind in RANGE_KINDS:
        for index, item in enumerate(as_list(ranges.get(kind))):
            name = as_dict(item).get("Name")
            if isinstance(name, str):
                names.setdefault(name, f"{kind}[{index}]")
    return names


def grid_size(ranges: dict[str, Any]) -> int | None:
    """Distinct combinations a grid search enumerates, or ``None`` if it cannot be counted.

    Arithmetic only: an integer range adds a factor ``MaxValue - MinValue + 1`` however large.
    """
    size = 1
    counted = False
    for item in as_list(ranges.get("CategoricalParameterRanges")):
        values = as_list(as_dict(item).get("Values"))
        if not values:
            return None
        size *= len({str(value) for value in values})
        counted = True
    for item in as_list(ranges.get("IntegerParameterRanges")):
        low, high = to_int(as_dict(item).get("MinValue")), to_int(as_dict(item).get("MaxValue"))
        if low is None or high is None or high < low:
            return None
        size *= high - low + 1
        counted = True
    return size if counted else None


def strategy_problems(config: dict[str, Any], grid_sizes: list[int | None]) -> list[Problem]:
    """Rules tying the strategy to its settings, resource limits and (for Grid) the grid size."""
    problems = _hyperband_problems(config) + _trial_cap_problems(config)
    if config.get("Strategy") == "Grid":
        problems += _grid_problems(config, grid_sizes)
    return problems


def _hyperband_problems(config: dict[str, Any]) -> list[Problem]:
    strategy = config.get("Strategy")
    problems = []
    if strategy == "Hyperband" and config.get("TrainingJobEarlyStoppingType") == "Auto":
        problems.append(
            Problem(
                f"{CONFIG}.TrainingJobEarlyStoppingType",
                "must be Off with the Hyperband strategy (Hyperband stops training jobs early itself)",
            )
        )
    hyperband = as_dict(config.get("StrategyConfig")).get("HyperbandStrategyConfig")
    if hyperband is None:
        return problems
    field = f"{CONFIG}.StrategyConfig.HyperbandStrategyConfig"
    if strategy != "Hyperband":
        problems.append(Problem(field, "only allowed with the Hyperband strategy"))
    low, high = as_dict(hyperband).get("MinResource"), as_dict(hyperband).get("MaxResource")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        problems.append(Problem(f"{field}.MinResource", "must be less than or equal to MaxResource"))
    return problems


def _trial_cap_problems(config: dict[str, Any]) -> list[Problem]:
    requested = as_dict(config.get("ResourceLimits")).get("MaxNumberOfTrainingJobs")
    cap = MAX_RANDOM_TRAINING_JOBS if config.get("Strategy") == "Random" else MAX_TRAINING_JOBS
    if isinstance(requested, int) and not isinstance(requested, bool) and requested > cap:
        return [
            Problem(
                f"{CONFIG}.ResourceLimits.MaxNumberOfTrainingJobs",
                f"at most {cap} training jobs per tuning job with the {config.get('Strategy')} strategy "
                f"(SageMaker's limit), got {requested}",
            )
        ]
    return []


def _grid_problems(config: dict[str, Any], grid_sizes: list[int | None]) -> list[Problem]:
    if any(size is None for size in grid_sizes):
        return [Problem(f"{CONFIG}.ParameterRanges", "the Grid strategy needs categorical or integer ranges")]
    sizes = [size for size in grid_sizes if size is not None]
    if any(size > MAX_TRAINING_JOBS for size in sizes):
        return [
            Problem(
                f"{CONFIG}.ParameterRanges",
                f"the grid has {max(sizes)} combinations; SageMaker runs at most {MAX_TRAINING_JOBS} "
                "training jobs per Grid tuning job (narrow the ranges or use Random or Bayesian)",
            )
        ]
    requested = as_dict(config.get("ResourceLimits")).get("MaxNumberOfTrainingJobs")
    if len(sizes) == 1 and isinstance(requested, int) and requested != sizes[0]:
        return [
            Problem(
                f"{CONFIG}.ResourceLimits.MaxNumberOfTrainingJobs",
                "with the Grid strategy must be omitted or equal the number of distinct "
                f"combinations ({sizes[0]})",
            )
        ]
    return []


def _categorical_problems(item: dict[str, Any], field: str, name: Any) -> list[Problem]:
    problems = []
    for index, value in enumerate(as_list(item.get("Values"))):
        if isinstance(name, str) and credentials.looks_like_credential(name, value):
            problems.append(Problem(f"{field}.Values[{index}]", credentials.RULE))
    return problems


def _bounds_problems(item: dict[str, Any], field: str, *, integer: bool) -> list[Problem]:
    parse = to_int if integer else to_float
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
    return problems + _scaling_problems(item.get("ScalingType"), field, low, high, integer=integer)


def _scaling_problems(
    scaling: Any, field: str, low: float | None, high: float | None, *, integer: bool
) -> list[Problem]:
    if scaling == "Logarithmic" and low is not None and low <= 0:
        return [Problem(f"{field}.MinValue", "must be greater than 0 with Logarithmic scaling")]
    if scaling != "ReverseLogarithmic":
        return []
    if integer:
        return [Problem(f"{field}.ScalingType", "ReverseLogarithmic applies to continuous ranges only")]
    if (low is not None and low < 0) or (high is not None and high >= 1):
        return [Problem(field, "ReverseLogarithmic scaling needs 0 <= MinValue and MaxValue < 1")]
    return []
