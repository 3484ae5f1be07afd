"""Validation of SageMaker requests before any API call.

The operators call ``normalize_*`` on the rendered request, then ``validate_*`` on the result::

    request = normalize_training_request(render_request(self.config))
    local = not is_aws_endpoint(self.hook.conn.meta.endpoint_url)
    validate_training_request(request, local_endpoint=local)   # raises ConfigValidationError

Normalising returns a new dict: hyperparameter numbers become strings, numbers that Jinja
rendered as strings go back to numbers where the service model wants them. Validating runs
botocore's ``ParamValidator`` (:mod:`.shape`), then every length, range, enum and string pattern
the service model declares (:mod:`.constraints`, patterns translated from Java by
:mod:`.patterns`), then SageMaker's documented rules across fields (:mod:`.rules`,
:mod:`.job_settings`, :mod:`.search_space`, :mod:`.credentials`). Every problem is reported in
one :class:`~airflow_sm_provider.exceptions.ConfigValidationError`; messages name fields and
rules, never hyperparameter or Environment values.

``local_endpoint`` says whether the job's SageMaker endpoint is not AWS (the local backend):
only then are ``file://`` URIs accepted in S3 URI fields. It defaults to ``False``, which
refuses them, since a ``file://`` URI can never work on AWS.
"""

from __future__ import annotations

from typing import Any

from airflow_sm_provider.exceptions import ConfigValidationError
from airflow_sm_provider.validation import rules
from airflow_sm_provider.validation.endpoints import is_aws_endpoint
from airflow_sm_provider.validation.shape import (
    MODEL_OPERATION,
    TRAINING_OPERATION,
    TUNING_OPERATION,
    Problem,
    normalize,
    shape_problems,
)

__all__ = [
    "Problem",
    "is_aws_endpoint",
    "normalize_training_request",
    "normalize_tuning_request",
    "validate_model_request",
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


def validate_training_request(request: dict[str, Any], *, local_endpoint: bool = False) -> None:
    """Raise :class:`ConfigValidationError` listing every problem of a CreateTrainingJob request.

    :param local_endpoint: True when the job's SageMaker endpoint is not AWS (see the module
        docstring); ``file://`` URIs are refused unless it is.
    """
    _require_dict(request)
    _raise_if_any(
        shape_problems(request, TRAINING_OPERATION, local_endpoint=local_endpoint)
        + rules.training_problems(request)
    )


def validate_tuning_request(request: dict[str, Any], *, local_endpoint: bool = False) -> None:
    """Raise :class:`ConfigValidationError` listing every problem of a tuning job request.

    :param local_endpoint: as for :func:`validate_training_request`.
    """
    _require_dict(request)
    _raise_if_any(
        shape_problems(request, TUNING_OPERATION, local_endpoint=local_endpoint)
        + rules.tuning_problems(request)
    )


def validate_model_request(request: dict[str, Any], *, local_endpoint: bool = False) -> None:
    """Raise :class:`ConfigValidationError` listing every problem of a CreateModel request.

    :param local_endpoint: as for :func:`validate_training_request` (``ModelDataUrl`` is a
        ``file://`` URI when the model comes from the local backend).
    """
    _require_dict(request)
    _raise_if_any(
        shape_problems(request, MODEL_OPERATION, local_endpoint=local_endpoint)
        + rules.model_problems(request)
    )


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
