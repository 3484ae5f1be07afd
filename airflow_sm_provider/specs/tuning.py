"""A hyperparameter tuning job: the CreateHyperParameterTuningJob request."""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import attrs

from airflow_sm_provider.specs._base import Spec, api_value, stringify_hyperparameter, tag_list
from airflow_sm_provider.specs.enums import EarlyStopping, Strategy
from airflow_sm_provider.specs.job import TrainingSettings
from airflow_sm_provider.specs.ranges import ParameterRange, ranges_to_request
from airflow_sm_provider.specs.tuning_config import (
    CompletionCriteria,
    HyperbandStrategyConfig,
    Objective,
    ResourceLimits,
    WarmStart,
)


@attrs.define(kw_only=True, repr=False)
class TrainingJobDefinition(TrainingSettings):
    """The training jobs a tuning job launches.

    Takes every parameter of :class:`~airflow_sm_provider.specs.job.TrainingSettings`, plus:

    :param static_hyperparameters: Hyperparameters that stay fixed across the search.
    :param definition_name: Name of the definition, needed when a tuning job has several.
    :param ranges: Ranges of this definition (tuning jobs with several definitions); a tuning
        job with one definition usually puts them on :class:`TuningJobSpec` instead.
    :param objective: Objective of this definition (several definitions only).
    """

    static_hyperparameters: dict[str, Any] = attrs.Factory(dict)
    definition_name: str | None = None
    ranges: list[ParameterRange] = attrs.Factory(list)
    objective: Objective | None = None

    template_fields: ClassVar[tuple[str, ...]] = (
        "static_hyperparameters",
        "definition_name",
        "ranges",
        "objective",
        *TrainingSettings.template_fields,
    )

    def to_request(self) -> dict[str, Any]:
        request: dict[str, Any] = {}
        if self.definition_name:
            request["DefinitionName"] = self.definition_name
        if self.objective is not None:
            request["TuningObjective"] = self.objective.to_request()
        if self.ranges:
            request["HyperParameterRanges"] = ranges_to_request(self.ranges)
        if self.static_hyperparameters:
            request["StaticHyperParameters"] = {
                key: stringify_hyperparameter(value) for key, value in self.static_hyperparameters.items()
            }
        request.update(self._settings_request(self.algorithm.to_tuning_request()))
        return request


@attrs.define(kw_only=True, repr=False)
class TuningJobSpec(Spec):
    """A SageMaker hyperparameter tuning job; ``to_request()`` returns its request.

    Give exactly one of ``training`` and ``definitions``.

    :param resource_limits: Budget of the search.
    :param training: The training job definition.
    :param definitions: Several training job definitions (each with a ``definition_name``).
    :param name: Tuning job name (at most 32 characters); leave it out to let the operator
        derive a deterministic one.
    :param strategy: Bayesian, Random, Grid or Hyperband.
    :param objective: The metric to optimise (per definition when there are several).
    :param ranges: Hyperparameter ranges to search.
    :param early_stopping: Off or Auto.
    :param hyperband: Hyperband settings (Hyperband strategy only).
    :param completion_criteria: When to stop before the budget is spent.
    :param random_seed: Seed of the search, for reproducible suggestions.
    :param warm_start: Earlier tuning jobs to learn from.
    :param tags: Tags of the tuning job, as a ``{key: value}`` dict.
    :param extra: CreateHyperParameterTuningJob members this spec does not model (``Autotune``),
        added as given; a member the spec writes itself is refused.
    """

    resource_limits: ResourceLimits
    training: TrainingJobDefinition | None = None
    definitions: list[TrainingJobDefinition] = attrs.Factory(list)
    name: str | None = None
    strategy: Strategy | str = Strategy.BAYESIAN
    objective: Objective | None = None
    ranges: list[ParameterRange] = attrs.Factory(list)
    early_stopping: EarlyStopping | str | None = None
    hyperband: HyperbandStrategyConfig | None = None
    completion_criteria: CompletionCriteria | None = None
    random_seed: int | None = None
    warm_start: WarmStart | None = None
    tags: dict[str, str] = attrs.Factory(dict)
    extra: dict[str, Any] = attrs.Factory(dict)

    template_fields: ClassVar[tuple[str, ...]] = (
        "name",
        "objective",
        "resource_limits",
        "ranges",
        "training",
        "definitions",
        "warm_start",
        "tags",
    )

    def to_request(self) -> dict[str, Any]:
        if (self.training is None) == (not self.definitions):
            raise ValueError("give exactly one of training and definitions")
        request: dict[str, Any] = {}
        if self.name:
            request["HyperParameterTuningJobName"] = self.name
        request["HyperParameterTuningJobConfig"] = self._config_request()
        if self.training is not None:
            request["TrainingJobDefinition"] = self.training.to_request()
        else:
            request["TrainingJobDefinitions"] = [definition.to_request() for definition in self.definitions]
        if self.warm_start is not None:
            request["WarmStartConfig"] = self.warm_start.to_request()
        if tags := tag_list(self.tags):
            request["Tags"] = tags
        clashes = sorted(request.keys() & self.extra.keys())
        if clashes:
            raise ValueError(f"extra repeats members the spec writes itself: {', '.join(clashes)}")
        return {**request, **copy.deepcopy(self.extra)}

    def _config_request(self) -> dict[str, Any]:
        config: dict[str, Any] = {"Strategy": api_value(self.strategy)}
        if self.hyperband is not None:
            config["StrategyConfig"] = {"HyperbandStrategyConfig": self.hyperband.to_request()}
        if self.objective is not None:
            config["HyperParameterTuningJobObjective"] = self.objective.to_request()
        config["ResourceLimits"] = self.resource_limits.to_request()
        if self.ranges:
            config["ParameterRanges"] = ranges_to_request(self.ranges)
        if self.early_stopping is not None:
            config["TrainingJobEarlyStoppingType"] = api_value(self.early_stopping)
        if self.completion_criteria is not None:
            config["TuningJobCompletionCriteria"] = self.completion_criteria.to_request()
        if self.random_seed is not None:
            config["RandomSeed"] = self.random_seed
        return config
