"""SageMakerHook: thin, quiet access to the SageMaker API for training and tuning jobs.

One API call per method, no waiting, no payload logging. Connection handling (``aws_conn_id``,
``region_name``, role assumption, ``endpoint_url`` / ``service_config`` in the extra) is
AwsBaseHook's. Throttling and transient errors are retried by botocore's own retry mode: unless
the connection's ``config_kwargs`` set ``retries`` themselves, clients use the ``adaptive`` mode
with :data:`DEFAULT_MAX_ATTEMPTS` attempts, so a fleet that hits SageMaker's API limits slows
down instead of failing tasks.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
from botocore.config import Config

from airflow_sm_provider.jobs import TRAINING, JobKind

DEFAULT_RETRIES: dict[str, Any] = {"mode": "adaptive", "max_attempts": 20}
DEFAULT_MAX_ATTEMPTS = DEFAULT_RETRIES["max_attempts"]


def client_method(operation: str) -> str:
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
        return getattr(self.conn, client_method(kind.create_operation))(**request)

    def describe(self, kind: JobKind, name: str) -> dict[str, Any]:
        return getattr(self.conn, client_method(kind.describe_operation))(**{kind.name_key: name})

    def stop(self, kind: JobKind, name: str) -> None:
        getattr(self.conn, client_method(kind.stop_operation))(**{kind.name_key: name})

    def list_jobs(self, kind: JobKind, **kwargs: Any) -> dict[str, Any]:
        return getattr(self.conn, client_method(kind.list_operation))(**kwargs)

    def list_tags(self, arn: str) -> list[dict[str, str]]:
        tags: list[dict[str, str]] = []
        for page in self.conn.get_paginator("list_tags").paginate(ResourceArn=arn):
            tags.extend(page.get("Tags", []))
        return tags

    # -- named operations ------------------------------------------------------------------------
    def describe_training_job(self, name: str) -> dict[str, Any]:
        return self.describe(TRAINING, name)

    def create_model(self, request: dict[str, Any]) -> dict[str, Any]:
        return self.conn.create_model(**request)

    def describe_model(self, name: str) -> dict[str, Any]:
        return self.conn.describe_model(ModelName=name)

    # -- async (aiobotocore clients, shared by the triggers) -------------------------------------
    @staticmethod
    async def astop(client: Any, kind: JobKind, name: str) -> None:
        await getattr(client, client_method(kind.stop_operation))(**{kind.name_key: name})
