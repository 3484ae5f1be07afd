"""Metrics a training job was told to report but never did: found, explained, optionally fatal.

A MetricDefinitions regex that never matches gives a job with no value for that metric, and
SageMaker says nothing about it. After a training job completes, each definition without a final
value is named in a WARNING with its regex and, when the job's log is readable, the log line that
looks closest (it contains the metric's name, or the regex's literal start), which is usually
enough to see why the regex missed.
"""

from __future__ import annotations

from typing import Any

from airflow_sm_provider.exceptions import MissingMetricsError

#: At most this many log lines are read to find a close line (the job has finished; bounded work).
LOG_LINES_READ = 5000


def unmatched_definitions(description: dict[str, Any]) -> list[dict[str, str]]:
    """The job's MetricDefinitions that have no value in FinalMetricDataList."""
    reported = {item["MetricName"] for item in description.get("FinalMetricDataList") or []}
    definitions = (description.get("AlgorithmSpecification") or {}).get("MetricDefinitions") or []
    return [d for d in definitions if d.get("Name") not in reported]


def literal_start(regex: str) -> str:
    """The literal text a regex starts with (``"loss="`` for ``loss=([0-9.]+)``)."""
    text = []
    for index, char in enumerate(regex):
        if char == "\\" and index + 1 < len(regex) and not regex[index + 1].isalnum():
            continue  # an escaped punctuation mark: the next character is literal
        if char in ".^$*+?{}[]|()\\" and not (index and regex[index - 1] == "\\"):
            break
        text.append(char)
    return "".join(text).strip()


def closest_line(lines: list[str], definition: dict[str, str]) -> str | None:
    """The log line most likely meant to match ``definition``, if any line looks related."""
    name = definition.get("Name", "")
    start = literal_start(definition.get("Regex", ""))
    needles = [_folded(n) for n in (start, name, name.split(":")[-1])]
    folded = [_folded(line) for line in lines]
    for needle in (n for n in needles if len(n) >= 3):
        for line, fold in zip(lines, folded, strict=True):
            if needle in fold:
                return line.strip()
    return None


def _folded(text: str) -> str:
    """Lower case letters and digits only: ``val_acc``, ``val-acc`` and ``Val Acc`` look alike."""
    return "".join(char for char in text.lower() if char.isalnum())


def check_reported(description: dict[str, Any], log_lines: list[str] | None, log: Any, *, fail: bool) -> None:
    """Warn about (or, with ``fail``, raise for) each metric definition that never matched."""
    missing = unmatched_definitions(description)
    if not missing:
        return
    job = description.get("TrainingJobName", "?")
    messages = []
    for definition in missing:
        message = (
            f"Metric {definition.get('Name')!r} was never reported by training job {job}: its regex "
            f"{definition.get('Regex')!r} matched no line of the job's output"
        )
        if log_lines is None:
            message += " (the job's log could not be read to show a close line)"
        else:
            line = closest_line(log_lines, definition)
            message += f"; closest line: {line!r}" if line else "; no line mentions it"
        messages.append(message)
    if fail:
        raise MissingMetricsError("; ".join(messages) + " (fail_on_missing_metrics=True)")
    for message in messages:
        log.warning("%s", message)
