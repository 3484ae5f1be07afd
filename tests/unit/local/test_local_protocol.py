"""AWS JSON 1.1 request decoding and validation against botocore's model."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from airflow_sm_provider.local import protocol
from airflow_sm_provider.local.errors import UnknownOperation, ValidationError


def test_epoch_timestamps_become_aware_datetimes():
    params = protocol.parse_request("ListTrainingJobs", {"CreationTimeAfter": 1704067200.5, "MaxResults": 5})
    assert params["CreationTimeAfter"] == datetime(2024, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)


def test_iso_timestamps_are_accepted_too():
    params = protocol.parse_request("ListTrainingJobs", {"CreationTimeBefore": "2024-01-01T00:00:00Z"})
    assert params["CreationTimeBefore"] == datetime(2024, 1, 1, tzinfo=UTC)


def test_shape_errors_name_the_field():
    with pytest.raises(ValidationError) as excinfo:
        protocol.parse_request(
            "CreateTrainingJob",
            {"TrainingJobName": "j", "RoleArn": "short", "OutputDataConfig": {}, "HyperParameters": {"a": 1}},
        )
    message = excinfo.value.message
    assert "RoleArn" in message and "S3OutputPath" in message and "HyperParameters.a" in message


def test_enum_values_are_checked():
    with pytest.raises(ValidationError, match="SortOrder"):
        protocol.parse_request("ListTrainingJobs", {"SortOrder": "Up"})


def test_unknown_operation():
    with pytest.raises(UnknownOperation):
        protocol.parse_request("LaunchRockets", {})


def test_responses_encode_datetimes_as_epoch_seconds():
    body = json.loads(protocol.encode({"CreationTime": datetime(2024, 1, 1, tzinfo=UTC)}))
    assert body == {"CreationTime": 1704067200.0}
    assert protocol.encode(None) == b"{}"
