"""Metric extraction from a training process's output, as SageMaker does it.

Each ``MetricDefinitions`` entry is a name and a regular expression. Every output line (stdout
and stderr alike) is searched with every regex; the first capture group of a match is the value
(the whole match when the regex has no group). Every value is kept with its timestamp and its
position in the stream, so the tuning engine can read intermediate values for early stopping;
``FinalMetricDataList`` reports the last value of each metric.

The regexes are the job's own, so they run in a worker process with a time limit per line
(``local/matching``): a catastrophic one is disabled for the job, never a stall of the API.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from airflow_sm_provider.local.errors import ValidationError
from airflow_sm_provider.local.matching import GuardedRegexes


@dataclass(frozen=True)
class MetricPoint:
    """One emitted value: ``step`` counts the values of this metric, from 0."""

    value: float
    timestamp: datetime
    step: int


def compile_definitions(definitions: list[dict] | None) -> list[tuple[str, re.Pattern[str]]]:
    """Compile ``MetricDefinitions``; a regex that does not compile is a ``ValidationError``."""
    compiled = []
    for index, definition in enumerate(definitions or []):
        try:
            compiled.append((definition["Name"], re.compile(definition["Regex"])))
        except re.error as err:
            raise ValidationError(
                f"AlgorithmSpecification.MetricDefinitions[{index}].Regex is not a valid regular "
                f"expression: {err}"
            ) from err
    return compiled


@dataclass
class MetricSeries:
    """Values of every defined metric, in emission order; safe to feed from several threads."""

    definitions: list[tuple[str, re.Pattern[str]]]
    points: dict[str, list[MetricPoint]] = field(default_factory=dict)
    #: told ``(name, regex)`` when a regex is disabled for taking too long (the job's log)
    on_disabled: Callable[[str, str], None] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _guard: GuardedRegexes | None = field(default=None, repr=False)

    def feed(self, line: str, now: datetime) -> list[tuple[str, float]]:
        """Search one output line; record and return the ``(name, value)`` pairs it yields."""
        if not self.definitions:
            return []
        if self._guard is None:
            pairs = [(name, pattern.pattern) for name, pattern in self.definitions]
            self._guard = GuardedRegexes(pairs, on_disabled=self._disabled)
        found = []
        for name, text in self._guard.search(line):
            try:
                value = float(text)
            except (TypeError, ValueError):
                continue
            if math.isnan(value):
                continue
            found.append((name, value))
        if found:
            with self._lock:
                for name, value in found:
                    series = self.points.setdefault(name, [])
                    series.append(MetricPoint(value, now, len(series)))
        return found

    def close(self) -> None:
        """End the regex worker (the next ``feed`` starts another)."""
        if self._guard is not None:
            self._guard.close()

    def _disabled(self, name: str, regex: str) -> None:
        if self.on_disabled is not None:
            self.on_disabled(name, regex)

    def values(self, name: str) -> list[float]:
        """Every value of ``name`` in the order it was emitted."""
        with self._lock:
            return [point.value for point in self.points.get(name, [])]

    def final(self) -> list[dict]:
        """``FinalMetricDataList``: the last value of each metric that was emitted at least once."""
        with self._lock:
            return [
                {"MetricName": name, "Value": series[-1].value, "Timestamp": series[-1].timestamp}
                for name, series in self.points.items()
                if series
            ]

    def to_doc(self) -> dict[str, list[list[float]]]:
        """A JSON-friendly form: ``{name: [[epoch_seconds, value], ...]}``."""
        with self._lock:
            return {
                name: [[p.timestamp.timestamp(), p.value] for p in series]
                for name, series in self.points.items()
            }

    @classmethod
    def from_doc(cls, doc: dict[str, list[list[float]]]) -> MetricSeries:
        """Rebuild a finished job's series (no regexes: it will not be fed again)."""
        series = cls(definitions=[])
        for name, rows in doc.items():
            series.points[name] = [
                MetricPoint(value, datetime.fromtimestamp(ts, UTC), step)
                for step, (ts, value) in enumerate(rows)
            ]
        return series
