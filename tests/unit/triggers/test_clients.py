"""The shared logs client: same session as the SageMaker client, endpoint resolved for ``logs``
exactly as the blocking path's ``AwsLogsHook`` resolves it."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest

from airflow_sm_provider.triggers import clients


def connection(monkeypatch, extra):
    monkeypatch.setenv(
        "AIRFLOW_CONN_AWS_LOGS_TEST",
        json.dumps({"conn_type": "aws", "login": "a", "password": "b", "extra": extra}),
    )


@pytest.mark.parametrize(
    ("extra", "env", "expected"),
    [
        (
            {"endpoint_url": "http://all:1", "service_config": {"logs": {"endpoint_url": "http://logs:2"}}},
            None,
            "http://logs:2",
        ),
        ({"endpoint_url": "http://all:1"}, None, "http://all:1"),
        ({"endpoint_url": None}, "http://env-logs:3", "http://env-logs:3"),
    ],
)
def test_the_logs_endpoint_is_resolved_for_service_logs(monkeypatch, extra, env, expected):
    connection(monkeypatch, {"region_name": "eu-west-1", **extra})
    if env:  # botocore's variable for service id "CloudWatch Logs"
        monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", env)
    made = []

    async def main():
        async with clients.shared_client("aws_logs_test", None, clients.LOGS) as client:
            made.append(client.meta.endpoint_url)

    asyncio.run(main())
    from airflow.providers.amazon.aws.hooks.logs import AwsLogsHook

    blocking = AwsLogsHook(aws_conn_id="aws_logs_test").conn.meta.endpoint_url
    assert made == [expected] == [blocking]  # as the blocking path's AwsLogsHook resolves it


def test_a_connections_logs_and_sagemaker_clients_share_one_session(monkeypatch):
    connection(monkeypatch, {"region_name": "eu-west-1", "endpoint_url": "http://all:1"})
    sessions = []
    prepare = clients._prepare

    def counting(hook, service="sagemaker", session=None):
        made, options = prepare(hook, service, session)
        sessions.append((service, session is None, id(made)))
        return made, options

    monkeypatch.setattr(clients, "_prepare", counting)

    async def main():
        async with contextlib.AsyncExitStack() as stack:
            sagemaker = await stack.enter_async_context(clients.shared_client("aws_logs_test", None))
            logs = await stack.enter_async_context(clients.shared_client("aws_logs_test", None, clients.LOGS))
            again = await stack.enter_async_context(
                clients.shared_client("aws_logs_test", None, clients.LOGS)
            )
            assert logs is again and logs is not sagemaker
            assert clients.open_clients() == 2
        return clients.open_clients()

    assert asyncio.run(main()) == 0
    (first, second) = sessions
    assert first[:2] == ("sagemaker", True) and second[:2] == ("logs", False)
    assert first[2] == second[2]  # one session: one credential resolution, one role assumption


def test_reading_the_connection_may_call_back_into_the_triggerers_loop(monkeypatch):
    """Airflow 3.1's trigger runner answers a connection lookup made off the loop with
    async_to_sync, through a lock bound to the triggerer's loop: the blocking half of making a
    client must run where such a call comes back to that loop, not in a loop of its own."""
    from asgiref.sync import async_to_sync

    connection(monkeypatch, {"region_name": "eu-west-1"})
    real_prepare = clients._prepare

    async def main():
        lock = asyncio.Lock()  # like the trigger runner's comms lock: used on this loop first
        async with lock:
            pass

        async def ask_the_supervisor():
            async with lock:
                return asyncio.get_running_loop()

        def prepare(*args):
            assert async_to_sync(ask_the_supervisor)() is loop, "the lookup came back on another loop"
            return real_prepare(*args)

        loop = asyncio.get_running_loop()
        monkeypatch.setattr(clients, "_prepare", prepare)
        async with clients.shared_client("aws_logs_test", None, clients.LOGS) as client:
            return client.meta.region_name

    assert asyncio.run(main()) == "eu-west-1"
