"""The console's pages, rendered from the API's own responses (DescribeTrainingJob, ...).

Only what the API returns is shown, and not all of it: a job's ``Environment`` is never
rendered (it is where secrets are passed), nor anything of the request that created it beyond
what DescribeTrainingJob reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_sm_provider.local.console.html import (
    Markup,
    chart,
    duration,
    fields,
    href,
    join,
    link,
    page,
    status,
    table,
    tag,
    when,
)

# Log lines as the page shows them: (stream name, [(timestamp ms, message)], older-page token)
StreamTail = tuple[str, list[tuple[int, str]], str | None]


def jobs_list(training: list[dict[str, Any]], tuning: list[dict[str, Any]], tuning_note: str | None) -> bytes:
    tuning_rows = [
        (
            link(t["HyperParameterTuningJobName"], "tuning-jobs", t["HyperParameterTuningJobName"]),
            status(t["HyperParameterTuningJobStatus"]),
            t.get("Strategy", ""),
            _counters(t.get("TrainingJobStatusCounters") or {}),
            when(t.get("CreationTime")),
        )
        for t in tuning
    ]
    training_rows = [
        (
            link(j["TrainingJobName"], "training-jobs", j["TrainingJobName"]),
            status(j["TrainingJobStatus"]),
            j.get("SecondaryStatus", ""),
            when(j.get("CreationTime")),
            duration(j.get("CreationTime"), j.get("TrainingEndTime")),
        )
        for j in training
    ]
    body = tag("h2", "Hyperparameter tuning jobs")
    body += tag("p", tuning_note, class_="note") if tuning_note else Markup("")
    body += table(("Name", "Status", "Strategy", "Training jobs", "Created"), tuning_rows)
    body += tag("h2", "Training jobs")
    body += table(("Name", "Status", "Secondary status", "Created", "Duration"), training_rows)
    body += tag("p", "The newest 100 of each kind, newest first.", class_="note")
    return page("Jobs", body)


def _reason(text: str | None) -> Markup | None:
    return tag("span", text, class_="reason") if text else None


def _counters(counters: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counters.items() if v) or "none yet"


def training_job(job: dict[str, Any], metrics: dict[str, list[float]], tail: Sequence[StreamTail]) -> bytes:
    name = job["TrainingJobName"]
    tuning = (job.get("TuningJobArn") or "").rsplit("/", 1)[-1]
    summary = fields(
        [
            ("Status", status(job["TrainingJobStatus"])),
            ("Secondary status", job.get("SecondaryStatus")),
            ("Failure reason", _reason(job.get("FailureReason"))),
            ("Tuning job", link(tuning, "tuning-jobs", tuning) if tuning else None),
            ("Created", when(job.get("CreationTime"))),
            ("Training started", when(job.get("TrainingStartTime"))),
            ("Training ended", when(job.get("TrainingEndTime"))),
            ("Training time (s)", job.get("TrainingTimeInSeconds")),
            ("Billable time (s)", job.get("BillableTimeInSeconds")),
            ("Model artifacts", (job.get("ModelArtifacts") or {}).get("S3ModelArtifacts")),
            ("Output path", (job.get("OutputDataConfig") or {}).get("S3OutputPath")),
        ]
    )
    timeline = table(
        ("Status", "Start", "End", "Message"),
        [
            (t.get("Status"), when(t.get("StartTime")), when(t.get("EndTime")), t.get("StatusMessage", ""))
            for t in job.get("SecondaryStatusTransitions") or []
        ],
    )
    hyperparameters = table(("Name", "Value"), sorted((job.get("HyperParameters") or {}).items()))
    final = table(
        ("Metric", "Value", "Time"),
        [
            (m["MetricName"], m["Value"], when(m.get("Timestamp")))
            for m in job.get("FinalMetricDataList") or []
        ],
    )
    charts = join(
        tag("h3", metric) + chart([(v, None) for v in values]) for metric, values in metrics.items() if values
    )
    body = summary + tag("h2", "Timeline") + timeline + tag("h2", "Hyperparameters") + hyperparameters
    body += tag("h2", "Metrics") + final + charts
    body += tag(
        "h2", Markup("Log (latest lines) &middot; ") + link("full log page", "training-jobs", name, "logs")
    )
    body += _log(tail)
    return page(f"Training job {name}", body, [link(name, "training-jobs", name)])


def _log(tails: Sequence[StreamTail], *, name: str | None = None) -> Markup:
    if not tails:
        return tag("p", "No output yet.", class_="note")
    out = Markup("")
    for stream, lines, older in tails:
        text = "\n".join(message for _, message in lines)
        out += tag("h3", stream) + tag("pre", text or "(no lines)")
        if older and name is not None:
            query = {"stream": stream, "before": older}
            out += tag("a", "older lines", href=href("training-jobs", name, "logs", query=query))
    return out


def training_logs(name: str, tails: Sequence[StreamTail]) -> bytes:
    body = tag(
        "p",
        "Each instance's stream, as CloudWatch Logs serves it; the latest lines first shown, "
        "'older lines' pages back.",
        class_="note",
    )
    crumbs = [link(name, "training-jobs", name), link("logs", "training-jobs", name, "logs")]
    return page(f"Log of {name}", body + _log(tails, name=name), crumbs)


def tuning_job(job: dict[str, Any], trials: list[dict[str, Any]]) -> bytes:
    name = job["HyperParameterTuningJobName"]
    config = job.get("HyperParameterTuningJobConfig") or {}
    objective = config.get("HyperParameterTuningJobObjective") or {}
    maximize = objective.get("Type") == "Maximize"
    best = (job.get("BestTrainingJob") or {}).get("TrainingJobName")
    summary = fields(
        [
            ("Status", status(job["HyperParameterTuningJobStatus"])),
            ("Failure reason", _reason(job.get("FailureReason"))),
            ("Strategy", config.get("Strategy")),
            ("Objective", f"{objective.get('Type', '')} {objective.get('MetricName', '')}".strip()),
            ("Training jobs", _counters(job.get("TrainingJobStatusCounters") or {})),
            ("Best training job", link(best, "training-jobs", best) if best else None),
            ("Created", when(job.get("CreationTime"))),
            ("Ended", when(job.get("HyperParameterTuningEndTime"))),
        ]
    )
    return page(
        f"Tuning job {name}",
        summary + _leaderboard(trials, best, maximize) + _progress(trials, maximize),
        [link(name, "tuning-jobs", name)],
    )


def _objective(trial: dict[str, Any]) -> float | None:
    value = (trial.get("FinalHyperParameterTuningJobObjectiveMetric") or {}).get("Value")
    return float(value) if value is not None else None


def _leaderboard(trials: list[dict[str, Any]], best: str | None, maximize: bool) -> Markup:
    names = sorted({key for t in trials for key in (t.get("TunedHyperParameters") or {})})

    def rank(trial: dict[str, Any]) -> tuple[int, float]:
        value = _objective(trial)
        return (1, 0.0) if value is None else (0, -value if maximize else value)

    ordered = sorted(trials, key=rank)
    rows, classes = [], []
    for position, trial in enumerate(ordered, start=1):
        trial_name = trial["TrainingJobName"]
        marker = "\u2605 " if trial_name == best else ""
        rows.append(
            (
                position,
                join([marker, link(trial_name, "training-jobs", trial_name)]),
                status(trial["TrainingJobStatus"]),
                *((trial.get("TunedHyperParameters") or {}).get(n, "") for n in names),
                "" if _objective(trial) is None else _objective(trial),
                duration(trial.get("TrainingStartTime"), trial.get("TrainingEndTime")),
                _reason(trial.get("FailureReason")) or "",
            )
        )
        classes.append("best" if trial_name == best else "")
    headers = ("#", "Training job", "Status", *names, "Objective", "Duration", "Failure reason")
    caption = tag("p", "\u2605 the best training job; ranked by the objective.", class_="note")
    return tag("h2", "Leaderboard") + caption + table(headers, rows, classes)


def _progress(trials: list[dict[str, Any]], maximize: bool) -> Markup:
    ended = sorted(
        (t for t in trials if _objective(t) is not None and t.get("TrainingEndTime") is not None),
        key=lambda t: t["TrainingEndTime"],
    )
    series: list[tuple[float, float | None]] = []
    running: float | None = None
    for trial in ended:
        value = _objective(trial)
        assert value is not None
        running = value if running is None else (max(running, value) if maximize else min(running, value))
        series.append((value, running))
    if not series:
        return Markup("")
    note = tag(
        "p", "Objective per training job in completion order; the line is the best so far.", class_="note"
    )
    return tag("h2", "Progress") + note + chart(series)
