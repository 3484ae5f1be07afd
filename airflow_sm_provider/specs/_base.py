"""What every spec shares: a compact repr and helpers for writing request dicts by hand."""

from __future__ import annotations

from enum import Enum
from typing import Any, ClassVar

import attrs

from airflow_sm_provider.validation.shape import stringify_hyperparameter

__all__ = ["Spec", "api_value", "compact", "keys_only", "stringify_hyperparameter", "tag_list"]


class Spec:
    """Base of the typed builders: ``to_request()`` spells the API's keys by hand.

    The repr lists only the fields that differ from their defaults, and shows values marked
    ``metadata={"redact": True}`` (environment variables) by key only.
    """

    __slots__ = ()
    template_fields: ClassVar[tuple[str, ...]] = ()

    def to_request(self) -> dict[str, Any]:
        raise NotImplementedError

    def __repr__(self) -> str:
        shown = []
        for field in attrs.fields(type(self)):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            if _is_default(field, value):
                continue
            text = keys_only(value) if field.metadata.get("redact") else repr(value)
            shown.append(f"{field.name}={text}")
        return f"{type(self).__name__}({', '.join(shown)})"


def _is_default(field: attrs.Attribute[Any], value: Any) -> bool:
    default: Any = field.default
    if default is attrs.NOTHING:
        return False
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return not default.takes_self and bool(value == default.factory())
    return bool(value == default)


def keys_only(mapping: Any) -> str:
    """``{'A': ..., 'B': ...}``: the keys of a mapping whose values must not be shown."""
    if not isinstance(mapping, dict):
        return "<redacted>"
    return "{" + ", ".join(f"{key!r}: ..." for key in mapping) + "}"


def api_value(value: Any) -> Any:
    """The wire value of an enum member; anything else (a rendered template string) as is."""
    return value.value if isinstance(value, Enum) else value


def compact(**members: Any) -> dict[str, Any]:
    """A request dict of the given PascalCase members, leaving out the ones that are ``None``."""
    return {key: api_value(value) for key, value in members.items() if value is not None}


def tag_list(tags: dict[str, str]) -> list[dict[str, str]] | None:
    """``{"team": "ml"}`` -> ``[{"Key": "team", "Value": "ml"}]``; ``None`` when empty."""
    return [{"Key": key, "Value": value} for key, value in tags.items()] or None
