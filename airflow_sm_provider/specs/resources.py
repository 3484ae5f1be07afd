"""What a training job runs on and how long it may run."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from airflow_sm_provider.specs._base import Spec, compact


@attrs.define(kw_only=True, repr=False)
class ResourceConfig(Spec):
    """The instances of a training job.

    Numeric fields are templated too: a rendered ``"2"`` is turned back into ``2`` by the
    operator's request normalisation.

    :param instance_type: ML instance type, e.g. ``ml.m5.xlarge``.
    :param instance_count: Number of instances (more than one for distributed training).
    :param volume_size_in_gb: Size of the ML storage volume of each instance.
    :param volume_kms_key_id: KMS key to encrypt that volume with.
    :param keep_alive_period_in_seconds: Keep instances warm for the next job (warm pools).
    """

    instance_type: str
    instance_count: int | str = 1
    volume_size_in_gb: int | str = 30
    volume_kms_key_id: str | None = None
    keep_alive_period_in_seconds: int | str | None = None

    template_fields: ClassVar[tuple[str, ...]] = (
        "instance_type",
        "instance_count",
        "volume_size_in_gb",
        "volume_kms_key_id",
    )

    def to_request(self) -> dict[str, Any]:
        return compact(
            InstanceType=self.instance_type,
            InstanceCount=self.instance_count,
            VolumeSizeInGB=self.volume_size_in_gb,
            VolumeKmsKeyId=self.volume_kms_key_id,
            KeepAlivePeriodInSeconds=self.keep_alive_period_in_seconds,
        )


@attrs.define(kw_only=True, repr=False)
class StoppingCondition(Spec):
    """Time limits of a training job.

    :param max_runtime_in_seconds: Training stops after this long (SageMaker's default: 1 day).
    :param max_wait_time_in_seconds: Spot training: the limit including waiting for capacity;
        at least ``max_runtime_in_seconds``.
    """

    max_runtime_in_seconds: int | str = 86400
    max_wait_time_in_seconds: int | str | None = None

    template_fields: ClassVar[tuple[str, ...]] = ("max_runtime_in_seconds", "max_wait_time_in_seconds")

    def to_request(self) -> dict[str, Any]:
        return compact(
            MaxRuntimeInSeconds=self.max_runtime_in_seconds,
            MaxWaitTimeInSeconds=self.max_wait_time_in_seconds,
        )


@attrs.define(kw_only=True, repr=False)
class VpcConfig(Spec):
    """Run the training containers inside a VPC.

    :param security_group_ids: Security groups of the training instances' network interfaces.
    :param subnets: Subnets to launch the instances in.
    """

    security_group_ids: list[str]
    subnets: list[str]

    template_fields: ClassVar[tuple[str, ...]] = ("security_group_ids", "subnets")

    def to_request(self) -> dict[str, Any]:
        return {"SecurityGroupIds": list(self.security_group_ids), "Subnets": list(self.subnets)}
