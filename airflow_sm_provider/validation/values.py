"""Tolerant readers for rules: a field of the wrong type is botocore's to report, not theirs."""

from __future__ import annotations

import math
from typing import Any


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a dict, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` as a list if it is a list or tuple, else an empty one."""
    return list(value) if isinstance(value, (list, tuple)) else []


def to_int(text: Any) -> int | None:
    """An integer written as text (``" 3 "``), or ``None``."""
    try:
        return int(str(text).strip())
    except ValueError:
        return None


def to_float(text: Any) -> float | None:
    """A finite number written as text, or ``None``."""
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None
