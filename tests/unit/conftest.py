"""Fixtures for unit tests: a botocore-stubbed SageMaker client behind SageMakerHook."""

from __future__ import annotations

import json
from unittest import mock

import pytest

AWS_CONN = {
    "conn_type": "aws",
    "login": "AKIDEXAMPLE",
    "password": "not-a-real-secret",
    "extra": {"region_name": "us-east-1"},
}


@pytest.fixture(autouse=True)
def aws_connection(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", json.dumps(AWS_CONN))


class QuietLogs:
    """A CloudWatch Logs client for a job that has printed nothing (unit tests make no network call)."""

    def __init__(self):
        self.calls = []

    def filter_log_events(self, **kwargs):
        self.calls.append(kwargs)
        return {"events": []}


@pytest.fixture
def sagemaker_stub():
    """A real boto3 SageMaker client with botocore's Stubber active, used by every SageMakerHook.

    Training output is read from :class:`QuietLogs` (``stubber.logs``), so no test reaches AWS.
    """
    import boto3
    from botocore.stub import Stubber

    from airflow_sm_provider.hooks.sagemaker import SageMakerHook

    client = boto3.client("sagemaker", region_name="us-east-1")
    logs = QuietLogs()
    with (
        Stubber(client) as stubber,
        mock.patch.object(SageMakerHook, "conn", new_callable=mock.PropertyMock, return_value=client),
        mock.patch.object(SageMakerHook, "logs_client", return_value=logs),
    ):
        stubber.logs = logs
        yield stubber
