"""SageMaker's rules for CreateHyperParameterTuningJob, checked before any side effect.

botocore has already checked shapes and types (the handlers validate input first); this module
checks what the service model cannot express: one of ``TrainingJobDefinition`` /
``TrainingJobDefinitions``, an objective per definition whose metric is one of its
MetricDefinitions, ``MaxParallelTrainingJobs <= MaxNumberOfTrainingJobs``, range bounds and
scaling, strategy rules (Grid, Hyperband), and warm start parents. Every error names the field.
"""

from __future__ import annotations

import re
from typing import Any

from airflow_sm_provider.local.algorithms import builtin_for
from airflow_sm_provider.local.errors import ValidationError
from airflow_sm_provider.local.training.rules import check_job_settings
from airflow_sm_provider.local.tuning import strategies
from airflow_sm_provider.local.tuning.space import SearchSpace, parse_space
from airflow_sm_provider.local.tuning.trials import OBJECTIVE_HYPERPARAMETER, objective_of, ranges_of

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$")
MAX_DEFINITIONS = 10
MAX_PARENTS = 5


def definitions_of(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The request's training job definitions as a list, checking that exactly one form is used."""
    single = request.get("TrainingJobDefinition")
    many = request.get("TrainingJobDefinitions")
    if bool(single) == bool(many):
        raise ValidationError("Specify exactly one of TrainingJobDefinition and TrainingJobDefinitions")
    if many:
        if len(many) > MAX_DEFINITIONS:
            raise ValidationError(f"TrainingJobDefinitions: at most {MAX_DEFINITIONS} definitions")
        names = [d.get("DefinitionName") for d in many]
        if len(many) > 1 and (None in names or len(set(names)) != len(names)):
            raise ValidationError("TrainingJobDefinitions: each needs a distinct DefinitionName")
        return list(many)
    return [request["TrainingJobDefinition"]]


def validate_create(request: dict[str, Any]) -> SearchSpace:
    """Check a CreateHyperParameterTuningJob request; return its search space."""
    name = request["HyperParameterTuningJobName"]
    if not NAME_PATTERN.match(name):
        raise ValidationError(
            f"HyperParameterTuningJobName {name!r} must be 1-32 letters, digits or hyphens, "
            "starting and ending with a letter or digit"
        )
    if request.get("Autotune"):
        raise ValidationError("Autotune is not supported by the local backend; give the ranges and strategy")
    config = request["HyperParameterTuningJobConfig"]
    definitions = definitions_of(request)
    _check_objectives(config, definitions)
    for definition in definitions:
        check_job_settings(definition)
    space = parse_space(definitions, [ranges_of(config, d) for d in definitions])
    for definition, dspace in zip(definitions, space.definitions, strict=True):
        static = definition.get("StaticHyperParameters") or {}
        clash = sorted({p.name for p in dspace.params} & set(static))
        if clash:
            raise ValidationError(f"Hyperparameters both static and tuned: {clash}")
        if OBJECTIVE_HYPERPARAMETER in static:
            raise ValidationError(f"StaticHyperParameters must not set {OBJECTIVE_HYPERPARAMETER}")
    static_hps = [d.get("StaticHyperParameters") or {} for d in definitions]
    strategies.validate_strategy(config, space, static_hps)
    _check_limits(config, space)
    warm = request.get("WarmStartConfig")
    if warm is not None and not 1 <= len(warm["ParentHyperParameterTuningJobs"]) <= MAX_PARENTS:
        raise ValidationError(f"WarmStartConfig: between 1 and {MAX_PARENTS} parent tuning jobs")
    return space


def budget_of(config: dict[str, Any], space: SearchSpace) -> int:
    """How many training jobs the job may launch (Grid: the grid size when no limit is given)."""
    limit = config["ResourceLimits"].get("MaxNumberOfTrainingJobs")
    if config["Strategy"] == "Grid":
        size = space.grid_size()
        return size if limit is None else min(limit, size)
    if limit is None:
        raise ValidationError("ResourceLimits.MaxNumberOfTrainingJobs is required unless Strategy is Grid")
    return int(limit)


def _check_limits(config: dict[str, Any], space: SearchSpace) -> None:
    limits = config["ResourceLimits"]
    budget_of(config, space)
    most = limits.get("MaxNumberOfTrainingJobs")
    if most is not None and limits["MaxParallelTrainingJobs"] > most:
        raise ValidationError(
            f"ResourceLimits.MaxParallelTrainingJobs ({limits['MaxParallelTrainingJobs']}) must not "
            f"exceed MaxNumberOfTrainingJobs ({most})"
        )


def _check_objectives(config: dict[str, Any], definitions: list[dict[str, Any]]) -> None:
    types = set()
    for index, definition in enumerate(definitions):
        where = definition.get("DefinitionName") or f"definition {index}"
        try:
            objective = objective_of(config, definition)
        except KeyError:
            raise ValidationError(
                f"{where}: needs TuningObjective or "
                "HyperParameterTuningJobConfig.HyperParameterTuningJobObjective"
            ) from None
        types.add(objective["Type"])
        metrics = [m["Name"] for m in definition["AlgorithmSpecification"].get("MetricDefinitions") or []]
        builtin = builtin_for(definition)
        if builtin is not None and not metrics:  # a built-in algorithm's own metrics
            metrics = list(builtin.directions)
        if objective["MetricName"] not in metrics:
            raise ValidationError(
                f"{where}: the objective metric {objective['MetricName']!r} is not among "
                f"AlgorithmSpecification.MetricDefinitions {metrics}"
            )
    if len(types) > 1:
        raise ValidationError("All training job definitions must share one objective Type")
