"""A tuning job as a leaderboard, and a training job as a summary: plain values, no I/O.

Built from what SageMaker returns (DescribeHyperParameterTuningJob and its trials'
summaries; DescribeTrainingJob and log lines) and only the fields shown, so nothing else of a
response (an Environment, a role, a request body) can reach the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from airflow_sm_provider.jobs import TRAINING, TUNING, classify
from airflow_sm_provider.jobs.training import strip_internal
from airflow_sm_provider.jobs.tuning import best_job

#: The fixed columns a leaderboard sorts by; a tuned hyperparameter is ``hp.<name>``.
SORT_KEYS = ("trial", "status", "objective", "duration")
HYPERPARAMETER_PREFIX = "hp."


@dataclass(frozen=True)
class Trial:
    name: str
    status: str
    hyperparameters: dict[str, str]
    objective: float | None
    duration_seconds: float | None
    ended_at: datetime | None
    failure_reason: str | None
    best: bool


@dataclass(frozen=True)
class ChartPoint:
    """One completed trial with an objective, in completion order, with the best so far."""

    order: int
    trial: str
    value: float
    running_best: float


@dataclass(frozen=True)
class Leaderboard:
    job_name: str
    status: str
    running: bool
    failure_reason: str | None
    counters: dict[str, int]
    objective_counters: dict[str, int]
    objective_name: str | None
    minimize: bool
    hyperparameter_names: list[str]
    trials: list[Trial]
    best_trial: str | None
    #: SageMaker lists the trials a page at a time; fewer shown than the counters add up to.
    truncated: bool

    def sort_order(self, key: str | None, order: str | None) -> tuple[str, bool]:
        """``(column, descending)`` for a request's ``sort`` and ``order`` (``asc``/``desc``).

        Unknown or missing: by objective, best first.
        """
        key = key if key and is_sort_key(key, self.hyperparameter_names) else "objective"
        if order in ("asc", "desc"):
            return key, order == "desc"
        return key, key == "objective" and not self.minimize

    def sorted_trials(self, key: str, descending: bool) -> list[Trial]:
        """The trials by ``key`` (a :meth:`sort_order` column); trials without a value last."""
        present = [t for t in self.trials if _sort_value(t, key) is not None]
        missing = [t for t in self.trials if _sort_value(t, key) is None]
        present.sort(key=lambda t: _sort_value(t, key), reverse=descending)
        return present + missing

    def chart(self) -> list[ChartPoint]:
        done = [t for t in self.trials if t.objective is not None and math.isfinite(t.objective)]
        done.sort(key=lambda t: (t.ended_at is None, t.ended_at or datetime.min, t.name))
        points: list[ChartPoint] = []
        best: float | None = None
        for order, trial in enumerate(done, start=1):
            value = trial.objective
            assert value is not None
            best = value if best is None else (min(best, value) if self.minimize else max(best, value))
            points.append(ChartPoint(order=order, trial=trial.name, value=value, running_best=best))
        return points


@dataclass(frozen=True)
class TrainingSummary:
    job_name: str
    status: str
    secondary_status: str | None
    running: bool
    failure_reason: str | None
    duration_seconds: float | None
    billable_seconds: int | None
    metrics: list[tuple[str, float]]
    #: The last lines of its log; ``None`` when the log could not be read (or may not be shown).
    log_tail: list[str] | None


def is_sort_key(key: str, hyperparameter_names: list[str]) -> bool:
    if key in SORT_KEYS:
        return True
    return (
        key.startswith(HYPERPARAMETER_PREFIX)
        and key.removeprefix(HYPERPARAMETER_PREFIX) in hyperparameter_names
    )


def leaderboard_of(description: dict[str, Any], summaries: list[dict[str, Any]]) -> Leaderboard:
    """The leaderboard of a DescribeHyperParameterTuningJob response and its trials' summaries."""
    config = description.get("HyperParameterTuningJobConfig") or {}
    objective = config.get("HyperParameterTuningJobObjective") or {}
    best = best_job(description) or {}
    best_name = best.get("TrainingJobName")
    trials = [_trial(summary, best_name) for summary in summaries]
    names = sorted({name for trial in trials for name in trial.hyperparameters})
    counters = {k: int(v) for k, v in (description.get("TrainingJobStatusCounters") or {}).items()}
    return Leaderboard(
        job_name=description[TUNING.name_key],
        status=description[TUNING.status_key],
        running=not classify(TUNING, description).outcome.is_terminal(),
        failure_reason=description.get(TUNING.reason_key),
        counters=counters,
        objective_counters={k: int(v) for k, v in (description.get("ObjectiveStatusCounters") or {}).items()},
        objective_name=objective.get("MetricName"),
        minimize=objective.get("Type", "Minimize") != "Maximize",
        hyperparameter_names=names,
        trials=trials,
        best_trial=best_name,
        truncated=len(trials) < sum(counters.values()),
    )


def training_summary_of(description: dict[str, Any], log_lines: list[str] | None) -> TrainingSummary:
    """The summary of a DescribeTrainingJob response (and the tail of its log, if read)."""
    return TrainingSummary(
        job_name=description[TRAINING.name_key],
        status=description[TRAINING.status_key],
        secondary_status=description.get("SecondaryStatus"),
        running=not classify(TRAINING, description).outcome.is_terminal(),
        failure_reason=description.get(TRAINING.reason_key),
        duration_seconds=_duration(description.get("TrainingStartTime"), description.get("TrainingEndTime")),
        billable_seconds=description.get("BillableTimeInSeconds"),
        metrics=[
            (item["MetricName"], float(item["Value"]))
            for item in description.get("FinalMetricDataList") or []
        ],
        log_tail=log_lines,
    )


def _trial(summary: dict[str, Any], best_name: str | None) -> Trial:
    metric = summary.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
    value = metric.get("Value")
    name = summary["TrainingJobName"]
    return Trial(
        name=name,
        status=summary.get("TrainingJobStatus", "?"),
        hyperparameters={
            str(k): str(v) for k, v in strip_internal(summary.get("TunedHyperParameters")).items()
        },
        objective=float(value) if value is not None else None,
        duration_seconds=_duration(summary.get("TrainingStartTime"), summary.get("TrainingEndTime")),
        ended_at=summary.get("TrainingEndTime"),
        failure_reason=summary.get("FailureReason"),
        best=name == best_name,
    )


def _duration(start: Any, end: Any) -> float | None:
    if isinstance(start, datetime) and isinstance(end, datetime):
        return max(0.0, (end - start).total_seconds())
    return None


def _sort_value(trial: Trial, key: str) -> Any:
    if key == "trial":
        return trial.name
    if key == "status":
        return trial.status
    if key == "objective":
        return trial.objective
    if key == "duration":
        return trial.duration_seconds
    raw = trial.hyperparameters.get(key.removeprefix(HYPERPARAMETER_PREFIX))
    if raw is None:
        return None
    # numbers sort as numbers, categorical values as text, numbers first
    try:
        return (0, float(raw), "")
    except ValueError:
        return (1, 0.0, raw)
