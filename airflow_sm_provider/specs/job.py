"""What every training job needs, shared by a training job and a tuning job's definition."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from airflow_sm_provider.specs._base import Spec
from airflow_sm_provider.specs.algorithm import AlgorithmSpecification
from airflow_sm_provider.specs.data import Channel, CheckpointConfig, OutputDataConfig
from airflow_sm_provider.specs.resources import ResourceConfig, StoppingCondition, VpcConfig


@attrs.define(kw_only=True, repr=False)
class TrainingSettings(Spec):
    """Fields common to :class:`TrainingJobSpec` and :class:`TrainingJobDefinition`.

    :param role_arn: IAM role SageMaker assumes to run the job.
    :param algorithm: The training code and the metrics it prints.
    :param output: Where the model artifacts go.
    :param resources: Instances to train on.
    :param channels: Input data channels.
    :param stopping: Time limits (SageMaker's defaults when not given).
    :param environment: Environment variables of the container; shown by key only in reprs.
    :param vpc_config: Run inside a VPC.
    :param enable_managed_spot_training: Train on spot capacity (set ``stopping.max_wait_time_in_seconds``).
    :param enable_network_isolation: No outbound network access from the container.
    :param enable_inter_container_traffic_encryption: Encrypt traffic between instances.
    :param checkpoint: S3 checkpoint synchronisation.
    :param max_retry_attempts: Retries SageMaker makes after an internal server error.
    """

    role_arn: str
    algorithm: AlgorithmSpecification
    output: OutputDataConfig
    resources: ResourceConfig
    channels: list[Channel] = attrs.Factory(list)
    stopping: StoppingCondition = attrs.Factory(StoppingCondition)
    environment: dict[str, str] = attrs.field(factory=dict, metadata={"redact": True})
    vpc_config: VpcConfig | None = None
    enable_managed_spot_training: bool | None = None
    enable_network_isolation: bool | None = None
    enable_inter_container_traffic_encryption: bool | None = None
    checkpoint: CheckpointConfig | None = None
    max_retry_attempts: int | None = None

    template_fields: ClassVar[tuple[str, ...]] = (
        "role_arn",
        "algorithm",
        "output",
        "resources",
        "channels",
        "stopping",
        "environment",
        "vpc_config",
        "checkpoint",
    )

    def _settings_request(self, algorithm: dict[str, Any]) -> dict[str, Any]:
        request: dict[str, Any] = {
            "RoleArn": self.role_arn,
            "AlgorithmSpecification": algorithm,
            "OutputDataConfig": self.output.to_request(),
            "ResourceConfig": self.resources.to_request(),
            "StoppingCondition": self.stopping.to_request(),
        }
        if self.channels:
            request["InputDataConfig"] = [channel.to_request() for channel in self.channels]
        if self.environment:
            request["Environment"] = dict(self.environment)
        if self.vpc_config is not None:
            request["VpcConfig"] = self.vpc_config.to_request()
        if self.checkpoint is not None:
            request["CheckpointConfig"] = self.checkpoint.to_request()
        if self.max_retry_attempts is not None:
            request["RetryStrategy"] = {"MaximumRetryAttempts": self.max_retry_attempts}
        for key, flag in (
            ("EnableManagedSpotTraining", self.enable_managed_spot_training),
            ("EnableNetworkIsolation", self.enable_network_isolation),
            ("EnableInterContainerTrafficEncryption", self.enable_inter_container_traffic_encryption),
        ):
            if flag is not None:
                request[key] = flag
        return request
