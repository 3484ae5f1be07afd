"""SageMaker's documented rules that the service model cannot express.

Each function takes the (normalised) request and returns :class:`Problem` values; none raises.
A field with the wrong type is botocore's to report, so rules skip what they cannot read.
String patterns, lengths and ranges are the service model's and are checked by
:mod:`.constraints`, never here. This module holds the rules across fields: hyperparameters,
tags, and a tuning job's definitions and objectives; :mod:`.job_settings` has those of one
training job's settings and :mod:`.search_space` those of the search.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from airflow_sm_provider.validation import credentials
from airflow_sm_provider.validation.job_settings import settings_problems
from airflow_sm_provider.validation.problem import Problem
from airflow_sm_provider.validation.search_space import (
    CONFIG,
    grid_size,
    range_names,
    range_problems,
    strategy_problems,
)
from airflow_sm_provider.validation.values import as_dict, as_list

__all__ = [
    "grid_size",
    "hyperparameter_problems",
    "model_problems",
    "range_problems",
    "tag_problems",
    "training_problems",
    "tuning_problems",
]

MAX_HYPERPARAMETERS = 100
MAX_HYPERPARAMETER_LENGTH = 256
RESERVED_TAG_PREFIX = "aws:"
_OBJECTIVE = f"{CONFIG}.HyperParameterTuningJobObjective"


def training_problems(request: dict[str, Any]) -> list[Problem]:
    """Rules for a CreateTrainingJob request."""
    return (
        hyperparameter_problems(request.get("HyperParameters"), "HyperParameters")
        + settings_problems(request)
        + tag_problems(request.get("Tags"))
    )


def model_problems(request: dict[str, Any]) -> list[Problem]:
    """Rules for a CreateModel request."""
    return tag_problems(request.get("Tags"))


def tuning_problems(request: dict[str, Any]) -> list[Problem]:
    """Rules for a CreateHyperParameterTuningJob request."""
    config = as_dict(request.get(CONFIG))
    shared_ranges = as_dict(config.get("ParameterRanges"))
    strategy = config.get("Strategy")
    problems = tag_problems(request.get("Tags"))
    if shared_ranges:
        problems += range_problems(shared_ranges, f"{CONFIG}.ParameterRanges", strategy)
    definitions = list(_definitions(request, problems))
    grid_sizes: list[int | None] = []
    for path, definition in definitions:
        own_ranges = as_dict(definition.get("HyperParameterRanges"))
        if own_ranges:
            problems += range_problems(own_ranges, f"{path}.HyperParameterRanges", strategy)
        ranges_path = f"{path}.HyperParameterRanges" if own_ranges else f"{CONFIG}.ParameterRanges"
        ranges = own_ranges or shared_ranges
        problems += hyperparameter_problems(
            definition.get("StaticHyperParameters"),
            f"{path}.StaticHyperParameters",
            tuned=frozenset(range_names(ranges)),
        )
        problems += _static_and_tuned_problems(definition, path, ranges, ranges_path)
        problems += settings_problems(definition, f"{path}.")
        problems += _metric_name_problems(config, definition, path)
        grid_sizes.append(grid_size(ranges))
    problems += _definition_name_problems(request.get("TrainingJobDefinitions"))
    problems += _objective_problems(config, definitions)
    problems += _limit_problems(config)
    problems += strategy_problems(config, grid_sizes)
    return problems


def hyperparameter_problems(
    hyperparameters: Any, path: str, tuned: frozenset[str] = frozenset()
) -> list[Problem]:
    """Count, value length and credential rules for a HyperParameters-like map.

    ``tuned`` names the tuned hyperparameters, which count towards the limit. Key lengths and
    patterns are the service model's (:mod:`.constraints`).
    """
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
        if isinstance(value, str) and len(value) > MAX_HYPERPARAMETER_LENGTH:
            problems.append(Problem(field, f"value longer than {MAX_HYPERPARAMETER_LENGTH} characters"))
        if credentials.looks_like_credential(key_text, value):
            problems.append(Problem(field, credentials.RULE))
    return problems


def tag_problems(tags: Any, path: str = "Tags") -> list[Problem]:
    """AWS reserves tag keys starting with ``aws:`` (in any case) for its own use."""
    problems = []
    for index, tag in enumerate(as_list(tags)):
        key = as_dict(tag).get("Key")
        if isinstance(key, str) and key.lower().startswith(RESERVED_TAG_PREFIX):
            problems.append(
                Problem(f"{path}[{index}].Key", "must not start with 'aws:' (reserved for AWS's own tags)")
            )
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
    for index, definition in enumerate(as_list(several)):
        if isinstance(definition, dict):
            yield f"TrainingJobDefinitions[{index}]", definition


def _static_and_tuned_problems(
    definition: dict[str, Any], path: str, ranges: dict[str, Any], ranges_path: str
) -> list[Problem]:
    static = as_dict(definition.get("StaticHyperParameters"))
    return [
        Problem(
            f"{path}.StaticHyperParameters.{name[:32]}",
            f"is also tuned ({ranges_path}.{range_path}); a hyperparameter is either static or tuned",
        )
        for name, range_path in range_names(ranges).items()
        if name in static
    ]


def _definition_name_problems(definitions: Any) -> list[Problem]:
    items = [as_dict(item) for item in as_list(definitions)]
    if len(items) < 2:
        return []
    problems = []
    seen: set[str] = set()
    for index, definition in enumerate(items):
        field = f"TrainingJobDefinitions[{index}].DefinitionName"
        name = definition.get("DefinitionName")
        if name is None:
            problems.append(Problem(field, "required when there are several training job definitions"))
        elif name in seen:
            problems.append(Problem(field, f"must be unique; {name!r} names an earlier definition"))
        if isinstance(name, str):
            seen.add(name)
    return problems


def _objectives(
    config: dict[str, Any], definitions: list[tuple[str, dict[str, Any]]]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, objective) for the job's objective and each definition's own one."""
    if config.get("HyperParameterTuningJobObjective") is not None:
        yield _OBJECTIVE, as_dict(config["HyperParameterTuningJobObjective"])
    for path, definition in definitions:
        if definition.get("TuningObjective") is not None:
            yield f"{path}.TuningObjective", as_dict(definition["TuningObjective"])


def _objective_problems(
    config: dict[str, Any], definitions: list[tuple[str, dict[str, Any]]]
) -> list[Problem]:
    problems = []
    has_job_objective = config.get("HyperParameterTuningJobObjective") is not None
    if not has_job_objective and any(
        definition.get("TuningObjective") is None for _, definition in definitions
    ):
        problems.append(
            Problem(_OBJECTIVE, "required (or a TuningObjective in every training job definition)")
        )
    first_type: str | None = None
    for path, objective in _objectives(config, definitions):
        kind = objective.get("Type")
        if not isinstance(kind, str):
            continue
        if first_type is None:
            first_type = kind
        elif kind != first_type:
            problems.append(
                Problem(
                    f"{path}.Type", f"must be {first_type} like the other objectives (one direction per job)"
                )
            )
    return problems


def _metric_name_problems(config: dict[str, Any], definition: dict[str, Any], path: str) -> list[Problem]:
    if "TuningObjective" in definition:
        objective, objective_path = as_dict(definition.get("TuningObjective")), f"{path}.TuningObjective"
    else:
        objective, objective_path = as_dict(config.get("HyperParameterTuningJobObjective")), _OBJECTIVE
    metric = objective.get("MetricName")
    algorithm = as_dict(definition.get("AlgorithmSpecification"))
    defined = [as_dict(item).get("Name") for item in as_list(algorithm.get("MetricDefinitions"))]
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
    limits = as_dict(config.get("ResourceLimits"))
    total, parallel = limits.get("MaxNumberOfTrainingJobs"), limits.get("MaxParallelTrainingJobs")
    if isinstance(total, int) and isinstance(parallel, int) and parallel > total:
        return [
            Problem(
                f"{CONFIG}.ResourceLimits.MaxParallelTrainingJobs",
                "must be less than or equal to MaxNumberOfTrainingJobs",
            )
        ]
    return []
