"""One walk of a request against the traits botocore's ``ParamValidator`` leaves to the service.

``ParamValidator`` checks types, required members and minimums. SageMaker also enforces, and
its service model declares, maximum lengths, counts and values, map sizes, enums and string
``pattern`` traits. :func:`constraint_problems` checks all of them on every member of every
shape it reaches, so no field needs code of its own: a subnet id, an Environment key, a channel
name or a RoleArn is checked because the model says how it looks.

Two deliberate departures from the model:

* instance types newer than the installed botocore would fail the enum although SageMaker
  accepts them, so a value outside the enum is only required to look like one (``ml.<family>.<size>``);
* ``file://`` URIs in S3 URI fields (those whose pattern accepts ``s3://bucket/key``) are the
  local backend's documented stand-in for ``s3://``: accepted when ``local_endpoint`` is true,
  refused with :data:`FILE_URI_RULE` otherwise.

Messages name the field and the rule, never the value (hyperparameters and Environment values
may be secrets). Map keys are named, as the field path needs them, cut to 32 characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_sm_provider.validation.patterns import matcher
from airflow_sm_provider.validation.problem import Problem, join

if TYPE_CHECKING:
    from botocore.model import Shape

FILE_URI_RULE = (
    "file:// URIs work only with the local backend; this job's SageMaker endpoint is AWS, so use an s3:// URI"
)
_SAMPLE_S3_URI = "s3://bucket/key"
_INSTANCE_TYPE_FORM = re.compile(r"ml\.[a-z0-9][a-z0-9-]*\.[a-z0-9]+")
_NUMBER_TYPES = frozenset({"integer", "long", "float", "double"})
_KEY_PATH_LENGTH = 32

# Words for the model's most common patterns; any other pattern is quoted as it is.
_NAME_FAMILY = re.compile(r"\[a-zA-Z0-9\]\(-\*\[a-zA-Z0-9\]\)\{0,\d+\}")
_PATTERN_WORDS = {
    r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+": (
        "must be an IAM role ARN (arn:aws:iam::<12-digit account id>:role/<name>)"
    ),
    "(https|s3)://([^/]+)/?(.*)": "must be an s3:// (or https://) URI",
    ".*": "must be a single line (no line breaks)",
    ".+": "must be a single line (no line breaks)",
    "[a-zA-Z_][a-zA-Z0-9_]*": "must start with a letter or underscore and contain only letters, digits and _",
    r"[A-Za-z0-9\.\-_]+": "may contain only letters, digits, '.', '-' and '_'",
    "[-0-9a-zA-Z]+": "may contain only letters, digits and hyphens",
    "[a-zA-Z0-9:/_-]*": "may contain only letters, digits, ':', '/', '_' and '-' (a KMS key id or ARN)",
    r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)": "may contain only letters, digits, spaces and _ . : / = + - @",
}
_NAME_WORDS = "must start with a letter or digit and contain only letters, digits and hyphens"


@dataclass
class _Walk:
    local_endpoint: bool
    problems: list[Problem] = field(default_factory=list)

    def add(self, path: str, rule: str) -> None:
        self.problems.append(Problem(path, rule))


def constraint_problems(request: Any, shape: Shape, *, local_endpoint: bool = False) -> list[Problem]:
    """Every model constraint ``request`` breaks that ``ParamValidator`` does not check."""
    walk = _Walk(local_endpoint=local_endpoint)
    _check(request, shape, "", walk)
    return walk.problems


def describe_pattern(pattern: str) -> str:
    """The rule a pattern states, in words where it is a common one."""
    words = _NAME_WORDS if _NAME_FAMILY.fullmatch(pattern) else _PATTERN_WORDS.get(pattern)
    return f"{words} (pattern {pattern})" if words else f"must match the pattern {pattern}"


def is_s3_uri_pattern(pattern: str) -> bool:
    """Whether a pattern is an S3 URI field's, the fields where ``file://`` stands in locally."""
    compiled = matcher(pattern)
    return compiled is not None and compiled.fullmatch(_SAMPLE_S3_URI) is not None


def _check(value: Any, shape: Shape, path: str, walk: _Walk) -> None:
    kind = "number" if shape.type_name in _NUMBER_TYPES else shape.type_name
    checker = _CHECKERS.get(kind)
    if checker is not None:
        checker(value, shape, path, walk)


def _structure(value: Any, shape: Shape, path: str, walk: _Walk) -> None:
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        if key in shape.members:
            _check(item, shape.members[key], join(path, key), walk)


def _list(value: Any, shape: Shape, path: str, walk: _Walk) -> None:
    if not isinstance(value, (list, tuple)):
        return
    limit = shape.metadata.get("max")
    if limit is not None and len(value) > limit:
        walk.add(path, f"at most {limit} items allowed, got {len(value)}")
    for index, item in enumerate(value):
        _check(item, shape.member, f"{path}[{index}]", walk)


def _map(value: Any, shape: Shape, path: str, walk: _Walk) -> None:
    if not isinstance(value, dict):
        return
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if high is not None and len(value) > high:
        walk.add(path, f"at most {high} entries allowed, got {len(value)}")
    if low is not None and len(value) < low:
        walk.add(path, f"at least {low} entries needed, got {len(value)}")
    for key, item in value.items():
        key_path = join(path, str(key)[:_KEY_PATH_LENGTH])
        if isinstance(key, str):
            rule = _string_rule(key, shape.key, walk.local_endpoint)
            if rule:
                walk.add(key_path, f"key {rule}")
        _check(item, shape.value, join(path, str(key)), walk)


def _string(value: Any, shape: Shape, path: str, walk: _Walk) -> None:
    if isinstance(value, str):
        rule = _string_rule(value, shape, walk.local_endpoint)
        if rule:
            walk.add(path, rule)


def _number(value: Any, shape: Shape, path: str, walk: _Walk) -> None:
    limit = shape.metadata.get("max")
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if is_number and limit is not None and value > limit:
        walk.add(path, f"must be at most {limit}")


def _string_rule(value: str, shape: Shape, local_endpoint: bool) -> str | None:
    """The first rule a string breaks: length, then enum, then pattern (``None`` if none)."""
    limit = shape.metadata.get("max")
    if limit is not None and len(value) > limit:
        return f"must be at most {limit} characters, got {len(value)}"
    if shape.enum:
        return _enum_rule(value, shape)
    pattern = shape.metadata.get("pattern")
    if not pattern or len(value) < shape.metadata.get("min", 0):
        return None  # too short is ParamValidator's to report
    if value.startswith("file://") and is_s3_uri_pattern(pattern):
        return None if local_endpoint else FILE_URI_RULE
    compiled = matcher(pattern)
    if compiled is None or compiled.fullmatch(value):
        return None
    return describe_pattern(pattern)


def _enum_rule(value: str, shape: Shape) -> str | None:
    if value in shape.enum:
        return None
    # Instance-type enums grow with every new instance family; botocore older than the service
    # would refuse types SageMaker accepts, so only the form is checked.
    if shape.name.endswith("InstanceType"):
        if _INSTANCE_TYPE_FORM.fullmatch(value):
            return None
        return "must be an instance type such as ml.m5.xlarge (ml.<family>.<size>)"
    return f"must be one of: {', '.join(shape.enum)}"


_CHECKERS: dict[str, Callable[[Any, Shape, str, _Walk], None]] = {
    "structure": _structure,
    "list": _list,
    "map": _map,
    "string": _string,
    "number": _number,
}
