"""AWS JSON 1.1 as SageMaker speaks it: botocore's service model as the schema.

Requests are validated with botocore's own ``ParamValidator`` against the operation's input
shape, so a request the real service would reject for shape reasons is rejected here with the
field named. JSON carries timestamps as epoch seconds; they are turned into timezone-aware
datetimes (per the shape) before validation and before the backend sees them. Enum values are
checked too (``ParamValidator`` does not). Responses are JSON with datetimes as epoch seconds.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from typing import Any

from airflow_sm_provider.local import constraints
from airflow_sm_provider.local.errors import UnknownOperation, ValidationError

CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET_PREFIX = "SageMaker."


@functools.lru_cache(maxsize=1)
def service_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("sagemaker")


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    from botocore.validate import ParamValidator

    return ParamValidator()


def operation(name: str) -> Any:
    """The botocore ``OperationModel`` for ``name``, or ``UnknownOperation``."""
    if name not in service_model().operation_names:
        raise UnknownOperation(f"Unknown operation {name!r}")
    return service_model().operation_model(name)


def _to_datetime(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                return value
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def decode(value: Any, shape: Any, path: str, errors: list[str]) -> Any:
    """Return ``value`` with timestamps as datetimes; collect enum violations into ``errors``."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {
            key: decode(item, shape.members[key], f"{path}.{key}" if path else key, errors)
            if key in shape.members
            else item
            for key, item in value.items()
        }
    if kind == "list" and isinstance(value, list):
        return [decode(item, shape.member, f"{path}[{i}]", errors) for i, item in enumerate(value)]
    if kind == "map" and isinstance(value, dict):
        return {key: decode(item, shape.value, f"{path}.{key}", errors) for key, item in value.items()}
    if kind == "timestamp":
        try:
            return _to_datetime(value)
        except (OverflowError, OSError, ValueError):
            errors.append(f"Value at '{path}' failed to satisfy constraint: Member must be a valid timestamp")
            return None
    if kind == "string" and shape.enum and isinstance(value, str) and value not in shape.enum:
        errors.append(
            f"Value {value!r} at '{path}' failed to satisfy constraint: Member must satisfy enum "
            f"value set: [{', '.join(shape.enum)}]"
        )
    return value


def parse_request(op_name: str, body: dict[str, Any]) -> dict[str, Any]:
    """Decode and validate one request body; raise ``ValidationError`` naming every bad field."""
    shape = operation(op_name).input_shape
    if shape is None:
        return {}
    errors: list[str] = []
    params = decode(body, shape, "", errors)
    report = _validator().validate(params, shape)
    if report.has_errors():
        errors.insert(0, report.generate_report())
    errors.extend(constraints.check(params, shape))
    if errors:
        raise ValidationError("\n".join(errors))
    return params


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def encode(payload: dict[str, Any] | None) -> bytes:
    """Serialise a response (datetimes as epoch seconds, floats)."""
    return json.dumps(payload or {}, default=_default, separators=(",", ":")).encode()
