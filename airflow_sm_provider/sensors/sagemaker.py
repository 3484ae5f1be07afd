"""Sensors that wait on SageMaker training and tuning jobs started elsewhere.

poke, reschedule and deferrable modes share one status table (:func:`jobs.classify`) and push
the same XCom as the operators. A Failed or Stopped job fails the sensor with SageMaker's
FailureReason; a tuning job that completed without a successful training job fails too.
"""

from __future__ import annotations

import time
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.configuration import conf
from airflow.sdk import BaseSensorOperator, PokeReturnValue

from airflow_sm_provider import completion
from airflow_sm_provider.jobs import TRAINING, TUNING, JobKind, Outcome, classify, progress
from airflow_sm_provider.links.sagemaker import (
    SageMakerTrainingJobLink,
    SageMakerTrainingLogsLink,
    SageMakerTuningJobLink,
    persist_job_link,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_sm_provider.hooks.sagemaker import SageMakerHook


class SageMakerJobSensor(BaseSensorOperator):
    """Wait for a SageMaker job to finish.

    :param job_name: The job to watch. Templated.
    :param aws_conn_id: Airflow ``aws`` connection id.
    :param region_name: AWS region; the connection's by default.
    :param deferrable: Wait in the triggerer (polling every ``poke_interval`` seconds) instead of
        a worker slot.
    :param stop_job_on_kill: In deferrable mode, stop the job when a user kills the task. Off by
        default: a sensor watches a job it did not start.
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
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.job_name = job_name
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self.deferrable = deferrable
        self.stop_job_on_kill = stop_job_on_kill
        self._last_progress: str | None = None

    @cached_property
    def hook(self) -> SageMakerHook:
        from airflow_sm_provider.hooks.sagemaker import SageMakerHook

        return SageMakerHook(aws_conn_id=self.aws_conn_id, region_name=self.region_name)

    def execute(self, context: Context) -> Any:
        persist_job_link(context, self.kind.name, self.job_name, self.hook.region_name)
        if not self.deferrable:
            return super().execute(context)
        from airflow_sm_provider.triggers.sagemaker import SageMakerTrainingTrigger, SageMakerTuningTrigger

        timeout = self.timeout.total_seconds() if isinstance(self.timeout, timedelta) else float(self.timeout)
        trigger_class = SageMakerTuningTrigger if self.kind is TUNING else SageMakerTrainingTrigger
        self.defer(
            trigger=trigger_class(
                job_name=self.job_name,
                aws_conn_id=self.aws_conn_id,
                region_name=self.region_name,
                poll_interval=self.poke_interval,
                timeout_at=time.time() + timeout,
                stop_job_on_kill=self.stop_job_on_kill,
            ),
            method_name="execute_complete",
        )

    def poke(self, context: Context) -> PokeReturnValue | bool:
        description = self.hook.describe(self.kind, self.job_name)
        line = progress(self.kind, description)
        if line != self._last_progress:
            self.log.info("%s %s: %s", self.kind.label, self.job_name, line)
            self._last_progress = line
        if classify(self.kind, description).outcome is Outcome.RUNNING:
            return False
        result = completion.build_result(self.kind, self.hook, description)  # raises on failure
        return PokeReturnValue(is_done=True, xcom_value=completion.push_result(self.kind, context, result))

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        completion.raise_for_event(event)
        description = self.hook.describe(self.kind, self.job_name)
        result = completion.build_result(self.kind, self.hook, description)
        return completion.push_result(self.kind, context, result)


class SageMakerTrainingSensor(SageMakerJobSensor):
    """Wait for a SageMaker training job; XCom as SageMakerTrainingOperator's."""

    kind = TRAINING
    operator_extra_links = (SageMakerTrainingJobLink(), SageMakerTrainingLogsLink())


class SageMakerTuningSensor(SageMakerJobSensor):
    """Wait for a SageMaker tuning job; XCom as SageMakerTuningOperator's."""

    kind = TUNING
    operator_extra_links = (SageMakerTuningJobLink(),)
