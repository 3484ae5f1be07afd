"""The trigger a deferred :class:`~airflow_sm_provider.sensors.model_package.SageMakerModelApprovalSensor`
waits on: the job trigger's loop, on the coalesced poller, for the model package kind.

``job_name`` is the version's ARN. The poller Describes each watched version (the kind's row
turns its List-based sweep off), still one client and one loop-wide poller for all of them.
A version cannot be stopped, so ``on_kill`` leaves it as it is.
"""

from __future__ import annotations

from airflow_sm_provider.jobs import MODEL_PACKAGE
from airflow_sm_provider.triggers.sagemaker import SageMakerJobTrigger


class SageMakerModelApprovalTrigger(SageMakerJobTrigger):
    """Wait until a model package version is Approved (``success``) or Rejected (``failed``).

    See :class:`~airflow_sm_provider.triggers.sagemaker.SageMakerJobTrigger` for the parameters;
    ``job_name`` is the model package version's ARN and ``stop_job_on_kill`` is ignored.
    """

    kind = MODEL_PACKAGE

    async def on_kill(self) -> None:
        self.log.info("Task was killed: model package %s is left as it is", self.job_name)
