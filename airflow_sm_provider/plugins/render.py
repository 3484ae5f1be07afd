"""HTML for the SageMaker view: Jinja2 templates with autoescaping, and an inline SVG chart.

Everything that comes from SageMaker (names, statuses, hyperparameter values, failure reasons,
log lines) reaches the page only through autoescaped template variables, so a hyperparameter
``<script>`` shows as text. The pages carry no script of their own (sorting is a link, refreshing
a ``<meta http-equiv="refresh">``), and :data:`CONTENT_SECURITY_POLICY` forbids any.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from airflow_sm_provider.plugins.leaderboard import HYPERPARAMETER_PREFIX, ChartPoint, Leaderboard

if TYPE_CHECKING:
    import jinja2

#: Seconds between refreshes of a page whose job is still running.
REFRESH_SECONDS = 10
#: No script, no outside resource; inline styles and the inline SVG only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; form-action 'self'"
)
TEMPLATES = Path(__file__).parent / "templates"


@functools.cache
def environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["duration"] = format_duration
    env.filters["number"] = format_number
    env.filters["short"] = shorten_number
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(refresh_seconds=REFRESH_SECONDS, **context)


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def format_number(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def shorten_number(text: str) -> str:
    """A hyperparameter value as shown: a long decimal to 6 significant digits, anything else as is."""
    try:
        number = float(text)
    except ValueError:
        return text
    short = f"{number:.6g}"
    return short if len(short) < len(text) else text


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    href: str
    #: "ascending" / "descending" on the column the table is sorted by, else "".
    sorted: str


def columns(board: Leaderboard, sort: str, descending: bool, map_index: int) -> list[Column]:
    """The table's columns, each a link that sorts by it (again: the other way round)."""
    # the objective before the hyperparameters: it stays in view however many are tuned
    keys = [("trial", "Trial"), ("status", "Status")]
    keys += [("objective", board.objective_name or "Objective"), ("duration", "Duration")]
    keys += [(HYPERPARAMETER_PREFIX + name, name) for name in board.hyperparameter_names]
    result = []
    for key, label in keys:
        current = key == sort
        order = ("asc" if descending else "desc") if current else "asc"
        href = "?" + urlencode({"map_index": map_index, "sort": key, "order": order})
        result.append(
            Column(key, label, href, ("descending" if descending else "ascending") if current else "")
        )
    return result


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    #: (x, y, trial, value, is_best) per completed trial.
    dots: list[tuple[float, float, str, float, bool]]
    best_line: str
    y_top: float
    y_bottom: float
    count: int


def chart(
    points: list[ChartPoint], best_trial: str | None, width: int = 640, height: int = 220
) -> Chart | None:
    """Coordinates of the objective per trial (dots) and the running best (a step line)."""
    if not points:
        return None
    left, right, top, bottom = 70, 16, 12, 28
    values = [p.value for p in points]
    low, high = min(values), max(values)
    span = (high - low) or abs(high) or 1.0
    low, high = low - span * 0.05, high + span * 0.05
    step = (width - left - right) / max(1, len(points) - 1) if len(points) > 1 else 0.0

    def x(order: int) -> float:
        return round(left + (order - 1) * step if len(points) > 1 else (left + width - right) / 2, 1)

    def y(value: float) -> float:
        return round(top + (high - value) / (high - low) * (height - top - bottom), 1)

    dots = [(x(p.order), y(p.value), p.trial, p.value, p.trial == best_trial) for p in points]
    line: list[str] = []
    for point in points:
        if line:
            line.append(f"{x(point.order)},{line[-1].split(',')[1]}")
        line.append(f"{x(point.order)},{y(point.running_best)}")
    return Chart(width, height, dots, " ".join(line), high, low, len(points))
