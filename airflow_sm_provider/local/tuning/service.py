"""``TuningService``: the five tuning operations, backed by one :class:`~.engine.JobEngine` per job.

The backend constructs it with ``TuningService(store, training)``, calls :meth:`recover` at startup
and :meth:`close` at shutdown, and routes CreateHyperParameterTuningJob,
DescribeHyperParameterTuningJob, StopHyperParameterTuningJob, ListHyperParameterTuningJobs and
ListTrainingJobsForHyperParameterTuningJob here with botocore-validated request dicts.

All jobs live in memory (loaded from SQLite at construction), so Describe and List never query
the database; engines persist every change.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable
from typing import Any

from airflow_sm_provider.local import listing
from airflow_sm_provider.local.arns import DEFAULT_ACCOUNT, DEFAULT_REGION, make_arn
from airflow_sm_provider.local.errors import ResourceInUse, ResourceNotFound, ValidationError
from airflow_sm_provider.local.training.rules import check_training_request
from airflow_sm_provider.local.tuning import responses, warm_start
from airflow_sm_provider.local.tuning.engine import Context, JobEngine
from airflow_sm_provider.local.tuning.records import Trial, TuningJob
from airflow_sm_provider.local.tuning.space import SearchSpace
from airflow_sm_provider.local.tuning.store import TuningStore
from airflow_sm_provider.local.tuning.trials import build_request
from airflow_sm_provider.local.tuning.validation import budget_of, definitions_of, validate_create

log = logging.getLogger(__name__)

__all__ = ["TuningService"]

_ENGINE_JOIN_SECONDS = 10.0
JOB_SORT_KEYS: dict[str, Callable[[TuningJob], Any]] = {
    "Name": lambda j: j.name,
    "Status": lambda j: j.status,
    "CreationTime": lambda j: j.creation_time,
}
TRIAL_SORT_KEYS: dict[str, Callable[[Trial], Any]] = {
    "Name": lambda t: t.name,
    "CreationTime": lambda t: t.creation_time,
    "Status": lambda t: t.status,
    "FinalObjectiveMetricValue": lambda t: t.objective_value,
}


class TuningService:
    """Hyperparameter tuning jobs on optuna, each trial a training job of ``training``.

    :param store: the backend's ``Store`` (its ``path`` holds our tables; its tags API keeps the
        tuning job's Tags for ListTags).
    :param training: the backend's ``TrainingService``.
    :param poll_interval: seconds between an engine's passes over its running trials.
    """

    def __init__(self, store: Any, training: Any, *, poll_interval: float = 0.2) -> None:
        self._backend_store = store
        self._training = training
        self._lock = threading.RLock()
        self._tables = TuningStore(store.path)
        self._jobs: dict[str, TuningJob] = {job.name: job for job in self._tables.load()}
        self._engines: dict[str, JobEngine] = {}
        self._ctx = Context(
            lock=self._lock,
            store=self._tables,
            training=training,
            jobs=self._jobs,
            shutdown=threading.Event(),
            put_tags=store.put_tags,
            poll_interval=poll_interval,
        )
        self._region = getattr(training, "region", None) or DEFAULT_REGION
        self._account = getattr(training, "account_id", None) or DEFAULT_ACCOUNT

    def create(self, request: dict[str, Any]) -> str:
        """CreateHyperParameterTuningJob; returns the job's ARN."""
        name = request["HyperParameterTuningJobName"]
        space = validate_create(request)
        budget_of(request["HyperParameterTuningJobConfig"], space)
        _check_trial_requests(request, space)
        for definition in definitions_of(request):  # each trial is that many processes here
            self._training.check_local_limits(definition)
        with self._lock:
            # Case-blind, as the ARN (which holds the name lowercased) must be unique.
            if any(existing.lower() == name.lower() for existing in self._jobs):
                raise ResourceInUse(f"Tuning job {name} already exists")
            warm_start.parents_of(request, self._jobs)
            arn = make_arn(self._region, self._account, "hyper-parameter-tuning-job", name)
            job = TuningJob(name=name, arn=arn, request=copy.deepcopy(request))
            self._jobs[name] = job
            data = job.to_json()
        self._tables.save_job(name, data)
        if request.get("Tags"):
            self._backend_store.put_tags(arn, request["Tags"])
        log.info("Created tuning job %s (%s)", name, request["HyperParameterTuningJobConfig"]["Strategy"])
        self._start(job)
        return arn

    def describe(self, name: str) -> dict[str, Any]:
        """DescribeHyperParameterTuningJob."""
        with self._lock:
            job = self._get(name)
            return responses.describe(job, warm_start.overall_best(job, self._jobs))

    def stop(self, name: str) -> None:
        """StopHyperParameterTuningJob: Stopping now, Stopped once every running trial stopped."""
        with self._lock:
            job = self._get(name)
            if job.terminal:
                raise ValidationError(f"Tuning job {name} has already ended ({job.status})")
            if job.stop_requested:
                return
            job.stop_requested = True
            job.status = "Stopping"
            job.touch()
            data = job.to_json()
        self._tables.save_job(name, data)
        engine = self._engines.get(name)
        if engine is not None and engine.is_alive():
            engine.wake.set()
        elif not self._ctx.shutdown.is_set():
            self._start(job)

    def list(self, request: dict[str, Any]) -> dict[str, Any]:
        """ListHyperParameterTuningJobs (sorted by Name unless asked otherwise, as SageMaker)."""
        with self._lock:
            jobs = listing.filter_by(
                self._jobs.values(),
                request,
                name=lambda j: j.name,
                status=lambda j: j.status,
                created=lambda j: j.creation_time,
                modified=lambda j: j.last_modified_time,
            )
            ordered = listing.sort(jobs, JOB_SORT_KEYS, request, default="Name")
            page, token = listing.page(ordered, request, "ListHyperParameterTuningJobs")
            summaries = [responses.job_summary(j) for j in page]
        return {"HyperParameterTuningJobSummaries": summaries, **listing.next_token(token)}

    def list_training_jobs(self, request: dict[str, Any]) -> dict[str, Any]:
        """ListTrainingJobsForHyperParameterTuningJob (sorted by Name unless asked otherwise)."""
        with self._lock:
            job = self._get(request["HyperParameterTuningJobName"])
            trials = listing.filter_by(job.trials, request, status=lambda t: t.status)
            if request.get("SortBy") == "FinalObjectiveMetricValue":
                # As SageMaker: jobs without an objective value are not listed under this sort.
                trials = [t for t in trials if t.objective_value is not None]
            ordered = listing.sort(trials, TRIAL_SORT_KEYS, request, default="Name")
            page, token = listing.page(ordered, request, "ListTrainingJobsForHyperParameterTuningJob")
            summaries = [responses.trial_summary(job, t) for t in page]
        return {"TrainingJobSummaries": summaries, **listing.next_token(token)}

    def recover(self) -> None:
        """Resume every unfinished job (its trials that died with the backend count as failed)."""
        with self._lock:
            unfinished = [j for j in self._jobs.values() if not j.terminal]
        for job in unfinished:
            log.info("Resuming tuning job %s (%d training jobs launched)", job.name, len(job.trials))
            self._start(job)

    def close(self) -> None:
        """Stop the engines, leaving their jobs InProgress in the store for :meth:`recover`."""
        self._ctx.shutdown.set()
        for engine in list(self._engines.values()):
            engine.wake.set()
        for engine in list(self._engines.values()):
            engine.join(_ENGINE_JOIN_SECONDS)
        self._tables.close()

    def _start(self, job: TuningJob) -> None:
        try:
            space = validate_create(job.request)
            budget = budget_of(job.config, space)
        except ValidationError as err:  # stored by an older version with other rules
            with self._lock:
                job.status, job.failure_reason = "Failed", err.message
                job.touch()
                data = job.to_json()
            self._tables.save_job(job.name, data)
            return
        engine = JobEngine(self._ctx, job, space, budget)
        self._engines[job.name] = engine
        engine.start()

    def _get(self, name: str) -> TuningJob:
        job = self._jobs.get(name)
        if job is None:
            raise ResourceNotFound(f"Amazon SageMaker can't find a tuning job with name {name}")
        return job


def _check_trial_requests(request: dict[str, Any], space: SearchSpace) -> None:
    """Each definition must make a training job request the backend accepts: checked now, so a bad
    definition fails CreateHyperParameterTuningJob rather than every trial."""
    name = request["HyperParameterTuningJobName"]
    many = bool(request.get("TrainingJobDefinitions"))
    for index, definition in enumerate(definitions_of(request)):
        trial = build_request(
            name=f"{name}-001-00000000",
            job_name=name,
            config=request["HyperParameterTuningJobConfig"],
            definition=definition,
            tuned={p.name: "0" for p in space.definitions[index].params},  # values are not checked
            tags=request.get("Tags") or [],
        )
        try:
            check_training_request(trial)
        except ValidationError as err:
            where = f"TrainingJobDefinitions[{index}]" if many else "TrainingJobDefinition"
            raise ValidationError(f"{where}: {err.message}") from None
