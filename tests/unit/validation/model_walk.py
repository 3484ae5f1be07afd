"""Every shape of botocore's SageMaker model reachable from an operation's input."""

from __future__ import annotations

from typing import Any

from airflow_sm_provider.validation.shape import input_shape


def reachable_shapes(operation: str) -> list[Any]:
    """Each named shape once, in the order a depth-first walk meets it."""
    seen: dict[str, Any] = {}
    stack = [input_shape(operation)]
    while stack:
        shape = stack.pop()
        if shape.name in seen:
            continue
        seen[shape.name] = shape
        if shape.type_name == "structure":
            stack.extend(shape.members.values())
        elif shape.type_name == "list":
            stack.append(shape.member)
        elif shape.type_name == "map":
            stack.extend([shape.key, shape.value])
    return list(seen.values())


def constraint_counts(operation: str) -> dict[str, int]:
    """How many reachable shapes carry a pattern, a length limit and a range limit."""
    shapes = reachable_shapes(operation)
    lengths = {"string", "list", "map", "blob"}
    ranges = {"integer", "long", "float", "double"}
    return {
        "patterns": sum("pattern" in shape.metadata for shape in shapes),
        "lengths": sum(
            shape.type_name in lengths and bool({"min", "max"} & shape.metadata.keys()) for shape in shapes
        ),
        "ranges": sum(
            shape.type_name in ranges and bool({"min", "max"} & shape.metadata.keys()) for shape in shapes
        ),
        "enums": sum(bool(getattr(shape, "enum", None)) for shape in shapes),
    }
