"""A tuning job's trials as log lines and as a leaderboard table (pure functions, no I/O).

Rows come from ``ListTrainingJobsForHyperParameterTuningJob`` summaries; the best trial is the
one SageMaker names best (``BestTrainingJob``), else the best objective in the job's direction.
"""

from __future__ import annotations

from typing import Any

TERMINAL = ("Completed", "Failed", "Stopped")


def objective_value(trial: dict[str, Any]) -> float | None:
    metric = trial.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
    value = metric.get("Value")
    return float(value) if value is not None else None


def trial_line(trial: dict[str, Any], metric_name: str | None) -> str:
    """``trial t-003-ab: Completed, lr=0.01, x=2.9; loss = 0.0125`` (or its FailureReason)."""
    tuned = ", ".join(f"{k}={v}" for k, v in sorted((trial.get("TunedHyperParameters") or {}).items()))
    line = f"trial {trial['TrainingJobName']}: {trial.get('TrainingJobStatus')}"
    line += f", {tuned}" if tuned else ""
    value = objective_value(trial)
    if value is not None:
        line += f"; {metric_name or 'objective'} = {value:g}"
    if trial.get("FailureReason"):
        line += f"; {trial['FailureReason']}"
    return line


def ranked(trials: list[dict[str, Any]], minimize: bool) -> list[dict[str, Any]]:
    """Trials with an objective first (best first), then the others by name."""
    scored = [t for t in trials if objective_value(t) is not None]
    scored.sort(key=lambda t: objective_value(t) or 0.0, reverse=not minimize)
    rest = sorted((t for t in trials if objective_value(t) is None), key=lambda t: t["TrainingJobName"])
    return scored + rest


def table(trials: list[dict[str, Any]], *, metric_name: str | None, minimize: bool, best: str | None) -> str:
    """The leaderboard as fixed-width text; the best trial is marked with ``*``."""
    rows = ranked(trials, minimize)
    names = sorted({k for t in rows for k in (t.get("TunedHyperParameters") or {})})
    header = ["", "rank", "trial", "status", metric_name or "objective", *names]
    body = []
    for rank, trial in enumerate(rows, 1):
        value = objective_value(trial)
        tuned = trial.get("TunedHyperParameters") or {}
        body.append(
            [
                "*" if trial["TrainingJobName"] == best else "",
                str(rank),
                trial["TrainingJobName"],
                str(trial.get("TrainingJobStatus")),
                "" if value is None else f"{value:g}",
                *(str(tuned.get(n, "")) for n in names),
            ]
        )
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *body]
    ]
    return "\n".join(lines)
