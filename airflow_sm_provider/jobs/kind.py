"""The shape of a job kind, and the one status table every wait path reads.

A :class:`JobKind` row carries everything that differs between kinds of SageMaker job: the
API's names, the status table, and the behaviour hung on it (progress line, XCom result, side
XCom keys, whether a best job is handed on, the trigger class, the console page). Code outside
:mod:`airflow_sm_provider.jobs` reads the row and never asks which kind it holds.

This module imports nothing heavy: it is loaded at DAG-parse time through the operators.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Description = dict[str, Any]


class Outcome(enum.StrEnum):
    """What a job status means for whoever waits on it."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    def is_terminal(self) -> bool:
        return self is not Outcome.RUNNING


def _no_side_xcom(result: dict[str, Any]) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class JobKind:
    """Everything that differs between kinds of SageMaker job, in one row.

    :param trigger: Classpath of the trigger that watches this kind (a literal, as the triggerer
        imports it by name).
    :param console_fragment: The job page's fragment in the SageMaker console URL.
    :param local_console_path: The job page's path under the local backend's console.
    :param has_log_streams: The job writes CloudWatch log streams of its own (a logs link).
    :param amazon_xcom_key: The key the amazon provider's operator wraps the Describe* response in
        (its ``return_value``), for ``xcom_format="amazon"``.
    :param summary_settles_success: A List* summary that says Completed is the whole verdict
        (no Describe needed before reporting success).
    :param progress: One line summarising a Describe* response; logged whenever it changes.
    :param result: ``(description, best_description) -> return_value`` XCom, JSON-native.
    :param side_xcom: ``result -> {key: value}`` pushed beside ``return_value``.
    :param best_job: For kinds that hand on a best training job: its entry in the Describe*
        response, or ``None``. A Completed job without one is a failure, described by
        ``no_best_job_message``.
    :param failure_details: ``(hook, description) -> text`` appended to a failure's message
        (e.g. the failed trials of a tuning job and their reasons); may call the API.
    :param stop_operation: ``None`` for a kind that cannot be stopped (a model package version).
    :param list_sweeps: The List* operation filters by ``LastModifiedTimeAfter`` and
        ``StatusEquals``, so the coalesced poller can sweep it; ``False`` makes the poller
        Describe each watched item instead.
    :param reason_key: Where a Describe* response explains a failure (``FailureReason``).
    :param timeout_words: How a timeout message says the wait ended: what the job still was,
        and what became of it (``("still running", "the job was left running")``).
    """

    name: str
    label: str
    name_key: str
    arn_key: str
    status_key: str
    status_enum: str
    max_name_length: int
    create_operation: str
    describe_operation: str
    stop_operation: str | None
    list_operation: str
    list_key: str
    statuses: Mapping[str, Outcome]
    trigger: str
    console_fragment: str
    amazon_xcom_key: str
    summary_settles_success: bool
    progress: Callable[[Description], str]
    result: Callable[[Description, Description | None], dict[str, Any]]
    side_xcom: Callable[[dict[str, Any]], dict[str, Any]] = _no_side_xcom
    best_job: Callable[[Description], Description | None] | None = None
    no_best_job_message: Callable[[Description], str] | None = None
    failure_details: Callable[[Any, Description], str] | None = None
    reporter: Callable[..., Any] | None = None
    local_console_path: str = ""
    has_log_streams: bool = False
    list_sweeps: bool = True
    reason_key: str = "FailureReason"
    timeout_words: tuple[str, str] = ("still running", "the job was left running")

    @property
    def requires_best_job(self) -> bool:
        return self.best_job is not None

    def best_job_name(self, description: Description) -> str | None:
        """The name of the job's best training job, for kinds that have one."""
        best = self.best_job(description) if self.best_job else None
        return best["TrainingJobName"] if best else None


@dataclass(frozen=True)
class Classification:
    """The verdict on one Describe* response (or List* summary)."""

    outcome: Outcome
    status: str
    message: str


def classify(kind: JobKind, description: Description) -> Classification:
    """Map a Describe* response or a List* summary to an :class:`Outcome` with a human message."""
    status = description[kind.status_key]
    name = description.get(kind.name_key, "?")
    try:
        outcome = kind.statuses[status]
    except KeyError:
        # A status SageMaker adds later must not crash a wait; keep waiting and say so.
        return Classification(Outcome.RUNNING, status, f"{kind.label} {name} has unknown status {status}")
    if outcome is Outcome.FAILED:
        reason = description.get(kind.reason_key)
        message = f"SageMaker {kind.label} {name} ended {status}"
        message += f": {reason}" if reason else f" (SageMaker gave no {kind.reason_key})"
        return Classification(outcome, status, message)
    if outcome is Outcome.SUCCEEDED and kind.best_job is not None and not kind.best_job(description):
        # Completed, but with nothing to hand on: a failure for whoever waits on the result.
        explain = kind.no_best_job_message
        message = explain(description) if explain else f"SageMaker {kind.label} {name} has no best job"
        return Classification(Outcome.FAILED, status, message)
    return Classification(outcome, status, f"SageMaker {kind.label} {name} is {status}")
