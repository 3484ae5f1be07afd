"""The search loop of one tuning job: a thread that asks optuna, runs trials and tells it results.

Each pass of the loop (every :attr:`Context.poll_interval` seconds, or at once when woken: a
watcher thread per running trial blocks in ``wait_training_job`` and wakes the loop when it ends):

1. poll every running trial: new intermediate objective values are reported to its optuna trial
   (step = epoch, 1-based) and the pruner consulted; a pruned trial gets StopTrainingJob and
   ends Stopped, counted as SageMaker counts early-stopped jobs; a finished one is told;
2. decide whether the job ends: StopHyperParameterTuningJob, a completion criterion,
   ``ResourceLimits.MaxRuntimeInSeconds``, or the budget spent; on an early end the running
   trials are stopped and the job ends when they have;
3. launch trials (``study.ask``) until ``MaxParallelTrainingJobs`` run at once.

Only this thread touches the study. Records are changed under the service lock and persisted
right after; :meth:`TuningService.close` sets ``shutdown`` and the thread leaves the job
InProgress for :meth:`TuningService.recover`.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
from collections.abc import Callable
from typing import Any

import optuna

from airflow_sm_provider.local.errors import LocalServiceError
from airflow_sm_provider.local.registry.tags import put_with_retry
from airflow_sm_provider.local.times import utcnow
from airflow_sm_provider.local.tuning import completion, warm_start
from airflow_sm_provider.local.tuning import study as studies
from airflow_sm_provider.local.tuning.records import Trial, TuningJob
from airflow_sm_provider.local.tuning.space import SearchSpace, suggest
from airflow_sm_provider.local.tuning.trials import build_request, trial_name
from airflow_sm_provider.local.tuning.watch import final_objective, watch

log = logging.getLogger(__name__)

# what SageMaker retries: its own failures, not the algorithm's (ClientError, AlgorithmError)
RETRYABLE = "InternalServerError"


@dataclasses.dataclass
class Context:
    """What an engine shares with the service."""

    lock: threading.RLock
    store: Any  # .store.TuningStore
    training: Any  # the backend's TrainingService
    jobs: dict[str, TuningJob]
    shutdown: threading.Event
    put_tags: Callable[[str, list[dict[str, str]]], None]
    poll_interval: float = 0.2


class JobEngine(threading.Thread):
    """Runs one tuning job to its end (or until shutdown)."""

    def __init__(self, ctx: Context, job: TuningJob, space: SearchSpace, budget: int) -> None:
        super().__init__(name=f"tuning-{job.name}", daemon=True)
        self.ctx = ctx
        self.job = job
        self.space = space
        self.budget = budget
        self.wake = threading.Event()
        self.study: optuna.Study | None = None
        self.running: dict[int, optuna.Trial] = {}  # Trial.number -> live optuna trial
        self.stop_sent: set[int] = set()

    def run(self) -> None:
        try:
            self._setup()
            while not self.ctx.shutdown.is_set():
                self.wake.clear()
                if self._step():
                    return
                self.wake.wait(self.ctx.poll_interval)
        except Exception as err:  # the job must end visibly, whatever broke
            log.exception("Tuning job %s failed in the engine", self.job.name)
            self._stop_running()
            self._finish("Failed", f"Internal error in the tuning engine: {err}")

    def _setup(self) -> None:
        self.study = studies.new_study(self.job, self.space, self.budget)
        for seed in warm_start.seed_trials(
            self.job, self.space, warm_start.parents_of(self.job.request, self.ctx.jobs)
        ):
            self.study.add_trial(seed)
        studies.replay(self.study, self.job, self.space)
        for trial in self.job.trials:
            if not trial.finished:
                self.running[trial.number] = studies.attach(self.study, trial, self.space)
                watch(self.ctx.training, trial.name, self.wake, self.ctx.shutdown)

    def _step(self) -> bool:
        """One pass of the loop; True when the job has ended."""
        for number in list(self.running):
            self._poll(self.job.trials[number - 1])
        ending = self._end_reason()
        if ending is not None:
            status, reason = ending
            self._stop_running()
            if not self.running:
                self._finish(status, reason if status == "Failed" else None)
                return True
            return False
        while len(self.running) < self.job.config["ResourceLimits"]["MaxParallelTrainingJobs"]:
            if self._used() >= self.budget or not self._launch():
                break
        return False

    def _end_reason(self) -> tuple[str, str] | None:
        job = self.job
        if job.stop_requested:
            return "Stopped", "stopped by request"
        if job.failure_reason:
            return "Failed", job.failure_reason
        reason = completion.completion_reason(
            job.config.get("TuningJobCompletionCriteria"),
            job.finished_objectives(),
            job.minimize,
        )
        if reason is None:
            limit = job.config["ResourceLimits"].get("MaxRuntimeInSeconds")
            if limit and (utcnow() - job.creation_time).total_seconds() >= limit:
                reason = "ResourceLimits.MaxRuntimeInSeconds reached"
        if reason is None and self._used() >= self.budget and not self.running:
            reason = "all training jobs launched"
        if reason is not None and job.completion_reason is None:
            with self.ctx.lock:
                job.completion_reason = reason
            log.info("Tuning job %s completes: %s", job.name, reason)
        return ("Completed", reason) if reason else None

    def _used(self) -> int:
        """Trials that count against the budget: every one but those lost for internal reasons
        (as many of those as the budget itself, so a persistent internal failure still ends)."""
        retryable = sum(1 for trial in self.job.trials if trial.retryable)
        return len(self.job.trials) - retryable + max(0, retryable - self.budget)

    def _launch(self) -> bool:
        """Ask optuna for a point and start its training job; False if none could be started."""
        assert self.study is not None
        job = self.job
        live = self.study.ask()
        params = suggest(live, self.space)
        index = self.space.definition_of(params)
        tuned = self.space.definitions[index].tuned_hyperparameters(params)
        number = len(job.trials) + 1
        name = trial_name(job.name, number)
        request = build_request(
            name=name,
            job_name=job.name,
            config=job.config,
            definition=job.definitions[index],
            tuned=tuned,
            tags=job.request.get("Tags") or [],
        )
        tags = request.pop("Tags")  # written once the job exists: see put_with_retry
        try:
            arn = self.ctx.training.create_training_job(request, tuning_job_arn=job.arn)
        except LocalServiceError as err:
            self.study.tell(live, state=optuna.trial.TrialState.FAIL)
            with self.ctx.lock:
                job.failure_reason = f"Could not create training job {name}: {err.message}"
            return False
        put_with_retry(self.ctx.put_tags, arn, tags)
        trial = Trial(number=number, name=name, arn=arn, params=params, tuned=tuned, definition=index)
        with self.ctx.lock:
            job.trials.append(trial)
            job.touch()
            data = trial.to_json()
        self.ctx.store.save_trial(job.name, data)
        self._save_job()
        self.running[number] = live
        watch(self.ctx.training, name, self.wake, self.ctx.shutdown)
        log.info("Tuning job %s launched training job %s", job.name, name)
        return True

    def _poll(self, trial: Trial) -> None:
        training = self.ctx.training
        try:
            described = training.describe_training_job(trial.name)
        except LocalServiceError:
            described = {"TrainingJobStatus": "Failed", "FailureReason": "The training job no longer exists"}
        metric = self.job.objective(trial)["MetricName"]
        values = (
            [float(v) for v in training.intermediate_metrics(trial.name, metric)]
            if "CreationTime" in described
            else []
        )
        live = self.running[trial.number]
        fresh = values[len(trial.intermediate) :]
        for step, value in enumerate(fresh, start=len(trial.intermediate) + 1):
            if math.isfinite(value):
                live.report(value, step)
        status = described["TrainingJobStatus"]
        changed = (
            bool(fresh)
            or status != trial.status
            or (trial.start_time is None and described.get("TrainingStartTime"))
        )
        with self.ctx.lock:
            trial.intermediate = trial.intermediate + fresh
            trial.status = status
            trial.start_time = described.get("TrainingStartTime") or trial.start_time
        if status in ("Completed", "Failed", "Stopped"):
            self._finalize(trial, described, live)
            return
        if fresh and status == "InProgress" and not trial.pruned and live.should_prune():
            log.info("Tuning job %s stops training job %s early", self.job.name, trial.name)
            with self.ctx.lock:
                trial.pruned = True
            self._send_stop(trial)
            changed = True
        if changed:
            self._save(trial)

    def _finalize(self, trial: Trial, described: dict[str, Any], live: optuna.Trial) -> None:
        assert self.study is not None
        status = described["TrainingJobStatus"]
        value = final_objective(described, self.job.objective(trial)["MetricName"], trial.intermediate)
        with self.ctx.lock:
            trial.end_time = described.get("TrainingEndTime") or utcnow()
            trial.failure_reason = described.get("FailureReason") if status == "Failed" else None
            trial.retryable = status == "Failed" and (trial.failure_reason or "").startswith(RETRYABLE)
            trial.objective_value = value
            trial.objective_status = "Succeeded" if value is not None else "Failed"
            trial.finished_order = 1 + max((t.finished_order for t in self.job.trials), default=0)
            self.job.touch()
        state, told = studies.outcome(trial)
        self.study.tell(live, told, state=state)
        del self.running[trial.number]
        self._note_convergence()
        self._save(trial)

    def _note_convergence(self) -> None:
        criteria = self.job.config.get("TuningJobCompletionCriteria") or {}
        if "ConvergenceDetected" not in criteria or self.job.convergence_time is not None:
            return
        if completion.converged(self.job.finished_objectives(), self.job.minimize):
            with self.ctx.lock:
                self.job.convergence_time = utcnow()

    def _stop_running(self) -> None:
        for number in list(self.running):
            self._send_stop(self.job.trials[number - 1])

    def _send_stop(self, trial: Trial) -> None:
        if trial.number in self.stop_sent:
            return
        self.stop_sent.add(trial.number)
        try:
            self.ctx.training.stop_training_job(trial.name)
        except LocalServiceError as err:  # it may have just finished
            log.info("Could not stop training job %s: %s", trial.name, err.message)

    def _finish(self, status: str, failure_reason: str | None) -> None:
        with self.ctx.lock:
            self.job.status = status
            self.job.end_time = utcnow()
            self.job.failure_reason = failure_reason
            self.job.touch()
        self._save_job()
        log.info("Tuning job %s ended %s", self.job.name, status)

    def _save(self, trial: Trial) -> None:
        with self.ctx.lock:
            self.job.touch()
            data = trial.to_json()
        self.ctx.store.save_trial(self.job.name, data)
        self._save_job()

    def _save_job(self) -> None:
        with self.ctx.lock:
            data = self.job.to_json()
        self.ctx.store.save_job(self.job.name, data)
