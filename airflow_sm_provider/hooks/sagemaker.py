"""SageMakerHook: thin, quiet access to the SageMaker API for training and tuning jobs.

One API call per method, no waiting, no payload logging. Connection handling (``aws_conn_id``,
``region_name``, role assumption, ``endpoint_url`` / ``service_config`` in the extra) is
AwsBaseHook's. Throttling and transient errors are retried by botocore's own retry mode: unless
the connection's ``config_kwargs`` set ``retries`` themselves, clients use the ``adaptive`` mode
with :data:`DEFAULT_MAX_ATTEMPTS` attempts, so a fleet that hits SageMaker's API limits slows
down instead of failing tasks.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
from airflow.providers.amazon.aws.utils.connection_wrapper import AwsConnectionWrapper
from airflow.providers.common.compat.sdk import AirflowNotFoundException
from botocore.config import Config

from airflow_sm_provider.exceptions import AwsConnectionError
from airflow_sm_provider.jobs import TRAINING, JobKind

#: The one connection id that may be missing: boto3's default credential chain stands in for it,
#: as in the amazon provider.
DEFAULT_CONN_ID = "aws_default"
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

    @cached_property
    def conn_config(self) -> AwsConnectionWrapper:
        """The connection, which must exist unless it is ``aws_default``.

        The amazon provider falls back to the default credential chain for *any* missing
        connection, with a warning; a mistyped ``aws_conn_id`` would then send the job wherever
        the machine's own credentials point (real AWS, on a machine that has them).
        """
        connection = None
        if self.aws_conn_id:
            try:
                connection = self.get_connection(self.aws_conn_id)
            except AirflowNotFoundException as err:
                if self.aws_conn_id != DEFAULT_CONN_ID:
                    raise AwsConnectionError(
                        f"Airflow connection {self.aws_conn_id!r} (aws_conn_id) does not exist; create it "
                        f"or fix the id (only {DEFAULT_CONN_ID!r} may be missing: it falls back to boto3's "
                        "default credential chain)"
                    ) from err
                self.log.info(
                    "Connection %r does not exist: using boto3's default credential chain "
                    "(environment, shared config, instance role)",
                    self.aws_conn_id,
                )
        return AwsConnectionWrapper(
            conn=connection, region_name=self._region_name, botocore_config=self._config, verify=self._verify
        )

    @property
    def endpoint_url(self) -> str | None:
        """The SageMaker endpoint the connection configures (``None``: boto3 resolves AWS's)."""
        return self.conn_config.get_service_endpoint_url(service_name="sagemaker")

    def describe_target(self) -> str:
        """Where calls go, in words for the task log: connection, region, endpoint; never credentials.

        Raises :class:`AwsConnectionError` when the connection is missing or gives no region, so
        a task stops here, before any API call.
        """
        from botocore.exceptions import NoRegionError

        self.conn_config  # noqa: B018 - resolving the connection is the check that it exists
        try:
            meta = self.conn.meta
        except NoRegionError as err:
            raise AwsConnectionError(
                f"No AWS region for connection {self.aws_conn_id!r}: set region_name in its extra, "
                "AWS_DEFAULT_REGION, or the task's region_name"
            ) from err
        region, endpoint = meta.region_name, meta.endpoint_url
        where = "AWS" if self.is_aws() else "not AWS"
        return f"connection {self.aws_conn_id!r}, region {region}, endpoint {endpoint} ({where})"

    def is_aws(self) -> bool:
        """Whether the SageMaker endpoint is AWS's own (``False`` for the local backend)."""
        from airflow_sm_provider.validation.endpoints import is_aws_endpoint

        return is_aws_endpoint(self.conn.meta.endpoint_url)

    # -- generic, per job kind ---------------------------------------------------------------
    def create(self, kind: JobKind, request: dict[str, Any]) -> dict[str, Any]:
        return getattr(self.conn, client_method(kind.create_operation))(**request)

    def describe(self, kind: JobKind, name: str) -> dict[str, Any]:
        return getattr(self.conn, client_method(kind.describe_operation))(**{kind.name_key: name})

    def stop(self, kind: JobKind, name: str) -> None:
        getattr(self.conn, client_method(_stop_operation(kind)))(**{kind.name_key: name})

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

    def list_trials(self, tuning_job_name: str) -> list[dict[str, Any]]:
        """Every training job of a tuning job (at most 750: a few pages of 100)."""
        trials: list[dict[str, Any]] = []
        token: dict[str, str] = {}
        while True:
            response = self.conn.list_training_jobs_for_hyper_parameter_tuning_job(
                HyperParameterTuningJobName=tuning_job_name, MaxResults=100, **token
            )
            trials.extend(response.get("TrainingJobSummaries", []))
            if not response.get("NextToken"):
                return trials
            token = {"NextToken": response["NextToken"]}

    def training_log_tail(self, job_name: str, lines: int) -> list[str] | None:
        """The last ``lines`` lines of a training job's output, every instance merged in time order.

        One DescribeLogStreams and one GetLogEvents (newest first) per instance stream; ``None``
        when the log cannot be read. Lines are prefixed with their instance (``[algo-1] ...``).
        """
        from botocore.exceptions import BotoCoreError, ClientError

        from airflow_sm_provider.logtail import LOG_GROUP, LogCursor

        logs = self.logs_client()
        cursor = LogCursor(job_name)
        events: list[dict[str, Any]] = []
        try:
            streams = logs.describe_log_streams(logGroupName=LOG_GROUP, logStreamNamePrefix=f"{job_name}/")
            for stream in streams.get("logStreams", []):
                page = logs.get_log_events(
                    logGroupName=LOG_GROUP,
                    logStreamName=stream["logStreamName"],
                    startFromHead=False,
                    limit=lines,
                )
                events += [{**e, "logStreamName": stream["logStreamName"]} for e in page.get("events", [])]
        except (BotoCoreError, ClientError) as err:
            self.log.info("Could not read the log of training job %s: %s", job_name, err)
            return None
        events.sort(key=lambda e: (e.get("timestamp", 0), e.get("ingestionTime", 0)))
        return [cursor.line(event) for event in events[-lines:]]

    def logs_client(self) -> Any:
        """A CloudWatch Logs client for the same connection (its own endpoint_url, if configured)."""
        from airflow.providers.amazon.aws.hooks.logs import AwsLogsHook

        return AwsLogsHook(aws_conn_id=self.aws_conn_id, region_name=self.region_name).conn

    def training_log_lines(self, job_name: str, limit: int) -> list[str] | None:
        """Up to ``limit`` lines of a training job's CloudWatch log, oldest first; ``None`` if unreadable.

        Best effort, for explaining a problem: a connection without Logs access (or an endpoint
        that does not serve the Logs API) is not an error here.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        logs = self.logs_client()
        lines: list[str] = []
        kwargs: dict[str, Any] = {
            "logGroupName": "/aws/sagemaker/TrainingJobs",
            "logStreamNamePrefix": f"{job_name}/",
        }
        try:
            while len(lines) < limit:
                page = logs.filter_log_events(**kwargs, limit=min(10000, limit - len(lines)))
                lines.extend(event.get("message", "") for event in page.get("events", []))
                if not page.get("nextToken"):
                    break
                kwargs["nextToken"] = page["nextToken"]
        except (BotoCoreError, ClientError) as err:
            self.log.info("Could not read the log of training job %s: %s", job_name, err)
            return None
        return lines

    def create_model(self, request: dict[str, Any]) -> dict[str, Any]:
        return self.conn.create_model(**request)

    def describe_model(self, name: str) -> dict[str, Any]:
        return self.conn.describe_model(ModelName=name)

    # -- model registry ----------------------------------------------------------------------------
    def describe_model_package_group(self, name: str) -> dict[str, Any]:
        return self.conn.describe_model_package_group(ModelPackageGroupName=name)

    def create_model_package_group(self, request: dict[str, Any]) -> dict[str, Any]:
        return self.conn.create_model_package_group(**request)

    def create_model_package(self, request: dict[str, Any]) -> dict[str, Any]:
        return self.conn.create_model_package(**request)

    def list_model_packages(self, **kwargs: Any) -> dict[str, Any]:
        """One page of ListModelPackages."""
        return self.conn.list_model_packages(**kwargs)

    def update_model_package(self, request: dict[str, Any]) -> dict[str, Any]:
        return self.conn.update_model_package(**request)

    # -- async (aiobotocore clients, shared by the triggers) -------------------------------------
    @staticmethod
    async def astop(client: Any, kind: JobKind, name: str) -> None:
        await getattr(client, client_method(_stop_operation(kind)))(**{kind.name_key: name})


def _stop_operation(kind: JobKind) -> str:
    if kind.stop_operation is None:
        raise ValueError(f"A SageMaker {kind.label} cannot be stopped")
    return kind.stop_operation
