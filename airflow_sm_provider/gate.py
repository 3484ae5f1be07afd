"""Champion / challenger: compare a new model's metrics with the current champion's.

Pure values and one function, :func:`decide`, so every decision is easy to state in a test:

- **Objectives** (:class:`MetricRule`): each must improve on the champion by at least its
  ``min_improvement`` in its direction (``0`` means "not worse").
- **Guardrails** (:class:`Guardrail`): each may regress by at most ``max_regression``.
- **No champion**: the first model passes (``promote_first_model``), or not.
- **A metric the challenger lacks** fails the gate, naming it: a model whose evaluation did not
  report a gated metric is never promoted silently. A metric the *champion* lacks cannot be
  compared; its row says so and it does not count against the challenger.

All differences are absolute (``challenger - champion``); ``improvement`` is that difference
signed so that positive is better.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["Decision", "Guardrail", "MetricRule", "decide", "parse_rules"]

Direction = Literal["maximize", "minimize"]
DIRECTIONS: tuple[str, ...] = ("maximize", "minimize")


@dataclass(frozen=True)
class MetricRule:
    """An objective: the challenger must beat the champion on it by ``min_improvement``."""

    name: str
    direction: Direction
    min_improvement: float = 0.0


@dataclass(frozen=True)
class Guardrail:
    """A metric that may not get worse than the champion's by more than ``max_regression``."""

    name: str
    direction: Direction
    max_regression: float = 0.0


@dataclass(frozen=True)
class Row:
    metric: str
    role: str
    direction: str
    challenger: float | None
    champion: float | None
    delta: float | None
    improvement: float | None
    rule: str
    passed: bool | None
    note: str = ""


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str
    rows: list[Row] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"promote": self.promote, "reason": self.reason, "rows": [asdict(row) for row in self.rows]}


def _direction(name: str, spec: dict[str, Any]) -> Direction:
    direction = spec.get("direction")
    if direction not in DIRECTIONS:
        raise ValueError(f"metric {name!r}: direction must be one of {DIRECTIONS}, got {direction!r}")
    return direction  # type: ignore[return-value]


def parse_rules(
    metrics: dict[str, Any], guardrails: dict[str, Any] | None = None
) -> tuple[list[MetricRule], list[Guardrail]]:
    """Rules from the operator's JSON-native parameters.

    ``metrics``: ``{name: "maximize" | "minimize" | {"direction", "min_improvement"}}``;
    ``guardrails``: ``{name: {"direction", "max_regression"}}``. Numbers may be strings (templated).
    """
    if not metrics:
        raise ValueError("the gate needs at least one metric to compare")
    objectives = []
    for name, spec in metrics.items():
        spec = {"direction": spec} if isinstance(spec, str) else dict(spec)
        objectives.append(MetricRule(name, _direction(name, spec), float(spec.get("min_improvement", 0.0))))
    rails = []
    for name, spec in (guardrails or {}).items():
        spec = {"direction": spec} if isinstance(spec, str) else dict(spec)
        max_regression = float(spec.get("max_regression", 0.0))
        if max_regression < 0:
            raise ValueError(f"guardrail {name!r}: max_regression must be >= 0, got {max_regression}")
        rails.append(Guardrail(name, _direction(name, spec), max_regression))
    return objectives, rails


def _number(metrics: dict[str, Any] | None, name: str) -> float | None:
    value = (metrics or {}).get(name)
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


@dataclass(frozen=True)
class _Check:
    name: str
    role: str
    direction: str
    rule: str
    #: improvement (positive is better) -> a failure text, or None if the check passes
    fails: Any


def _checks(objectives: list[MetricRule], guardrails: list[Guardrail]) -> list[_Check]:
    # a tiny tolerance so that "not worse" holds for equal values that went through float(str())
    eps = 1e-12
    checks = [
        _Check(
            rule.name,
            "objective",
            rule.direction,
            f"improve >= {rule.min_improvement:g}",
            lambda imp, r=rule: (
                None
                if imp >= r.min_improvement - eps
                else f"{r.name} improved by {imp:.6g} < {r.min_improvement:g}"
            ),
        )
        for rule in objectives
    ]
    checks += [
        _Check(
            rail.name,
            "guardrail",
            rail.direction,
            f"regress <= {rail.max_regression:g}",
            lambda imp, r=rail: (
                None
                if -imp <= r.max_regression + eps
                else f"guardrail {r.name} regressed by {-imp:.6g} > {r.max_regression:g}"
            ),
        )
        for rail in guardrails
    ]
    return checks


def _judge(check: _Check, challenger: float | None, champion: float | None) -> tuple[Row, str | None]:
    if challenger is None:
        note = "challenger has no value"
        row = Row(
            check.name, check.role, check.direction, None, champion, None, None, check.rule, False, note
        )
        return row, f"the challenger has no {check.name}"
    if champion is None:
        note = "no champion value"
        return Row(
            check.name, check.role, check.direction, challenger, None, None, None, check.rule, None, note
        ), None
    delta = challenger - champion
    improvement = delta if check.direction == "maximize" else -delta
    failure = check.fails(improvement)
    row = Row(
        check.name,
        check.role,
        check.direction,
        challenger,
        champion,
        delta,
        improvement,
        check.rule,
        failure is None,
    )
    return row, failure


def decide(
    challenger: dict[str, Any],
    champion: dict[str, Any] | None,
    objectives: list[MetricRule],
    guardrails: list[Guardrail] | None = None,
    *,
    promote_first_model: bool = True,
) -> Decision:
    """Promote the challenger or keep the champion; every number behind the verdict is in ``rows``.

    :param challenger: The new model's metrics, ``{name: value}``.
    :param champion: The champion's metrics, or ``None`` when the group has no Approved version.
    """
    rows: list[Row] = []
    failures: list[str] = []
    for check in _checks(objectives, guardrails or []):
        champion_value = None if champion is None else _number(champion, check.name)
        row, failure = _judge(check, _number(challenger, check.name), champion_value)
        rows.append(row)
        if failure:
            failures.append(failure)
    if failures:
        return Decision(False, "; ".join(failures), rows)
    if champion is None:
        if promote_first_model:
            return Decision(True, "no champion yet: the first model is promoted", rows)
        return Decision(False, "no champion yet and promote_first_model is off", rows)
    return Decision(True, "every objective improved enough and no guardrail regressed too far", rows)


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def render_table(decision: Decision, champion_label: str, challenger_label: str) -> str:
    """The side-by-side table the gate logs (and the approval task shows)."""
    header = ("metric", "role", "better", champion_label, challenger_label, "delta", "rule", "result")
    lines = [header]
    for row in decision.rows:
        result = {True: "pass", False: "FAIL", None: "n/a"}[row.passed]
        if row.note:
            result += f" ({row.note})"
        better = "higher" if row.direction == "maximize" else "lower"
        lines.append(
            (
                row.metric,
                row.role,
                better,
                _cell(row.champion),
                _cell(row.challenger),
                _cell(row.delta),
                row.rule,
                result,
            )
        )
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    out = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]
    out.insert(1, "  ".join("-" * width for width in widths))
    verdict = "PROMOTE the challenger" if decision.promote else "KEEP the champion"
    out.append(f"decision: {verdict}: {decision.reason}")
    return "\n".join(out)
