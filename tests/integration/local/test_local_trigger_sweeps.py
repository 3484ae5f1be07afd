"""Our triggers' coalesced polling against the real local backend: List sweeps, Date headers,
InProgress listings and Describes of failures, over HTTP, with real training processes."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from airflow_sm_provider.triggers import SageMakerTrainingTrigger, poller, registry

pytestmark = pytest.mark.integration

WORKS = """
import time
time.sleep(3)
print("loss=0.5", flush=True)
"""

FAILS = """
import sys, time
time.sleep(2)
sys.exit("boom: the data was bad")
"""


def test_many_triggers_share_one_sweep_against_the_local_backend(
    monkeypatch, local_server, sm_client, scripts, training_request
):
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", local_server.connection_json())
    works, fails = scripts.write(WORKS, name="works.py"), scripts.write(FAILS, name="fails.py")
    expected = {}
    for i in range(12):
        failing = i % 6 == 5
        request = training_request(
            fails if failing else works, name=f"swept-{i}", program="fails.py" if failing else "works.py"
        )
        sm_client.create_training_job(**request)
        expected[f"swept-{i}"] = "Failed" if failing else "Completed"
    seen: list[poller.JobPoller] = []

    async def main():
        async def one(name):
            trigger = SageMakerTrainingTrigger(job_name=name, poll_interval=0.5)
            async with contextlib.aclosing(trigger.run()) as events:
                async for event in events:
                    return event.payload
            return None

        tasks = [asyncio.ensure_future(one(name)) for name in expected]
        while not registry.pollers():
            await asyncio.sleep(0.01)
        seen.extend(registry.pollers())
        return await asyncio.wait_for(asyncio.gather(*tasks), 120)

    events = asyncio.run(main())
    assert {e["job_name"]: e["job_status"] for e in events} == expected
    failed = [e for e in events if e["job_status"] == "Failed"]
    assert all("boom: the data was bad" in e["message"] for e in failed)  # Described for the reason
    (job_poller,) = seen
    assert job_poller.calls["ListTrainingJobs"] >= 2  # the InProgress listing, then sweeps
    # Describes only where a summary cannot tell: the failures (and jobs a listing missed)
    assert job_poller.calls["DescribeTrainingJob"] < len(expected)
