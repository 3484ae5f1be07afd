"""Fixtures for unit tests: a botocore-stubbed SageMaker client behind SageMakerHook."""

from __future__ import annotations

import contextlib
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


class RecordingLog:
    """A logger that keeps ``(level, message)``: assertions that hold whatever Airflow's log format."""

    def __init__(self):
        self.records: list[tuple[str, str]] = []

    def _keep(self, level, message, *args, **kwargs):
        self.records.append((level, message % args if args else str(message)))

    def debug(self, message, *args, **kwargs):
        self._keep("debug", message, *args)

    def info(self, message, *args, **kwargs):
        self._keep("info", message, *args)

    def warning(self, message, *args, **kwargs):
        self._keep("warning", message, *args)

    def error(self, message, *args, **kwargs):
        self._keep("error", message, *args)

    def exception(self, message, *args, **kwargs):
        self._keep("error", message, *args)

    def messages(self, level=None):
        return [message for lvl, message in self.records if level in (None, lvl)]


def _log_property_owner(cls):
    """The class whose ``log`` property ``cls`` inherits (it moved between Airflow minors)."""
    return next(klass for klass in cls.__mro__ if isinstance(vars(klass).get("log"), property))


@pytest.fixture
def task_log():
    """What operators, sensors and hooks of this provider log, as records (``.messages(level)``)."""
    from airflow_sm_provider.hooks.sagemaker import SageMakerHook
    from airflow_sm_provider.operators import SageMakerTrainingOperator

    log = RecordingLog()
    owners = {_log_property_owner(SageMakerTrainingOperator), _log_property_owner(SageMakerHook)}
    with contextlib.ExitStack() as stack:
        for owner in owners:
            stack.enter_context(
                mock.patch.object(owner, "log", new_callable=mock.PropertyMock, return_value=log)
            )
        yield log
