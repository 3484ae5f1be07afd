"""Where training data comes from and where results go."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from airflow_sm_provider.specs._base import Spec, compact
from airflow_sm_provider.specs.enums import CompressionType, InputMode, S3DataDistribution, S3DataType


@attrs.define(kw_only=True, repr=False)
class Channel(Spec):
    """One named input channel read from S3 (``/opt/ml/input/data/<name>`` in the container).

    :param name: Channel name, e.g. ``train`` or ``validation``.
    :param s3_uri: S3 prefix or manifest URI.
    :param s3_data_type: What ``s3_uri`` points at (an S3 prefix by default).
    :param distribution: FullyReplicated or ShardedByS3Key across instances.
    :param content_type: MIME type of the data, e.g. ``text/csv``.
    :param compression: None or Gzip.
    :param input_mode: Overrides the algorithm's input mode for this channel.
    """

    name: str
    s3_uri: str
    s3_data_type: S3DataType | str = S3DataType.S3_PREFIX
    distribution: S3DataDistribution | str | None = None
    content_type: str | None = None
    compression: CompressionType | str | None = None
    input_mode: InputMode | str | None = None

    template_fields: ClassVar[tuple[str, ...]] = ("name", "s3_uri", "content_type")

    def to_request(self) -> dict[str, Any]:
        s3 = compact(
            S3DataType=self.s3_data_type, S3Uri=self.s3_uri, S3DataDistributionType=self.distribution
        )
        return compact(
            ChannelName=self.name,
            DataSource={"S3DataSource": s3},
            ContentType=self.content_type,
            CompressionType=self.compression,
            InputMode=self.input_mode,
        )


@attrs.define(kw_only=True, repr=False)
class OutputDataConfig(Spec):
    """Where SageMaker writes the model artifacts.

    :param s3_output_path: S3 prefix for ``<job name>/output/model.tar.gz``.
    :param kms_key_id: KMS key to encrypt the artifacts with.
    """

    s3_output_path: str
    kms_key_id: str | None = None

    template_fields: ClassVar[tuple[str, ...]] = ("s3_output_path", "kms_key_id")

    def to_request(self) -> dict[str, Any]:
        return compact(S3OutputPath=self.s3_output_path, KmsKeyId=self.kms_key_id)


@attrs.define(kw_only=True, repr=False)
class CheckpointConfig(Spec):
    """Checkpoints synchronised between the container and S3 (needed to resume spot training).

    :param s3_uri: S3 prefix holding the checkpoints.
    :param local_path: Directory in the container (SageMaker's default is ``/opt/ml/checkpoints``).
    """

    s3_uri: str
    local_path: str | None = None

    template_fields: ClassVar[tuple[str, ...]] = ("s3_uri", "local_path")

    def to_request(self) -> dict[str, Any]:
        return compact(S3Uri=self.s3_uri, LocalPath=self.local_path)
