from __future__ import annotations

import asyncio
import json

import pytest
from botocore.config import Config

from airflow_sm_provider.hooks import SageMakerHook
from airflow_sm_provider.hooks.sagemaker import DEFAULT_RETRIES


def connection(monkeypatch, **extra):
    conn = {
        "conn_type": "aws",
        "login": "AKIDEXAMPLE",
        "password": "secret-value",
        "extra": {"region_name": "eu-west-1", **extra},
    }
    monkeypatch.setenv("AIRFLOW_CONN_SM_TEST", json.dumps(conn))
    return SageMakerHook(aws_conn_id="sm_test")


def test_client_uses_botocores_retry_mode_with_generous_attempts(monkeypatch):
    hook = connection(monkeypatch)
    retries = hook.conn.meta.config.retries
    assert retries["mode"] == DEFAULT_RETRIES["mode"] == "adaptive"
    assert retries["total_max_attempts"] >= 10


def test_retries_set_in_the_connection_win(monkeypatch):
    hook = connection(monkeypatch, config_kwargs={"retries": {"mode": "standard", "max_attempts": 3}})
    assert hook.conn.meta.config.retries == {"mode": "standard", "total_max_attempts": 4}


@pytest.mark.parametrize(
    "extra",
    [
        {"endpoint_url": "http://127.0.0.1:8123"},
        {"service_config": {"sagemaker": {"endpoint_url": "http://127.0.0.1:8123"}}},
    ],
)
def test_endpoint_url_from_the_connection_extra(monkeypatch, extra):
    hook = connection(monkeypatch, **extra)
    assert hook.conn.meta.endpoint_url == "http://127.0.0.1:8123"
    assert hook.conn.meta.region_name == "eu-west-1"


def test_region_argument_overrides_the_connection(monkeypatch):
    connection(monkeypatch)
    assert SageMakerHook(aws_conn_id="sm_test", region_name="us-west-2").conn.meta.region_name == "us-west-2"


def test_triggers_shared_client_is_aiobotocore_with_the_same_endpoint_and_retries(monkeypatch):
    from airflow_sm_provider.triggers.clients import shared_client

    connection(monkeypatch, endpoint_url="http://127.0.0.1:8123")

    async def inspect():
        async with shared_client("sm_test", None) as client:
            return type(client).__module__, client.meta.endpoint_url, client.meta.config.retries["mode"]

    module, endpoint, mode = asyncio.run(inspect())
    assert module.startswith("aiobotocore")
    assert endpoint == "http://127.0.0.1:8123"
    assert mode == "adaptive"


def test_hook_is_the_aws_connection_type(monkeypatch):
    assert SageMakerHook.conn_type == "aws"
    assert isinstance(connection(monkeypatch).config, Config)
