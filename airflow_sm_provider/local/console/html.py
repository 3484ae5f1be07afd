"""HTML building blocks of the console: every value escaped, inline CSS and SVG, no script.

Everything shown comes from SageMaker-shaped documents a user controls (names, hyperparameters,
log lines, failure reasons), so nothing reaches the page without :func:`esc`; URLs are built
from quoted path segments only. A ``Markup`` is HTML this module made; a plain ``str`` is text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2433;background:#f6f7f9}
header{background:#232f3e;color:#fff;padding:10px 20px}header a{color:#fff;text-decoration:none}
main{padding:16px 20px;max-width:1200px}h1{font-size:20px;margin:4px 0 12px}
h2{font-size:16px;margin:20px 0 8px}
table{border-collapse:collapse;background:#fff;margin-bottom:8px}
th,td{border:1px solid #d5dbe3;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.best{background:#e8f6ea;font-weight:600}
.status{padding:1px 6px;border-radius:8px;font-size:12px;background:#e3e7ee}
.Completed{background:#d4f0d9}.Failed{background:#f8d7da}.InProgress{background:#dbe9ff}
.Stopped,.Stopping{background:#fdebc8}
pre{background:#10161f;color:#d8dee9;padding:10px;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
.note{color:#5b6577}.reason{color:#9b1c1c;white-space:pre-wrap}
"""


class Markup(str):
    """HTML this module built (never text from a request or a job); adding text escapes it."""

    __slots__ = ()

    def __add__(self, other: str) -> Markup:
        return Markup(str.__add__(self, esc(other)))

    def __radd__(self, other: str) -> Markup:
        return Markup(str.__add__(esc(other), self))


def esc(value: Any) -> Markup:
    """``value`` as text in HTML (Markup passes through)."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


def join(parts: Iterable[Any]) -> Markup:
    return Markup("".join(esc(part) for part in parts))


def tag(name: str, content: Any = "", **attrs: Any) -> Markup:
    """``<name attr="...">content</name>``; ``class_`` sets ``class``; values escaped."""
    rendered = "".join(
        f' {key.rstrip("_").replace("_", "-")}="{esc(value)}"'
        for key, value in attrs.items()
        if value is not None
    )
    return Markup(f"<{name}{rendered}>{esc(content)}</{name}>")


def href(*segments: str, query: dict[str, str] | None = None) -> str:
    """A console path from segments, each quoted (a job name cannot leave its segment)."""
    path = "/console/" + "/".join(quote(segment, safe="") for segment in segments)
    return f"{path}?{urlencode(query)}" if query else path


def link(text: Any, *segments: str) -> Markup:
    return tag("a", text, href=href(*segments))


def when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return "" if value is None else str(value)


def duration(start: Any, end: Any) -> str:
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        return ""
    seconds = int((end - start).total_seconds())
    return f"{seconds // 60}m {seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def status(value: Any) -> Markup:
    return tag("span", value, class_=f"status {value}")


def table(headers: Sequence[Any], rows: Iterable[Sequence[Any]], row_classes: Sequence[str] = ()) -> Markup:
    head = join(tag("th", h) for h in headers)
    body = []
    for i, row in enumerate(rows):
        cells = join(
            tag("td", cell, class_="num" if isinstance(cell, (int, float)) else None) for cell in row
        )
        body.append(
            tag("tr", cells, class_=row_classes[i] if i < len(row_classes) and row_classes[i] else None)
        )
    return tag("table", Markup(f"<thead><tr>{head}</tr></thead>") + tag("tbody", join(body)))


def fields(pairs: Iterable[tuple[str, Any]]) -> Markup:
    """A two-column table of the pairs whose value is not empty."""
    return table(("Field", "Value"), [(k, v) for k, v in pairs if v not in (None, "", [])])


def page(title: str, body: Markup, crumbs: Sequence[Markup] = ()) -> bytes:
    trail = join([link("Local SageMaker console"), *(Markup(" / ") + crumb for crumb in crumbs)])
    document = Markup("<!doctype html>") + tag(
        "html",
        tag(
            "head",
            Markup('<meta charset="utf-8"><meta name="referrer" content="no-referrer">')
            + tag("title", title)
            + tag("style", Markup(STYLE)),
        )
        + tag("body", tag("header", trail) + tag("main", tag("h1", title) + body)),
        lang="en",
    )
    return document.encode()


def chart(series: Sequence[tuple[float, float | None]], width: int = 640, height: int = 200) -> Markup:
    """An inline SVG of points (value, running best) in order: dots and a best-so-far line."""
    values = [v for v, _ in series] + [b for _, b in series if b is not None]
    if not values:
        return Markup("")
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    pad = 24

    def x(i: int) -> float:
        return pad + (width - 2 * pad) * (i / max(1, len(series) - 1))

    def y(v: float) -> float:
        return height - pad - (height - 2 * pad) * ((v - low) / span)

    dots = join(
        Markup(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="#3b6fd4"/>')
        for i, (v, _) in enumerate(series)
    )
    best = " ".join(f"{x(i):.1f},{y(b):.1f}" for i, (_, b) in enumerate(series) if b is not None)
    labels = Markup(
        f'<text x="2" y="{pad - 8}" font-size="11">{esc(f"{high:.6g}")}</text>'
        f'<text x="2" y="{height - 6}" font-size="11">{esc(f"{low:.6g}")}</text>'
    )
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'style="background:#fff;border:1px solid #d5dbe3">{labels}'
        f'<polyline points="{best}" fill="none" stroke="#2e9e4f" stroke-width="2"/>{dots}</svg>'
    )
