"""The tuning engine's state: one :class:`TuningJob` and its :class:`Trial` records.

These are the in-memory view that Describe and List read (cheap, no SQL) and the rows that
:mod:`.store` persists as JSON. Times are timezone-aware UTC datetimes; JSON holds them as ISO
strings. Mutations happen under :class:`~.service.TuningService`'s lock. The questions the
engine and the responses ask of a job (its direction, a trial's objective, the best trial, the
objectives in finishing order) are answered here, once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from airflow_sm_provider.local.times import utcnow
from airflow_sm_provider.local.tuning.trials import objective_of

__all__ = ["TERMINAL_JOB_STATUSES", "TERMINAL_TRIAL_STATUSES", "Trial", "TuningJob"]

TERMINAL_JOB_STATUSES = ("Completed", "Failed", "Stopped")
TERMINAL_TRIAL_STATUSES = ("Completed", "Failed", "Stopped")
_TIME_FIELDS = ("creation_time", "start_time", "end_time", "last_modified_time", "convergence_time")


@dataclasses.dataclass
class Trial:
    """One training job launched by a tuning job.

    :param number: 1-based launch order (the ``NNN`` in the name).
    :param params: optuna params (internal values, see :mod:`.space`), to rebuild the study.
    :param tuned: ``TunedHyperParameters`` (strings).
    :param definition: index of the training job definition it was built from.
    :param status: its ``TrainingJobStatus`` as last seen.
    :param objective_status: ``Pending``, ``Succeeded`` or ``Failed``.
    :param intermediate: objective values the job emitted so far (early stopping, Hyperband).
    :param pruned: stopped early by the tuning job (early stopping or Hyperband).
    :param finished_order: position among finished trials (completion criteria), 0 if running.
    :param retryable: failed for an internal reason (its process lost by a backend restart): a
        ``RetryableError`` that does not use the budget; another trial takes its place.
    """

    number: int
    name: str
    arn: str
    params: dict[str, Any]
    tuned: dict[str, str]
    definition: int = 0
    status: str = "InProgress"
    objective_status: str = "Pending"
    objective_value: float | None = None
    intermediate: list[float] = dataclasses.field(default_factory=list)
    pruned: bool = False
    failure_reason: str | None = None
    creation_time: dt.datetime = dataclasses.field(default_factory=utcnow)
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None
    finished_order: int = 0
    retryable: bool = False

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_TRIAL_STATUSES

    def to_json(self) -> dict[str, Any]:
        return _dump(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Trial:
        return cls(**_load(data))


@dataclasses.dataclass
class TuningJob:
    """A hyperparameter tuning job.

    :param request: the CreateHyperParameterTuningJob request (as validated; stored to resume).
    :param stop_requested: StopHyperParameterTuningJob was called (status Stopping).
    """

    name: str
    arn: str
    request: dict[str, Any]
    status: str = "InProgress"
    creation_time: dt.datetime = dataclasses.field(default_factory=utcnow)
    end_time: dt.datetime | None = None
    last_modified_time: dt.datetime = dataclasses.field(default_factory=utcnow)
    failure_reason: str | None = None
    completion_reason: str | None = None
    convergence_time: dt.datetime | None = None
    stop_requested: bool = False
    trials: list[Trial] = dataclasses.field(default_factory=list)

    @property
    def config(self) -> dict[str, Any]:
        return self.request["HyperParameterTuningJobConfig"]

    @property
    def definitions(self) -> list[dict[str, Any]]:
        """The training job definitions (the single ``TrainingJobDefinition`` as a list of one)."""
        if self.request.get("TrainingJobDefinitions"):
            return self.request["TrainingJobDefinitions"]
        return [self.request["TrainingJobDefinition"]]

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_JOB_STATUSES

    @property
    def minimize(self) -> bool:
        """The objective's direction (the first definition's: all of them share it)."""
        return objective_of(self.config, self.definitions[0])["Type"] == "Minimize"

    def objective(self, trial: Trial) -> dict[str, Any]:
        """The objective (Type, MetricName) of the definition ``trial`` was built from."""
        return objective_of(self.config, self.definitions[trial.definition])

    def best_trial(self) -> Trial | None:
        """The best completed trial (only Completed trials have a model to hand on); earliest on ties."""
        sign = 1.0 if self.minimize else -1.0
        scored = [
            (sign * t.objective_value, t.finished_order, t)
            for t in self.trials
            if t.status == "Completed" and t.objective_value is not None
        ]
        return min(scored, key=lambda item: item[:2])[2] if scored else None

    def finished_objectives(self) -> list[float]:
        """Objective values of the trials that reported one, in the order they finished."""
        done = sorted(
            (t.finished_order, t.objective_value)
            for t in self.trials
            if t.finished_order and t.objective_value is not None
        )
        return [value for _, value in done]

    def touch(self) -> None:
        self.last_modified_time = utcnow()

    def to_json(self) -> dict[str, Any]:
        """The job row without its trials (those are rows of their own): O(1) in the trial count."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "trials"}
        return _times_to_text(data)

    @classmethod
    def from_json(cls, data: dict[str, Any], trials: list[Trial]) -> TuningJob:
        return cls(**_load(data), trials=trials)


def _dump(record: Any) -> dict[str, Any]:
    return _times_to_text(dataclasses.asdict(record))


def _times_to_text(data: dict[str, Any]) -> dict[str, Any]:
    for key in _TIME_FIELDS:
        if data.get(key) is not None:
            data[key] = data[key].isoformat()
    return data


def _load(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    for key in _TIME_FIELDS:
        if data.get(key) is not None:
            data[key] = dt.datetime.fromisoformat(data[key])
    return data
