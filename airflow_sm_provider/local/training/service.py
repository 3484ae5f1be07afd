"""Training jobs: state, rules and lifecycle (the layer under the handlers).

``TrainingService`` is also the interface the tuning engine drives: it creates trials with
``create_training_job(request, tuning_job_arn=...)``, waits on them with
``wait_training_job`` (a Condition, no polling) and reads intermediate metric values for early
stopping with ``intermediate_metrics``.

Concurrency: every job record lives in memory and is read and changed under one Condition,
which is never held during I/O. Describes copy a record under it and return; transitions change
the record, notify waiters, and only then write the record to SQLite outside the lock.
"""

from __future__ import annotations

import copy
import logging
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from airflow_sm_provider.local import cgroups, listing
from airflow_sm_provider.local.algorithms import builtin_for
from airflow_sm_provider.local.arns import DEFAULT_ACCOUNT, DEFAULT_REGION, make_arn, region_of
from airflow_sm_provider.local.errors import ResourceInUse, ValidationError
from airflow_sm_provider.local.store import Store, StoreClosed
from airflow_sm_provider.local.times import utcnow
from airflow_sm_provider.local.training import artifacts, scriptmode, toolkit
from airflow_sm_provider.local.training.isolation import NetworkIsolation
from airflow_sm_provider.local.training.job import MESSAGES, TrainingJob
from airflow_sm_provider.local.training.metrics import MetricSeries, compile_definitions
from airflow_sm_provider.local.training.options import TrainingOptions
from airflow_sm_provider.local.training.rules import check_training_request
from airflow_sm_provider.local.training.runner import Runner, kill_orphan

__all__ = ["TrainingService"]

log = logging.getLogger(__name__)

RESTART_REASON = (
    "InternalServerError: the local SageMaker backend restarted while this training job was "
    "running; the job's process was lost. Start a new job."
)
NOT_FOUND = "Requested resource not found."  # what real SageMaker says for a missing training job
SORT_KEYS: dict[str, Callable[[TrainingJob], Any]] = {
    "Name": lambda j: j.name,
    "CreationTime": lambda j: j.creation_time,
    "Status": lambda j: j.status,
}


class TrainingService:
    """Training jobs of one backend home.

    :param store: persistence (``<home>/state.db``); job directories go to ``<home>/jobs/``.
    :param region: region for ARNs when a caller gives none.
    :param account_id: account for ARNs.
    :param stop_grace: seconds between SIGTERM and SIGKILL when a job is stopped.
    :param options: instance limit and spot interruption simulator.
    """

    def __init__(
        self,
        store: Store,
        *,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT,
        stop_grace: float = 5.0,
        options: TrainingOptions | None = None,
    ) -> None:
        self.store = store
        self.options = options or TrainingOptions()
        self._isolation: NetworkIsolation | None = None
        self._isolation_lock = threading.Lock()
        self.region = region
        self.account_id = account_id
        self.stop_grace = stop_grace
        # absolute once, at start: scripts run from their code directory, not from ours
        self.jobs_dir = Path(os.path.abspath(store.home / "jobs"))
        self._cond = threading.Condition()
        self._jobs: dict[str, TrainingJob] = {}
        self._taken: set[str] = set()
        self._runners: dict[str, Runner] = {}
        self._closed = False
        self.cgroup: cgroups.Cgroup | None = None  # the backend's parent cgroup, found at recover()

    # startup / shutdown ----------------------------------------------------------------------
    def recover(self) -> list[str]:
        """Kill whatever a previous backend on this home left in its cgroups, then load every
        job; those that were live when the backend died are retried if their RetryStrategy
        allows, else end now. Returns the names of those that ended."""
        self._track_processes()
        orphans, retried = [], []
        for doc in self.store.load_training_jobs():
            job = TrainingJob.from_doc(doc)
            if not job.is_terminal:
                if kill_orphan(scriptmode.Layout(self.jobs_dir / job.name)):
                    log.warning(
                        "training job %s: killed the process a previous backend left running", job.name
                    )
                if job.secondary_status == "Stopping":  # it was being stopped anyway
                    job.enter("Stopped")
                    orphans.append(job.name)
                elif job.may_retry() and not (
                    job.request.get("EnableNetworkIsolation") and self.isolation().wrapper is None
                ):  # SageMaker retries an InternalServerError
                    job.retries += 1
                    job.enter("Restarting")
                    job.metrics = MetricSeries(self._definitions(job.request), job.metrics.points)
                    retried.append(job)
                else:
                    job.enter("Failed", reason=RESTART_REASON)
                    orphans.append(job.name)
                self.store.save_training_job(job.to_doc())
            self._jobs[job.name] = job
            self._taken.add(job.name.lower())
        if orphans:
            log.warning("training jobs lost by a backend restart, now ended: %s", ", ".join(orphans))
        for job in retried:
            log.warning("training job %s: retry %d after a backend restart", job.name, job.retries)
            runner = self._runner_for(job)
            runner.fresh_start()
            with self._cond:
                self._runners[job.name] = runner
            runner.start()
        return orphans

    def _track_processes(self) -> None:
        """Find this home's cgroup (said once in the log, found or not) and empty it: at start,
        nothing in it can be a live job of this backend."""
        try:
            cgroup = cgroups.find(self.store.home, self.options.cgroups)
        except cgroups.CgroupUnavailable as err:
            log.warning(
                "no usable cgroup (%s): training processes are tracked by process group, child "
                "subreaper and parent-death signal only; a process detached by a script that kills "
                "its own launcher can outlive its job",
                err,
            )
            return
        log.info("training processes are tracked in cgroups under %s (%s)", cgroup.path, cgroup.kind)
        try:
            if killed := cgroup.kill():
                log.warning("killed %d processes a previous backend on this home left running", killed)
        except cgroups.CgroupError as err:
            log.warning("leftovers of a previous backend on this home: %s", err)
        self.cgroup = cgroup

    @staticmethod
    def _definitions(request: dict) -> list:
        return compile_definitions((request.get("AlgorithmSpecification") or {}).get("MetricDefinitions"))

    def _wrapper(self, request: dict) -> tuple[str, ...]:
        if not request.get("EnableNetworkIsolation"):
            return ()
        wrapper = self.isolation().wrapper
        if wrapper is None:  # checked at create; a retry on a changed machine must not run open
            raise ValidationError(self.isolation().refusal())
        return wrapper

    def _runner_for(self, job: TrainingJob) -> Runner:
        name = job.name
        return Runner(
            name,
            job.arn,
            job.request,
            scriptmode.Layout(self.jobs_dir / name),
            job.metrics,
            lambda secondary, reason: self._advance(name, secondary, reason),
            grace=self.stop_grace,
            on_exit=lambda: self._forget(name),
            options=self.options,
            wrapper=self._wrapper(job.request),
            created=job.creation_time,
            cgroup=self.cgroup.child(name) if self.cgroup is not None else None,
        )

    def close(self) -> None:
        """Stop every running process and wait for its runner (including a final save in flight);
        jobs that were live stay live in the store, and a restart reports them Failed."""
        with self._cond:
            self._closed = True
            runners = list(self._runners.values())
        for runner in runners:
            runner.abandon()
        for runner in runners:
            runner.join(self.stop_grace + 2)
        if self.cgroup is not None:  # anything a runner could not end in time ends here
            try:
                self.cgroup.kill()
            except cgroups.CgroupError as err:
                log.warning("training processes left at shutdown: %s", err)

    # the tuning engine's interface -----------------------------------------------------------
    def create_training_job(
        self, request: dict, *, tuning_job_arn: str | None = None, region: str | None = None
    ) -> str:
        """Validate, record and start a job; return its ARN (``ResourceInUse`` if the name is taken)."""
        check_training_request(request)
        self.check_local_limits(request)
        request = copy.deepcopy(request)  # the caller may reuse its dict; the job must not change
        builtin = builtin_for(request)
        spec = request["AlgorithmSpecification"]
        if builtin is not None and not spec.get("MetricDefinitions"):
            spec["MetricDefinitions"] = builtin.metric_definitions()  # as SageMaker reports them
        name = request["TrainingJobName"]
        region = region or (region_of(tuning_job_arn) if tuning_job_arn else self.region)
        arn = make_arn(region, self.account_id, "training-job", name)
        output = artifacts.model_uri(request, name)
        stored = {k: v for k, v in request.items() if k not in ("Tags", "TrainingJobName")}
        job = TrainingJob(
            name=name,
            arn=arn,
            request=stored,
            creation_time=utcnow(),
            model_artifacts=output,
            tuning_job_arn=tuning_job_arn,
            metrics=MetricSeries(self._definitions(request)),
        )
        layout = scriptmode.Layout(self.jobs_dir / name)
        runner = self._runner_for(job)
        with self._cond:
            if self._closed:
                raise ResourceInUse("The local backend is shutting down")
            if name.lower() in self._taken:  # ARNs lowercase names, so names clash case-blind
                raise ResourceInUse(
                    f"Training job names must be unique within an AWS account and region, "
                    f"and a training job with this name already exists ({arn})"
                )
            self._jobs[name] = job
            self._taken.add(name.lower())
            self._runners[name] = runner
            doc = job.to_doc()
        if layout.root.exists():  # left over from a state file that was deleted
            shutil.rmtree(layout.root, ignore_errors=True)
        self.store.save_training_job(doc)
        if request.get("Tags"):
            self.store.put_tags(arn, request["Tags"])
        runner.start()
        return arn

    def check_local_limits(self, request: dict) -> None:
        """What this machine can run: each instance is a process here, at most
        ``options.max_instances`` a job; network isolation only where it can be enforced."""
        count = len(toolkit.hosts(request))
        if count > self.options.max_instances:
            raise ValidationError(
                f"ResourceConfig asks for {count} instances; this local backend runs at most "
                f"{self.options.max_instances} per job, each as a process on this machine "
                "(serve --max-instances N raises the limit)"
            )
        if request.get("EnableNetworkIsolation") and self.isolation().wrapper is None:
            raise ValidationError(self.isolation().refusal())

    def isolation(self) -> NetworkIsolation:
        """How training processes are isolated (probed once, on first use)."""
        with self._isolation_lock:
            if self._isolation is None:
                self._isolation = self.options.isolation or NetworkIsolation.detect()
                if self._isolation.wrapper is None:
                    log.warning("network isolation unavailable: %s", self._isolation.reason)
            return self._isolation

    def describe_training_job(self, name: str) -> dict:
        with self._cond:
            description = self._get(name).describe()
        # nested request parts are shared with the record; callers may modify what they get
        return copy.deepcopy(description)

    def stop_training_job(self, name: str) -> None:
        """Stopping -> Stopped: SIGTERM the job's process group, SIGKILL after the grace period."""
        with self._cond:
            job = self._get(name)
            if job.secondary_status == "Stopping":
                return
            if job.is_terminal:
                raise ValidationError(
                    f"The request was rejected because the training job is in status {job.status}."
                )
            job.enter("Stopping")
            doc = job.to_doc()
            runner = self._runners.get(name)
            self._cond.notify_all()
        self.store.save_training_job(doc)
        if runner is not None:
            runner.stop("Stopped")

    def wait_training_job(self, name: str, timeout: float | None) -> bool:
        """Block until the job is terminal (True) or ``timeout`` seconds pass (False)."""
        with self._cond:
            self._get(name)
            return self._cond.wait_for(lambda: self._jobs[name].is_terminal, timeout)

    def intermediate_metrics(self, name: str, metric_name: str) -> list[float]:
        with self._cond:
            job = self._get(name)
        return job.metrics.values(metric_name)

    def list_training_job_summaries(self, names: list[str]) -> list[dict]:
        """``TrainingJobSummary`` dicts for the named jobs that exist, in the order given."""
        with self._cond:
            return [self._jobs[n].summary() for n in names if n in self._jobs]

    # everything else -------------------------------------------------------------------------
    def list_training_jobs(self, request: dict) -> dict:
        """ListTrainingJobs. Local jobs have no warm pool and no training plan, so filtering on
        either matches nothing."""
        if request.get("WarmPoolStatusEquals") or request.get("TrainingPlanArnEquals"):
            return {"TrainingJobSummaries": []}
        with self._cond:
            jobs = listing.filter_by(
                self._jobs.values(),
                request,
                name=lambda j: j.name,
                status=lambda j: j.status,
                created=lambda j: j.creation_time,
                modified=lambda j: j.last_modified_time,
            )
            ordered = listing.sort(jobs, SORT_KEYS, request, default="CreationTime")
            page, token = listing.page(ordered, request, "ListTrainingJobs")
            summaries = [job.summary() for job in page]
        return {"TrainingJobSummaries": summaries, **listing.next_token(token)}

    def arn_exists(self, arn: str) -> bool:
        with self._cond:
            return any(job.arn == arn for job in self._jobs.values())

    def log_path(self, name: str) -> Path:
        """Where the job's combined stdout and stderr are kept."""
        return scriptmode.Layout(self.jobs_dir / name).log

    def _forget(self, name: str) -> None:
        """Called by a runner's thread as it exits: nothing of the job is in flight any more."""
        with self._cond:
            self._runners.pop(name, None)

    def _get(self, name: str) -> TrainingJob:
        job = self._jobs.get(name)
        if job is None:
            raise ValidationError(NOT_FOUND)
        return job

    def _advance(self, name: str, secondary: str, reason: str | None) -> bool:
        """The runner's way to record a transition; False if the job may not move there."""
        with self._cond:
            job = self._jobs[name]
            if self._closed or not job.can_enter(secondary):
                return False
            message = None
            if secondary == "Training":  # where to read the script's output, for humans polling
                message = f"{MESSAGES['Training']}; output in {self.log_path(name)}"
            job.enter(secondary, reason=reason, message=message)
            doc = job.to_doc()
            self._cond.notify_all()
        try:
            self.store.save_training_job(doc)
        except StoreClosed:  # shutdown raced this transition; a restart reports the job Failed
            log.warning("training job %s: %s not saved, the backend is shutting down", name, secondary)
        if job.is_terminal:
            log.info("training job %s: %s (%s)", name, job.status, job.secondary_status)
        return True
