"""The request checked against botocore's SageMaker service model.

Two walks over an operation's input shape:

* :func:`normalize` undoes what Jinja does to numbers (``"3600"`` in an integer field becomes
  ``3600``) and turns hyperparameter numbers into the strings SageMaker requires;
* :func:`shape_problems` runs botocore's own ``ParamValidator`` (types, required fields, unknown
  keys, minimums) and adds the model constraints it leaves to the service (maximum lengths,
  counts and values, enums and string patterns: :mod:`.constraints`).

botocore is imported inside functions: the operators import this package at DAG-parse time.
"""

from __future__ import annotations

import copy
import functools
import math
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from airflow_sm_provider.validation.constraints import constraint_problems
from airflow_sm_provider.validation.problem import Problem, join

if TYPE_CHECKING:
    from botocore.model import Shape

TRAINING_OPERATION = "CreateTrainingJob"
TUNING_OPERATION = "CreateHyperParameterTuningJob"
MODEL_OPERATION = "CreateModel"

# String shapes whose values SageMaker hands to the training code as hyperparameters: the values
# of HyperParameters / StaticHyperParameters and the bounds and values of tuning ranges.
_HYPERPARAMETER_STRING_SHAPES = frozenset({"HyperParameterValue", "ParameterValue"})
_INTEGER_TYPES = frozenset({"integer", "long"})
_FLOAT_TYPES = frozenset({"float", "double"})
__all__ = [
    "MODEL_OPERATION",
    "TRAINING_OPERATION",
    "TUNING_OPERATION",
    "Problem",
    "normalize",
    "shape_problems",
]
_INTEGER_TEXT = re.compile(r"[+-]?\d+")
_BOTOCORE_MAP_KEY = re.compile(r" \(key: (?P<key>.*)\)$")


@functools.cache
def input_shape(operation: str) -> Shape:
    """The input shape of a SageMaker operation, loaded once per process."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    return model.operation_model(operation).input_shape


def stringify_hyperparameter(value: Any) -> Any:
    """Render a number or bool as SageMaker expects a hyperparameter; leave anything else alone.

    Booleans become ``"true"`` / ``"false"``; floats use Python's shortest round-trip form
    (``0.1`` -> ``"0.1"``). ``None`` is left for the validator to report.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    return value


def normalize(request: dict[str, Any], operation: str) -> dict[str, Any]:
    """Return a deep copy of ``request`` with scalar values coerced to the types of the model."""
    return _coerce(request, input_shape(operation))


def _coerce(value: Any, shape: Shape) -> Any:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {
            key: _coerce(item, members[key]) if key in members else copy.deepcopy(item)
            for key, item in value.items()
        }
    if kind == "list" and isinstance(value, (list, tuple)):
        return [_coerce(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: _coerce(item, shape.value) for key, item in value.items()}
    if kind == "string" and shape.name in _HYPERPARAMETER_STRING_SHAPES:
        return stringify_hyperparameter(value)
    if isinstance(value, str):
        return _parse_scalar(value, kind)
    return copy.deepcopy(value)


def _parse_scalar(text: str, kind: str) -> Any:
    """Parse a rendered template back into a number or bool when it parses cleanly."""
    stripped = text.strip()
    if kind in _INTEGER_TYPES and _INTEGER_TEXT.fullmatch(stripped):
        return int(stripped)
    if kind in _FLOAT_TYPES:
        try:
            number = float(stripped)
        except ValueError:
            return text
        return number if math.isfinite(number) else text
    if kind == "boolean" and stripped.lower() in ("true", "false"):
        return stripped.lower() == "true"
    return text


def shape_problems(request: Any, operation: str, *, local_endpoint: bool = False) -> list[Problem]:
    """Every violation of the service model in ``request``, botocore's checks first.

    :param local_endpoint: True when the job goes to a SageMaker endpoint that is not AWS (the
        local backend): ``file://`` URIs are then accepted in S3 URI fields. False (the safe
        default) refuses them.
    """
    from botocore.validate import ParamValidator

    shape = input_shape(operation)
    report = ParamValidator().validate(request, shape)
    # ValidationErrors keeps structured (reason, name, details) tuples; its text report embeds
    # the offending values, which may be secrets, so it is never used.
    problems = [_translate(reason, name, details) for reason, name, details in report._errors]
    return problems + constraint_problems(request, shape, local_endpoint=local_endpoint)


def _translate(reason: str, name: str, details: dict[str, Any]) -> Problem:
    path = _BOTOCORE_MAP_KEY.sub(lambda match: "." + match.group("key"), name).lstrip(".")
    if reason == "missing required field":
        return Problem(join(path, details["required_name"]), "required")
    if reason == "unknown field":
        valid = ", ".join(details["valid_names"])
        return Problem(join(path, details["unknown_param"]), f"unknown key (valid keys: {valid})")
    if reason == "invalid type":
        return Problem(
            path, f"must be {_type_words(details['valid_types'])}, got {_type_name(details['param'])}"
        )
    if reason == "invalid range":
        return Problem(path, f"must be at least {details['min_allowed']}")
    if reason == "invalid length":
        return Problem(path, f"must have a length of at least {details['min_allowed']}")
    return Problem(path or "request", reason)


_TYPE_WORDS = {
    "<class 'str'>": "a string",
    "<class 'int'>": "an integer",
    "<class 'bool'>": "a boolean",
    "<class 'float'>": "a number",
    "<class 'dict'>": "an object (dict)",
    "<class 'list'>": "a list",
}


def _type_words(valid_types: list[str]) -> str:
    words = [_TYPE_WORDS[name] for name in valid_types if name in _TYPE_WORDS]
    if not words:
        return " or ".join(valid_types)
    return words[0]


def _type_name(value: Any) -> str:
    return "None" if value is None else type(value).__name__
