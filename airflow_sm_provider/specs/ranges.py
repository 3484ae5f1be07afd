"""Hyperparameter ranges a tuning job searches.

A tuning spec takes one flat list of ranges; :func:`ranges_to_request` groups them into the
API's ``ParameterRanges`` object. Bounds and values are written as strings, as the API wants.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import attrs

from airflow_sm_provider.specs._base import Spec, api_value, stringify_hyperparameter
from airflow_sm_provider.specs.enums import ScalingType


@attrs.define(kw_only=True, repr=False)
class IntegerRange(Spec):
    """An integer hyperparameter searched between two bounds (inclusive).

    :param name: Hyperparameter name.
    :param min_value: Lower bound.
    :param max_value: Upper bound.
    :param scaling: Auto, Linear or Logarithmic (ReverseLogarithmic is for continuous ranges).
    """

    kind: ClassVar[str] = "IntegerParameterRanges"

    name: str
    min_value: int | str
    max_value: int | str
    scaling: ScalingType | str | None = None

    template_fields: ClassVar[tuple[str, ...]] = ("name", "min_value", "max_value")

    def to_request(self) -> dict[str, Any]:
        return _bounded(self.name, self.min_value, self.max_value, self.scaling)


@attrs.define(kw_only=True, repr=False)
class ContinuousRange(Spec):
    """A real-valued hyperparameter searched between two bounds.

    :param name: Hyperparameter name.
    :param min_value: Lower bound.
    :param max_value: Upper bound.
    :param scaling: Auto, Linear, Logarithmic (bounds > 0) or ReverseLogarithmic (0 <= bounds < 1).
    """

    kind: ClassVar[str] = "ContinuousParameterRanges"

    name: str
    min_value: float | str
    max_value: float | str
    scaling: ScalingType | str | None = None

    template_fields: ClassVar[tuple[str, ...]] = ("name", "min_value", "max_value")

    def to_request(self) -> dict[str, Any]:
        return _bounded(self.name, self.min_value, self.max_value, self.scaling)


@attrs.define(kw_only=True, repr=False)
class CategoricalRange(Spec):
    """A hyperparameter chosen among listed values.

    :param name: Hyperparameter name.
    :param values: The candidate values (rendered as strings).
    """

    kind: ClassVar[str] = "CategoricalParameterRanges"

    name: str
    values: list[Any]

    template_fields: ClassVar[tuple[str, ...]] = ("name", "values")

    def to_request(self) -> dict[str, Any]:
        return {"Name": self.name, "Values": [stringify_hyperparameter(value) for value in self.values]}


ParameterRange = IntegerRange | ContinuousRange | CategoricalRange


def ranges_to_request(ranges: Sequence[ParameterRange]) -> dict[str, list[dict[str, Any]]]:
    """Group ranges into a ``ParameterRanges`` object, keeping their order within each kind."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for item in ranges:
        grouped.setdefault(item.kind, []).append(item.to_request())
    return grouped


def _bounded(name: str, low: Any, high: Any, scaling: Any) -> dict[str, Any]:
    request = {
        "Name": name,
        "MinValue": stringify_hyperparameter(low),
        "MaxValue": stringify_hyperparameter(high),
    }
    if scaling is not None:
        request["ScalingType"] = api_value(scaling)
    return request
