"""SageMakerModelApprovalSensor: wait until someone approves (or rejects) a model package version.

The same wait core as the job sensors (:mod:`airflow_sm_provider.waiting`): poke, reschedule and
deferrable modes read one status table (the model package row of :mod:`airflow_sm_provider.jobs`),
a deferrable sensor pokes once before it defers, and its trigger watches through the same
coalesced poller as jobs. Approved is success; Rejected fails the task with the version's
``ApprovalDescription`` (who or what rejected it, and why).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.configuration import conf

from airflow_sm_provider.jobs import MODEL_PACKAGE
from airflow_sm_provider.sensors.sagemaker import SageMakerJobSensor

if TYPE_CHECKING:
    from airflow.sdk import Context


class SageMakerModelApprovalSensor(SageMakerJobSensor):
    """Wait until a model package version's ``ModelApprovalStatus`` is Approved.

    Pushes the version's summary as ``return_value``: ``{"model_package_arn",
    "model_package_group_name", "model_package_version", "approval_status",
    "approval_description", "image", "model_data_url", "metrics", "customer_metadata"}``.

    :param model_package_arn: The version to watch (e.g. the register operator's
        ``output["model_package_arn"]``). Templated.
    :param aws_conn_id: Airflow ``aws`` connection id.
    :param region_name: AWS region; the connection's by default.
    :param deferrable: Wait in the triggerer (checking every ``poke_interval`` seconds). The sensor
        checks once first, so an already decided version never defers.
    """

    kind = MODEL_PACKAGE
    template_fields: tuple[str, ...] = ("model_package_arn", "aws_conn_id", "region_name")

    def __init__(
        self,
        *,
        model_package_arn: str,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        # a version cannot be stopped: a kill of the waiting task leaves it as it is
        super().__init__(
            job_name=model_package_arn,
            aws_conn_id=aws_conn_id,
            region_name=region_name,
            deferrable=deferrable,
            stop_job_on_kill=False,
            **kwargs,
        )
        self.model_package_arn = model_package_arn

    def execute(self, context: Context) -> Any:
        self.job_name = self.model_package_arn  # the rendered value
        return super().execute(context)

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        self.job_name = self.model_package_arn
        return super().execute_complete(context, event)
