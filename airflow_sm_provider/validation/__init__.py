"""Validation of SageMaker requests before any API call.

The operators call ``normalize_*`` on the rendered request, then ``validate_*`` on the result::

    request = normalize_training_request(render_request(self.config))
    validate_training_request(request)   # raises ConfigValidationError, no API call made

Normalising returns a new dict: hyperparameter numbers become strings, numbers that Jinja
rendered as strings go back to numbers where the service model wants them. Validating runs
botocore's ``ParamValidator`` and the model's maximums and enums (:mod:`.shape`), then
SageMaker's documented rules (:mod:`.rules`, :mod:`.credentials`). Every problem is reported in
one :class:`~airflow_sm_provider.exceptions.ConfigValidationError`; messages name fields and
rules, never hyperparameter or Environment values.
"""

from __future__ import annotations

from typing import Any

from airflow_sm_provider.exceptions import ConfigValidationError
from airflow_sm_provider.validation import rules
from airflow_sm_provider.validation.shape import (
    TRAINING_OPERATION,
    TUNING_OPERATION,
    Problem,
    normalize,
    shape_problems,
)

__all__ = [
    "Problem",
    "normalize_training_request",
    "normalize_tuning_request",
    "validate_training_request",
    "validate_tuning_request",
]


def normalize_training_request(request: dict[str, Any]) -> dict[str, Any]:
    """Return a normalised deep copy of a CreateTrainingJob request; ``request`` is not modified."""
    _require_dict(request)
    return normalize(request, TRAINING_OPERATION)


def normalize_tuning_request(request: dict[str, Any]) -> dict[str, Any]:
    """Return a normalised deep copy of a CreateHyperParameterTuningJob request."""
    _require_dict(request)
    return normalize(request, TUNING_OPERATION)


def validate_training_request(request: dict[str, Any]) -> None:
    """Raise :class:`ConfigValidationError` listing every problem of a CreateTrainingJob request."""
    _require_dict(request)
    _raise_if_any(shape_problems(request, TRAINING_OPERATION) + rules.training_problems(request))


def validate_tuning_request(request: dict[str, Any]) -> None:
    """Raise :class:`ConfigValidationError` listing every problem of a tuning job request."""
    _require_dict(request)
    _raise_if_any(shape_problems(request, TUNING_OPERATION) + rules.tuning_problems(request))


def _require_dict(request: Any) -> None:
    if not isinstance(request, dict):
        raise ConfigValidationError("config", f"must be a dict (or a spec), got {type(request).__name__}")


def _raise_if_any(problems: list[Problem]) -> None:
    # One problem per field: a value too long for both the model and SageMaker's documented
    # limit is reported once, with the first (model) rule.
    unique: dict[str, Problem] = {}
    for problem in problems:
        unique.setdefault(problem.field, problem)
    if not unique:
        return
    found = list(unique.values())
    error = ConfigValidationError(found[0].field, found[0].rule)
    error.errors = found  # type: ignore[attr-defined]
    if len(found) > 1:
        listed = "; ".join(f"{problem.field}: {problem.rule}" for problem in found)
        error.args = (f"Invalid SageMaker request ({len(found)} problems): {listed}",)
    raise error
