"""The unit every check reports: one broken rule at one field."""

from __future__ import annotations

from typing import NamedTuple


class Problem(NamedTuple):
    """One broken rule: ``field`` is a dotted path, ``rule`` plain words (never the value)."""

    field: str
    rule: str


def join(path: str, key: str) -> str:
    """``path.key``, or ``key`` at the top level."""
    return f"{path}.{key}" if path else key
