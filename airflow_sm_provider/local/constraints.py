"""The service model's constraints that botocore's ``ParamValidator`` leaves out, applied at the API.

``ParamValidator`` checks types, required members and minimums. SageMaker also refuses values
above a shape's ``max`` (string and list lengths, map sizes: 100 hyperparameters of at most
256-character keys and 2500-character values, for instance; numbers above their maximum) and
strings that do not match the shape's ``pattern`` (``ChannelName``, model names, URIs ...). This
walks a decoded request with its shape and reports each violation as SageMaker words it, naming
the field and never the value (values may be secrets).

Patterns must match the whole value, as the service applies them (Java's ``matches``); the few
written in Java-only syntax (``\\p{L}`` classes, UTF-16 surrogate ranges: tag keys, customer
metadata) are skipped.
S3 URI fields (pattern ``(https|s3)://...``) are left to the training rules, which also take
the local backend's documented extension, an absolute ``file:///`` URI.

Beyond the model, what a process cannot carry is refused here rather than failing the job
later as an internal error: NUL in any string, ``=`` in a hyperparameter name.
"""

from __future__ import annotations

import functools
import re
from typing import Any

FAILED = "Value at '{path}' failed to satisfy constraint: {rule}"
HYPERPARAMETER_KEYS = frozenset({"HyperParameterKey", "ParameterKey"})


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # Java-only syntax: left to the shape's other checks
        return None


def _is_s3_uri(pattern: str) -> bool:
    return pattern.removeprefix("^").startswith(("(https|s3)://", "(s3|https)://"))


def check(value: Any, shape: Any, path: str = "") -> list[str]:
    """Every violation of ``shape``'s maximums and patterns in ``value`` (decoded request)."""
    errors: list[str] = []
    _walk(value, shape, path, errors)
    return errors


def _walk(value: Any, shape: Any, path: str, errors: list[str]) -> None:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for key, item in value.items():
            if key in shape.members:
                member = key[:1].lower() + key[1:]  # the service names fields in lowerCamelCase
                _walk(item, shape.members[key], f"{path}.{member}" if path else member, errors)
    elif kind == "list" and isinstance(value, list):
        _maximum(len(value), shape, path, errors, "have length")
        for index, item in enumerate(value):
            _walk(item, shape.member, f"{path}[{index}]", errors)
    elif kind == "map" and isinstance(value, dict):
        _map(value, shape, path, errors)
    elif kind == "string" and isinstance(value, str):
        _string(value, shape, path, errors)
    elif kind in ("integer", "long", "float", "double") and isinstance(value, (int, float)):
        _maximum(value, shape, path, errors, "be")


def _map(value: dict[Any, Any], shape: Any, path: str, errors: list[str]) -> None:
    _maximum(len(value), shape, path, errors, "have number of entries")
    for key, item in value.items():
        _walk(key, shape.key, f"{path} (key)", errors)
        if isinstance(key, str) and shape.key.name in HYPERPARAMETER_KEYS and "=" in key:
            errors.append(FAILED.format(path=path, rule="a hyperparameter name may not contain '='"))
        named = isinstance(key, str) and len(key) <= 256 and "\0" not in key
        _walk(item, shape.value, f"{path}.{key}" if named else path, errors)


def _maximum(number: float, shape: Any, path: str, errors: list[str], what: str) -> None:
    limit = shape.metadata.get("max")
    if limit is not None and number > limit:
        errors.append(FAILED.format(path=path, rule=f"Member must {what} less than or equal to {limit}"))


def _string(value: str, shape: Any, path: str, errors: list[str]) -> None:
    if "\0" in value:
        errors.append(FAILED.format(path=path, rule="Member must not contain NUL characters"))
        return
    limit = shape.metadata.get("max")
    if limit is not None and len(value) > limit:
        rule = f"Member must have length less than or equal to {limit}"
        errors.append(FAILED.format(path=path, rule=rule))
        return
    pattern = shape.metadata.get("pattern")
    if not pattern or _is_s3_uri(pattern):  # URIs: the storage rules (file:// allowed, absolute)
        return
    compiled = _compiled(pattern)
    if compiled is not None and compiled.fullmatch(value) is None:
        rule = f"Member must satisfy regular expression pattern: {pattern}"
        errors.append(FAILED.format(path=path, rule=rule))
