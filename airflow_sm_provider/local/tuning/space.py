"""Search spaces: SageMaker ``ParameterRanges`` as optuna distributions.

A training job definition's ranges become a :class:`DefinitionSpace`, an immutable tuple of
:class:`Param` values; a tuning job's :class:`SearchSpace` holds one per definition. A Param knows
its optuna distribution, how to render a sampled value as the hyperparameter string the training
job receives (and ``TunedHyperParameters`` reports), and how to read such a string back (warm
start).

Scaling (SageMaker's ``ScalingType``):

- ``Linear`` and ``Auto``: uniform on [min, max]. SageMaker's Auto picks a scale by itself; we
  always pick Linear, the one a user can predict (set Logarithmic explicitly for rates).
- ``Logarithmic``: log-uniform; needs min > 0.
- ``ReverseLogarithmic`` (continuous only, 0 <= min < max < 1): optuna samples u = 1 - x
  log-uniformly on [1 - max, 1 - min], so values crowd towards 1 (momentum, decay rates). The
  optuna parameter holds u; the hyperparameter is 1 - u.

With several definitions the optuna parameter names are ``<DefinitionName>:<name>`` and a
categorical ``_definition`` parameter picks the definition, a conditional space that TPE (with
``group=True``) and random sampling handle.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from airflow_sm_provider.local import limits
from airflow_sm_provider.local.errors import ValidationError

DEFINITION_KEY = "_definition"


@dataclasses.dataclass(frozen=True)
class Param:
    """One tuned hyperparameter.

    :param name: the hyperparameter name the training job sees.
    :param key: the optuna parameter name (``name``, or ``<definition>:<name>``).
    :param kind: ``integer``, ``continuous`` or ``categorical``.
    :param distribution: what optuna samples (for reverse-log: u = 1 - x).
    :param reverse: True for ReverseLogarithmic scaling.
    """

    name: str
    key: str
    kind: str
    distribution: BaseDistribution
    reverse: bool = False

    def to_hp(self, internal: Any) -> str:
        """The hyperparameter string for a sampled (internal) value, as SageMaker formats it."""
        if self.kind == "integer":
            return str(int(internal))
        if self.kind == "continuous":
            return repr(float(1.0 - internal if self.reverse else internal))
        return str(internal)

    def from_hp(self, text: str) -> Any | None:
        """The internal value for a hyperparameter string, or None if it is outside this range."""
        try:
            if self.kind == "integer":
                number = float(text)
                if number != int(number):
                    return None
                value: Any = int(number)
            elif self.kind == "continuous":
                value = float(text)
                if self.reverse:
                    value = 1.0 - value
            else:
                value = text
        except ValueError:
            return None
        return value if _contains(self.distribution, value) else None

    def grid_count(self) -> int:
        """How many values :meth:`grid_values` has, without listing them."""
        dist = self.distribution
        if isinstance(dist, IntDistribution):
            return dist.high - dist.low + 1
        if isinstance(dist, CategoricalDistribution):
            return len(dist.choices)
        raise ValidationError(f"Grid search does not support the continuous range {self.name!r}")

    def grid_values(self) -> list[Any]:
        """Every value of this range (Grid strategy: integer and categorical ranges only)."""
        dist = self.distribution
        if isinstance(dist, IntDistribution):
            return list(range(dist.low, dist.high + 1))
        if isinstance(dist, CategoricalDistribution):
            return list(dist.choices)
        raise ValidationError(f"Grid search does not support the continuous range {self.name!r}")


def _contains(dist: BaseDistribution, value: Any) -> bool:
    if isinstance(dist, CategoricalDistribution):
        return value in dist.choices
    return dist.low <= value <= dist.high  # type: ignore[attr-defined]


@dataclasses.dataclass(frozen=True)
class DefinitionSpace:
    """The tuned parameters of one training job definition."""

    name: str | None
    params: tuple[Param, ...]

    def distributions(self) -> dict[str, BaseDistribution]:
        return {p.key: p.distribution for p in self.params}

    def tuned_hyperparameters(self, internal: dict[str, Any]) -> dict[str, str]:
        """``TunedHyperParameters`` for a trial's optuna params."""
        return {p.name: p.to_hp(internal[p.key]) for p in self.params}

    def encode(self, tuned: dict[str, str]) -> dict[str, Any] | None:
        """Optuna params for reported hyperparameters, or None if they do not fit this space."""
        if set(tuned) != {p.name for p in self.params}:
            return None
        internal = {}
        for p in self.params:
            value = p.from_hp(tuned[p.name])
            if value is None:
                return None
            internal[p.key] = value
        return internal


@dataclasses.dataclass(frozen=True)
class SearchSpace:
    """The whole tuning job's space: one :class:`DefinitionSpace` per training job definition."""

    definitions: tuple[DefinitionSpace, ...]

    @property
    def multi(self) -> bool:
        return len(self.definitions) > 1

    def definition_names(self) -> list[str]:
        return [d.name or "" for d in self.definitions]

    def definition_of(self, internal: dict[str, Any]) -> int:
        """Index of the definition a trial's params belong to."""
        if not self.multi:
            return 0
        return self.definition_names().index(internal[DEFINITION_KEY])

    def grid(self) -> dict[str, list[Any]]:
        """The GridSampler search space (single definition only); sized before it is listed,
        and refused above ``limits.MAX_GRID_POINTS``."""
        size = self.grid_size()
        if size > limits.MAX_GRID_POINTS:
            raise ValidationError(
                f"Grid search over {size} combinations: the local backend lists at most "
                f"{limits.MAX_GRID_POINTS}; narrow the ranges or use the Random or Bayesian strategy"
            )
        return {p.key: p.grid_values() for p in self.definitions[0].params}

    def grid_size(self) -> int:
        """The number of combinations, computed from the ranges' sizes (nothing materialised)."""
        if self.multi:
            raise ValidationError("Grid search supports a single training job definition")
        params = self.definitions[0].params
        if not params:
            raise ValidationError("Grid search needs at least one integer or categorical range")
        return math.prod(p.grid_count() for p in params)


def parse_space(definitions: list[dict[str, Any]], ranges_of: list[dict[str, Any]]) -> SearchSpace:
    """Build the search space from the definitions and their ``ParameterRanges`` (same order)."""
    multi = len(definitions) > 1
    spaces = []
    for definition, ranges in zip(definitions, ranges_of, strict=True):
        name = definition.get("DefinitionName")
        prefix = f"{name}:" if multi else ""
        spaces.append(DefinitionSpace(name=name, params=tuple(_parse_ranges(ranges or {}, prefix))))
    return SearchSpace(definitions=tuple(spaces))


def _parse_ranges(ranges: dict[str, Any], prefix: str) -> list[Param]:
    if ranges.get("AutoParameters"):
        raise ValidationError("AutoParameters (Autotune) is not supported by the local backend")
    params: list[Param] = []
    for item in ranges.get("IntegerParameterRanges", []):
        params.append(_numeric(item, prefix, integer=True))
    for item in ranges.get("ContinuousParameterRanges", []):
        params.append(_numeric(item, prefix, integer=False))
    for item in ranges.get("CategoricalParameterRanges", []):
        values = [str(v) for v in item["Values"]]
        if not values or len(set(values)) != len(values):
            raise ValidationError(f"Categorical range {item['Name']!r} needs distinct, non-empty Values")
        params.append(
            Param(item["Name"], prefix + item["Name"], "categorical", CategoricalDistribution(values))
        )
    names = [p.name for p in params]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValidationError(f"Hyperparameters appear in more than one range: {duplicates}")
    return params


def _numeric(item: dict[str, Any], prefix: str, *, integer: bool) -> Param:
    name = item["Name"]
    scaling = item.get("ScalingType", "Auto")
    kind = "integer" if integer else "continuous"
    try:
        low = float(item["MinValue"])
        high = float(item["MaxValue"])
    except ValueError:
        raise ValidationError(f"Range {name!r}: MinValue and MaxValue must be numbers") from None
    if integer and (low != int(low) or high != int(high)):
        raise ValidationError(f"Integer range {name!r}: MinValue and MaxValue must be integers")
    if not (math.isfinite(low) and math.isfinite(high)) or low > high:
        raise ValidationError(f"Range {name!r}: MinValue ({low:g}) must not exceed MaxValue ({high:g})")
    if scaling == "Logarithmic" and low <= 0:
        raise ValidationError(f"Range {name!r}: Logarithmic scaling needs MinValue > 0")
    if scaling == "ReverseLogarithmic":
        if integer:
            raise ValidationError(f"Range {name!r}: ReverseLogarithmic applies to continuous ranges only")
        if not (0 <= low < high < 1):
            raise ValidationError(f"Range {name!r}: ReverseLogarithmic needs 0 <= MinValue < MaxValue < 1")
        return Param(name, prefix + name, kind, FloatDistribution(1 - high, 1 - low, log=True), reverse=True)
    log = scaling == "Logarithmic"
    dist: BaseDistribution
    dist = IntDistribution(int(low), int(high), log=log) if integer else FloatDistribution(low, high, log=log)
    return Param(name, prefix + name, kind, dist)


def suggest(trial: Any, space: SearchSpace) -> dict[str, Any]:
    """Ask an optuna trial for one point of the space; returns its params (internal values)."""
    chosen = space.definitions[0]
    if space.multi:
        name = trial.suggest_categorical(DEFINITION_KEY, space.definition_names())
        chosen = space.definitions[space.definition_names().index(name)]
    for p in chosen.params:
        dist = p.distribution
        if isinstance(dist, IntDistribution):
            trial.suggest_int(p.key, dist.low, dist.high, log=dist.log)
        elif isinstance(dist, FloatDistribution):
            trial.suggest_float(p.key, dist.low, dist.high, log=dist.log)
        elif isinstance(dist, CategoricalDistribution):
            trial.suggest_categorical(p.key, list(dist.choices))
    return dict(trial.params)


def trial_distributions(space: SearchSpace, internal: dict[str, Any]) -> dict[str, BaseDistribution]:
    """The distributions of a trial's params (for ``optuna.trial.create_trial``)."""
    index = space.definition_of(internal)
    dists = space.definitions[index].distributions()
    if space.multi:
        dists[DEFINITION_KEY] = CategoricalDistribution(space.definition_names())
    return dists
