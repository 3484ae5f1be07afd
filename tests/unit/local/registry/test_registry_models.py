"""Model records: what DescribeModel reports, before and after a round trip through the store."""

from __future__ import annotations

from datetime import UTC, datetime

from airflow_sm_provider.local.registry.models import Model

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def test_model_describe_echoes_the_request():
    model = Model(
        "m",
        "arn:aws:sagemaker:us-east-1:0:model/m",
        {"PrimaryContainer": {"Image": "i"}, "ExecutionRoleArn": "r"},
        T0,
    )
    assert Model.from_doc(model.to_doc()).describe() == {
        "ModelName": "m",
        "PrimaryContainer": {"Image": "i"},
        "ExecutionRoleArn": "r",
        "CreationTime": T0,
        "ModelArn": "arn:aws:sagemaker:us-east-1:0:model/m",
    }
