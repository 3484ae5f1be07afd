"""SageMakerHook: thin, quiet access to the SageMaker API for training and tuning jobs.

One API call per method, no waiting, no payload logging. Connection handling (``aws_conn_id``,
``region_name``, role assumption, ``endpoint_url`` / ``service_config`` in the extra) is
AwsBaseHook's. Throttling and transient errors are retried by botocore's own retry mode: unless
the connection's ``config_kwargs`` set ``retries`` themselves, clients use the ``adaptive`` mode
with :data:`DEFAULT_MAX_ATTEMPTS` attempts, so a fleet that hits SageMaker's API limits slows
down instead of failing tasks.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
from botocore.config import Config

from airflow_sm_provider.jobs import TRAINING, TUNING, JobKind

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

DEFAULT_RETRIES: dict[str, Any] = {"mode": "adaptive", "max_attempts": 20}
DEFAULT_MAX_ATTEMPTS = DEFAULT_RETRIES["max_attempts"]


def _method(operation: str) -> str:
    """``DescribeTrainingJob`` -> ``describe_training_job`` (botocore's client method name)."""
    return "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")


class SageMakerHook(AwsBaseHook):
    """Interact with Amazon SageMaker training and hyperparameter tuning jobs.

    :param aws_conn_id: The Airflow ``aws`` connection to use (``aws_default``).
    :param region_name: AWS region; defaults to the connection's.
    """

    hook_name = "Amazon SageMaker (airflow-sm-provider)"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["client_type"] = "sagemaker"
        super().__init__(*args, **kwargs)

    @property
    def config(self) -> Config:
        """The connection's botocore config, with a generous retry policy unless it sets one."""
        base = super().config
        if base.retries:
            return base
        return base.merge(Config(retries=dict(DEFAULT_RETRIES)))

    @property
    def endpoint_url(self) -> str | None:
        return self.conn_config.get_service_endpoint_url(service_name="sagemaker")

    # -- generic, per job kind ---------------------------------------------------------------
    def create(self, kind: JobKind, request: dict[str, Any]) -> dict[str, Any]:
        return getattr(self.conn, _method(kind.create_operation))(**request)

    def describe(self, kind: JobKind, name: str) -> dict[str, Any]:
        return getattr(self.conn, _method(kind.describe_operation))(**{kind.name_key: name})

    def stop(self, kind: JobKind, name: str) -> None:
        getattr(self.conn, _method(kind.stop_operation))(**{kind.name_key: name})

    def list_jobs(self, kind: JobKind, **kwargs: Any) -> dict[str, Any]:
        return getattr(self.conn, _method(kind.list_operation))(**kwargs)

    def list_tags(self, arn: str) -> list[dict[str, str]]:
        tags: list[dict[str, str]] = []
        for page in self.conn.get_paginator("list_tags").paginate(ResourceArn=arn):
            tags.extend(page.get("Tags", []))
        return tags

    # -- named operations ------------------------------------------------------------------------
    def create_training_job(self, request: dict[str, Any]) -> dict[str, Any]:
        return self.create(TRAINING, request)

    def describe_training_job(self, name: str) -> dict[str, Any]:
        return self.describe(TRAINING, name)

    def stop_training_job(self, name: str) -> None:
        self.stop(TRAINING, name)

    def list_training_jobs(self, **kwargs: Any) -> dict[str, Any]:
        return self.list_jobs(TRAINING, **kwargs)

    def create_tuning_job(self, request: dict[str, Any]) -> dict[str, Any]:
        return self.create(TUNING, request)

    def describe_tuning_job(self, name: str) -> dict[str, Any]:
        return self.describe(TUNING, name)

    def stop_tuning_job(self, name: str) -> None:
        self.stop(TUNING, name)

    def list_tuning_jobs(self, **kwargs: Any) -> dict[str, Any]:
        return self.list_jobs(TUNING, **kwargs)

    def list_training_jobs_for_tuning_job(self, tuning_job_name: str, **kwargs: Any) -> dict[str, Any]:
        return self.conn.list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=tuning_job_name, **kwargs
        )

    def create_model(self, request: dict[str, Any]) -> dict[str, Any]:
        return self.conn.create_model(**request)

    def describe_model(self, name: str) -> dict[str, Any]:
        return self.conn.describe_model(ModelName=name)

    # -- async (aiobotocore) -----------------------------------------------------------------------
    @asynccontextmanager
    async def async_client(self) -> AsyncIterator[Any]:
        """An aiobotocore SageMaker client, created off the event loop and closed on exit."""
        creator = await self.get_async_conn()
        async with creator as client:
            yield client

    @staticmethod
    async def adescribe(client: Any, kind: JobKind, name: str) -> dict[str, Any]:
        return await getattr(client, _method(kind.describe_operation))(**{kind.name_key: name})

    @staticmethod
    async def astop(client: Any, kind: JobKind, name: str) -> None:
        await getattr(client, _method(kind.stop_operation))(**{kind.name_key: name})

    @staticmethod
    async def acreate(client: Any, kind: JobKind, request: dict[str, Any]) -> dict[str, Any]:
        return await getattr(client, _method(kind.create_operation))(**request)

    @staticmethod
    async def alist_jobs(client: Any, kind: JobKind, **kwargs: Any) -> dict[str, Any]:
        return await getattr(client, _method(kind.list_operation))(**kwargs)

    @staticmethod
    async def alist_training_jobs_for_tuning_job(
        client: Any, tuning_job_name: str, **kwargs: Any
    ) -> dict[str, Any]:
        return await client.list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=tuning_job_name, **kwargs
        )
