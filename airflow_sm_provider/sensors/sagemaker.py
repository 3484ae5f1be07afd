"""Sensors that wait on SageMaker training and tuning jobs started elsewhere.

poke, reschedule and deferrable modes share the wait core (:mod:`airflow_sm_provider.waiting`)
and push the same XCom as the operators. A Failed or Stopped job fails the sensor with
SageMaker's FailureReason; a tuning job that completed without a successful training job fails
too. A transient error (throttling, 5xx) is one more poke, never a failure. Running out of
``timeout`` raises ``AirflowSensorTimeout`` with the same message in every mode, and Airflow does
not retry it.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.configuration import conf
from airflow.providers.common.compat.sdk import AirflowSensorTimeout
from airflow.sdk import BaseSensorOperator, PokeReturnValue

from airflow_sm_provider import reporting, results, waiting
from airflow_sm_provider.hooks.mixin import SageMakerHookMixin
from airflow_sm_provider.jobs import TRAINING, TUNING, JobKind, Outcome
from airflow_sm_provider.links.sagemaker import (
    SageMakerTrainingJobLink,
    SageMakerTrainingLogsLink,
    SageMakerTuningJobLink,
    persist_job_link,
)

if TYPE_CHECKING:
    from airflow.sdk import Context


class SageMakerJobSensor(SageMakerHookMixin, BaseSensorOperator):
    """Wait for a SageMaker job to finish.

    :param job_name: The job to watch. Templated.
    :param aws_conn_id: Airflow ``aws`` connection id.
    :param region_name: AWS region; the connection's by default.
    :param deferrable: Wait in the triggerer (polling every ``poke_interval`` seconds) instead of
        a worker slot. The sensor pokes once first, so a job that has already ended never defers.
    :param stop_job_on_kill: In deferrable mode, stop the job when a user kills the task. Off by
        default: a sensor watches a job it did not start.
    :param print_log: Show what the job prints (training) or its finished trials and leaderboard
        (tuning) in the task log while it runs, as the operators do. The sensor keeps how far it
        has shown the job in Airflow's task state store (Airflow 3.3+), so in reschedule mode each
        poke shows only what is new and a retry carries on where the previous try stopped. On an
        older Airflow a reschedule-mode sensor has nowhere to keep that between pokes (each is a
        new process, and Airflow clears the task's XComs), so it shows the output once, when the
        job has ended, and says so.
    """

    kind: ClassVar[JobKind]
    template_fields: tuple[str, ...] = ("job_name", "aws_conn_id", "region_name")
    ui_color = "#ede4ff"

    def __init__(
        self,
        *,
        job_name: str,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        stop_job_on_kill: bool = False,
        print_log: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.print_log = print_log
        self.job_name = job_name
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self.deferrable = deferrable
        self.stop_job_on_kill = stop_job_on_kill
        self._watcher: waiting.Watcher | None = None

    @property
    def timeout_seconds(self) -> float:
        timeout = self.timeout
        return timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)

    def execute(self, context: Context) -> Any:
        self.log.info(
            "Waiting on SageMaker %s %s via %s", self.kind.label, self.job_name, self.hook.describe_target()
        )
        persist_job_link(self, context, self.kind, self.job_name, self.hook)
        if not self.deferrable:
            try:
                return super().execute(context)
            except AirflowSensorTimeout as err:
                raise AirflowSensorTimeout(self._timeout_message()) from err
        done = self.poke(context)  # poke once first: a finished job needs no triggerer
        if done:
            return done.xcom_value if isinstance(done, PokeReturnValue) else None
        waiting.defer(
            self,
            self.kind,
            self.job_name,
            aws_conn_id=self.aws_conn_id,
            region_name=self.region_name,
            poll_interval=self.poke_interval,
            timeout=self.timeout_seconds,
            limit_name="timeout",
            stop_job_on_kill=self.stop_job_on_kill,
            print_log=self.print_log,
            # what the first poke showed: the trigger carries on from there
            shown=self._watcher.reporter.state() if self._watcher and self._watcher.reporter else None,
        )

    def poke(self, context: Context) -> PokeReturnValue | bool:
        if self._watcher is None:
            self._watcher = waiting.Watcher(
                self.kind, self.job_name, self.log, reporter=self._reporter(context)
            )
        description = waiting.describe_or_none(self.hook, self.kind, self.job_name, self.log)
        if description is None or self._watcher.observe(description).outcome is Outcome.RUNNING:
            return False
        return PokeReturnValue(
            is_done=True, xcom_value=results.publish(self.kind, self.hook, context, description)
        )

    def _reporter(self, context: Context) -> Any:
        """What shows the job's output in this task's log (``None`` without ``print_log``)."""
        if not (self.print_log and self.kind.reporter):
            return None
        reporter = self.kind.reporter(self.hook, self.job_name, self.log, None, False)
        store = context.get("task_state_store")
        if store is not None:
            return reporting.KeptInTaskState(
                reporter, store, self.job_name, context["ti"].try_number, self.log
            )
        if not self.reschedule:
            return reporter
        self.log.info(
            "Reschedule mode: the output of %s is shown once it has ended (showing it while it runs "
            "needs the task state store of Airflow 3.3+, which this Airflow does not have)",
            self.job_name,
        )
        return _AtTheEnd(reporter)

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        results.refuse_other_job(event, self.job_name)
        persist_job_link(self, context, self.kind, self.job_name, self.hook)
        if self.print_log and (store := context.get("task_state_store")) is not None:
            reporting.forget_place(store, self.log)  # kept by the poke before deferring
        results.raise_for_event(event, timeout_error=AirflowSensorTimeout)
        description = self.hook.describe(self.kind, self.job_name)
        if self.print_log and self.kind.reporter:  # the trigger showed the progress; the end remains
            since_ms = int(time.time() * 1000)
            self.kind.reporter(self.hook, self.job_name, self.log, since_ms, True).finish(description)
        return results.publish(self.kind, self.hook, context, description)

    def _timeout_message(self) -> str:
        return waiting.timeout_message(self.kind, self.job_name, "timeout", self.timeout_seconds)


class _AtTheEnd:
    """A reporter that stays silent until the job has ended (reschedule mode)."""

    def __init__(self, reporter: Any) -> None:
        self.reporter = reporter

    def poll(self, description: dict[str, Any]) -> None:
        pass

    def finish(self, description: dict[str, Any]) -> None:
        self.reporter.finish(description)

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.reporter.state()
        return state

    def restore(self, state: dict[str, Any]) -> None:
        self.reporter.restore(state)


class SageMakerTrainingSensor(SageMakerJobSensor):
    """Wait for a SageMaker training job; XCom as SageMakerTrainingOperator's."""

    kind = TRAINING
    operator_extra_links = (SageMakerTrainingJobLink(), SageMakerTrainingLogsLink())


class SageMakerTuningSensor(SageMakerJobSensor):
    """Wait for a SageMaker tuning job; XCom as SageMakerTuningOperator's."""

    kind = TUNING
    operator_extra_links = (SageMakerTuningJobLink(),)
