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


def test_a_mistyped_connection_fails_naming_it_instead_of_using_the_machines_credentials(monkeypatch):
    from airflow_sm_provider.exceptions import AwsConnectionError

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALMACHINEKEY00")  # what the old fallback would use
    with pytest.raises(AwsConnectionError, match="'aws_prod_typo' \\(aws_conn_id\\) does not exist"):
        SageMakerHook(aws_conn_id="aws_prod_typo").describe_target()


def test_a_missing_aws_default_falls_back_to_the_default_chain_and_says_so(monkeypatch, task_log):
    monkeypatch.delenv("AIRFLOW_CONN_AWS_DEFAULT", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    target = SageMakerHook(aws_conn_id="aws_default").describe_target()
    assert target == (
        "connection 'aws_default', region eu-central-1, "
        "endpoint https://api.sagemaker.eu-central-1.amazonaws.com (AWS)"
    )
    said = [m for m in task_log.messages("info") if "default credential chain" in m]
    assert len(said) == 1
    assert not [m for m in task_log.messages() if "Unable to find AWS Connection" in m]


def test_a_connection_without_a_region_fails_before_any_call(monkeypatch):
    from airflow_sm_provider.exceptions import AwsConnectionError

    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv(
        "AIRFLOW_CONN_SM_NOREGION", json.dumps({"conn_type": "aws", "login": "a", "password": "b"})
    )
    with pytest.raises(AwsConnectionError, match="No AWS region for connection 'sm_noregion'"):
        SageMakerHook(aws_conn_id="sm_noregion").describe_target()


def test_the_target_names_a_local_endpoint_as_not_aws_and_never_shows_credentials(monkeypatch):
    hook = connection(monkeypatch, endpoint_url="http://127.0.0.1:8123")
    target = hook.describe_target()
    assert target == "connection 'sm_test', region eu-west-1, endpoint http://127.0.0.1:8123 (not AWS)"
    assert "AKIDEXAMPLE" not in target and "secret-value" not in target
    assert hook.is_aws() is False


def test_training_log_lines_pages_through_filter_log_events_and_is_none_when_unreadable(monkeypatch, mocker):
    import boto3
    from botocore.stub import Stubber

    hook = connection(monkeypatch)
    logs = boto3.client("logs", region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b")
    from airflow.providers.amazon.aws.hooks.logs import AwsLogsHook

    mocker.patch.object(AwsLogsHook, "conn", new_callable=mocker.PropertyMock, return_value=logs)
    expected = {"logGroupName": "/aws/sagemaker/TrainingJobs", "logStreamNamePrefix": "job/", "limit": 3}
    with Stubber(logs) as stub:
        stub.add_response(
            "filter_log_events",
            {"events": [{"message": "a"}, {"message": "b"}], "nextToken": "t"},
            expected,
        )
        stub.add_response(
            "filter_log_events", {"events": [{"message": "c"}]}, {**expected, "limit": 1, "nextToken": "t"}
        )
        assert hook.training_log_lines("job", 3) == ["a", "b", "c"]
        stub.add_client_error("filter_log_events", "AccessDeniedException", http_status_code=403)
        assert hook.training_log_lines("job", 3) is None


def test_training_log_tail_is_the_end_of_every_instances_output_in_time_order(monkeypatch, mocker):
    import boto3
    from airflow.providers.amazon.aws.hooks.logs import AwsLogsHook
    from botocore.stub import Stubber

    hook = connection(monkeypatch)
    logs = boto3.client("logs", region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b")
    mocker.patch.object(AwsLogsHook, "conn", new_callable=mocker.PropertyMock, return_value=logs)
    group = "/aws/sagemaker/TrainingJobs"
    streams = [{"logStreamName": "job/algo-1-1"}, {"logStreamName": "job/algo-2-1"}]
    with Stubber(logs) as stub:
        stub.add_response(
            "describe_log_streams",
            {"logStreams": streams},
            {"logGroupName": group, "logStreamNamePrefix": "job/"},
        )
        for stream, stamps in (("job/algo-1-1", (1, 4)), ("job/algo-2-1", (2, 3))):
            stub.add_response(
                "get_log_events",
                {"events": [{"timestamp": t, "message": f"t{t}", "ingestionTime": t} for t in stamps]},
                {"logGroupName": group, "logStreamName": stream, "startFromHead": False, "limit": 3},
            )
        assert hook.training_log_tail("job", 3) == ["[algo-2] t2", "[algo-2] t3", "[algo-1] t4"]
