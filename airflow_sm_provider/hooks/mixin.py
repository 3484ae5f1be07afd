"""The hook every operator and sensor of this provider builds from its connection parameters."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_sm_provider.hooks.sagemaker import SageMakerHook


class SageMakerHookMixin:
    """A lazily built :class:`SageMakerHook` for ``aws_conn_id`` and ``region_name``.

    Not the amazon provider's ``AwsBaseOperator`` / ``AwsBaseSensor``: importing those loads
    boto3 and botocore (about half a second) in every DAG-parsing loop, while this mixin imports
    the hook only when a task runs.
    """

    aws_conn_id: str | None
    region_name: str | None

    @cached_property
    def hook(self) -> SageMakerHook:
        from airflow_sm_provider.hooks.sagemaker import SageMakerHook

        return SageMakerHook(aws_conn_id=self.aws_conn_id, region_name=self.region_name)
