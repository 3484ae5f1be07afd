"""Coalesced polling: many triggers on one connection share one client and one sweep per interval.

Driven by a fake client (tests/unit/triggers/fake_sagemaker.py) and short poll intervals; the
tests count calls and wait on conditions with a deadline, never on the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest

from airflow_sm_provider.triggers import (
    SageMakerTrainingTrigger,
    SageMakerTuningTrigger,
    clients,
    poller,
    registry,
)
from tests.unit.triggers.fake_sagemaker import FakeSageMaker

INTERVAL = 0.02
LIST = "list_training_jobs"
DESCRIBE = "describe_training_job"


@pytest.fixture
def fake(monkeypatch):
    client = FakeSageMaker()
    opened = []

    async def fake_open(hook):
        stack = contextlib.AsyncExitStack()
        stack.callback(setattr, client, "closed", True)
        client.closed = False
        opened.append(hook.aws_conn_id)
        return client, stack

    monkeypatch.setattr(clients, "_open", fake_open)
    client.opened = opened
    return client


async def events_of(trigger) -> list[dict]:
    async with contextlib.aclosing(trigger.run()) as stream:
        return [event.payload async for event in stream]


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached before the deadline"
        await asyncio.sleep(0.005)


def the_poller() -> poller.JobPoller:
    (only,) = registry.pollers()
    return only


def resolved(count: int) -> Callable[[], bool]:
    def check() -> bool:
        jobs = registry.pollers()[0].jobs if registry.pollers() else {}
        return len(jobs) == count and all(job.as_of is not None for job in jobs.values())

    return check


async def calls_per_tick(ticks: int = 4) -> list[int]:
    """The API calls of each of the next few periodic refreshes."""
    job_poller = the_poller()
    seen = job_poller.refreshes
    await until(lambda: job_poller.refreshes >= seen + ticks)
    latest = list(job_poller.calls_per_tick)[-(job_poller.refreshes - seen) :]
    return latest[:ticks]


def start(triggers) -> list[asyncio.Task]:
    return [asyncio.ensure_future(events_of(t)) for t in triggers]


def training_triggers(names, **kwargs):
    return [SageMakerTrainingTrigger(job_name=n, poll_interval=INTERVAL, **kwargs) for n in names]


def test_api_calls_per_interval_stay_constant_as_triggers_are_added(fake):
    names = [f"job-{i}" for i in range(50)]
    for name in names:
        fake.add("training", name)

    async def main():
        tasks = start(training_triggers(names[:10]))
        await until(resolved(10))
        with_ten = await calls_per_tick()
        tasks += start(training_triggers(names[10:]))
        await until(resolved(50))
        with_fifty = await calls_per_tick()
        for name in names:
            fake.set_status(name, "Completed")
        await asyncio.gather(*tasks)
        return with_ten, with_fifty

    with_ten, with_fifty = asyncio.run(main())
    assert with_ten == with_fifty == [1, 1, 1, 1]  # one List per interval, whatever the number of jobs
    assert fake.calls[DESCRIBE] < 50  # newcomers were resolved in bulk, completions from summaries


def test_each_trigger_gets_exactly_its_own_event(fake):
    cycle = ["Completed", "Failed", "Stopped", "Completed", "InProgress"]
    outcomes = {f"job-{i}": cycle[i % 5] for i in range(50)}
    for name in outcomes:
        fake.add("training", name)

    async def main():
        tasks = dict(
            zip(outcomes, start(training_triggers(outcomes, timeout_at=time.time() + 3600)), strict=True)
        )
        await until(resolved(50))
        for name, status in outcomes.items():
            if status != "InProgress":
                fake.set_status(name, status)
        finished = {name: await task for name, task in tasks.items() if outcomes[name] != "InProgress"}
        for name, task in tasks.items():
            if outcomes[name] == "InProgress":
                assert not task.done()
                task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        return finished

    finished = asyncio.run(main())
    for name, events in finished.items():
        (event,) = events
        assert event["job_name"] == name
        assert event["job_status"] == outcomes[name]
        assert event["status"] == ("success" if outcomes[name] == "Completed" else "failed")
        if outcomes[name] == "Failed":
            assert "AlgorithmError: boom" in event["message"]  # a failure is Described for its reason


def test_a_trigger_cancelled_mid_wait_does_not_disturb_the_others(fake):
    names = [f"job-{i}" for i in range(50)]
    for name in names:
        fake.add("training", name)

    async def main():
        triggers = training_triggers(names)
        tasks = start(triggers)
        await until(resolved(50))
        for task in tasks[:10]:
            task.cancel()
        for trigger in triggers[:10]:
            await trigger.cleanup()
        await until(resolved(40))
        assert the_poller().running and not fake.closed
        for name in names:
            fake.set_status(name, "Completed")
        results = await asyncio.gather(*tasks, return_exceptions=True)
        return results

    results = asyncio.run(main())
    assert all(isinstance(r, asyncio.CancelledError) for r in results[:10])
    assert [events[0]["job_name"] for events in results[10:]] == [f"job-{i}" for i in range(10, 50)]
    assert fake.stopped == []  # leaving is not killing: no job was stopped


def test_the_shared_client_closes_when_the_last_trigger_leaves(fake):
    names = [f"job-{i}" for i in range(20)]
    for name in names:
        fake.add("training", name)

    async def main():
        tasks = start(training_triggers(names))
        await until(resolved(20))
        assert clients.open_clients() == 1 and not fake.closed
        for name in names[:19]:
            fake.set_status(name, "Completed")
        await asyncio.gather(*tasks[:19])
        assert clients.open_clients() == 1 and not fake.closed  # one user left
        fake.set_status(names[19], "Completed")
        await tasks[19]
        return clients.open_clients(), registry.pollers()

    open_after, pollers_after = asyncio.run(main())
    assert (open_after, pollers_after, fake.closed) == (0, [], True)
    assert len(fake.opened) == 1  # one client for twenty triggers


def test_cleanup_leaves_the_poller_even_if_run_was_abandoned_unclosed(fake):
    fake.add("training", "abandoned", status="Completed")

    async def main():
        trigger = SageMakerTrainingTrigger(job_name="abandoned", poll_interval=INTERVAL)
        stream = trigger.run()
        async for _event in stream:
            break  # a host that takes the event and drops the generator without aclose()
        assert clients.open_clients() == 1
        await trigger.cleanup()
        await trigger.cleanup()  # idempotent
        state = clients.open_clients(), registry.pollers(), fake.closed
        await stream.aclose()
        return state

    assert asyncio.run(main()) == (0, [], True)
    assert fake.stopped == []


def test_on_kill_of_one_trigger_stops_only_its_own_job(fake):
    names = [f"job-{i}" for i in range(10)]
    for name in names:
        fake.add("training", name)

    async def main():
        triggers = training_triggers(names)
        tasks = start(triggers)
        await until(resolved(10))
        tasks[7].cancel()
        await triggers[7].on_kill()
        await triggers[7].cleanup()
        for name in names:
            if name != "job-7":
                fake.set_status(name, "Completed")
        return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(main())
    assert fake.stopped == ["job-7"]
    assert sum(1 for r in results if isinstance(r, list) and r[0]["status"] == "success") == 9


def test_a_lone_job_is_described_as_before_and_never_listed(fake):
    fake.add("training", "solo")

    async def main():
        task = start(training_triggers(["solo"]))[0]
        await until(resolved(1))
        per_tick = await calls_per_tick()
        fake.set_status("solo", "Completed")
        return per_tick, await task

    per_tick, events = asyncio.run(main())
    assert per_tick == [1, 1, 1, 1]  # one Describe per interval, as a per-job poll
    assert fake.calls[LIST] == 0
    assert events[0]["status"] == "success"


def test_a_job_that_ended_while_nobody_watched_is_reported(fake):
    """A triggerer restart or a trigger moving: the job may have finished in between."""
    fake.add("training", "gone-by", status="Failed")
    fake.add("training", "other")

    async def main():
        return await asyncio.gather(*start(training_triggers(["gone-by"])))

    ((event,),) = asyncio.run(main())
    assert (event["status"], event["job_status"]) == ("failed", "Failed")


def test_a_restart_of_many_triggers_resolves_them_with_a_listing_not_a_describe_each(fake):
    names = [f"job-{i}" for i in range(50)]
    for name in names:
        fake.add("training", name)
    fake.add("training", "finished-meanwhile", status="Completed")

    async def main():
        tasks = start(training_triggers([*names, "finished-meanwhile"]))
        await until(resolved(50))
        for name in names:
            fake.set_status(name, "Completed")
        return await asyncio.gather(*tasks)

    results = asyncio.run(main())
    assert all(events[0]["status"] == "success" for events in results)
    assert fake.calls[DESCRIBE] == 1  # only the job the InProgress listing did not show


def test_sweeps_follow_the_services_clock_not_the_triggerers(fake):
    """A triggerer whose clock runs an hour ahead would otherwise ask only for future changes."""
    fake.clock_skew = timedelta(hours=-1)
    names = [f"job-{i}" for i in range(10)]
    for name in names:
        fake.add("training", name)

    async def main():
        tasks = start(training_triggers(names))
        await until(resolved(10))
        for name in names:
            fake.set_status(name, "Completed")
        return await asyncio.wait_for(asyncio.gather(*tasks), 20)

    results = asyncio.run(main())
    assert all(events[0]["status"] == "success" for events in results)
    assert fake.calls[DESCRIBE] == 0  # seen by the sweep, not by a fallback


def test_a_change_during_a_failed_sweep_is_seen_by_the_next_one(fake):
    names = [f"job-{i}" for i in range(10)]
    for name in names:
        fake.add("training", name)

    async def main():
        tasks = start(training_triggers(names))
        await until(resolved(10))
        fake.refuse[LIST] = "ThrottlingException"
        fake.set_status("job-3", "Completed")
        failed_at = fake.calls[LIST]
        await until(lambda: fake.calls[LIST] >= failed_at + 3)  # a few sweeps throttled
        del fake.refuse[LIST]
        events = await asyncio.wait_for(tasks[3], 20)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return events

    (event,) = asyncio.run(main())
    assert (event["job_name"], event["status"]) == ("job-3", "success")
    assert the_sweeps_stayed_on(fake)


def the_sweeps_stayed_on(fake: FakeSageMaker) -> bool:
    return fake.calls[DESCRIBE] == 0  # throttling is transient: no fallback to a Describe per job


def test_without_list_permission_each_job_is_described_instead(fake):
    fake.refuse[LIST] = "AccessDeniedException"
    names = [f"job-{i}" for i in range(12)]
    for name in names:
        fake.add("training", name)

    async def main():
        tasks = start(training_triggers(names))
        await until(lambda: bool(registry.pollers()) and not the_poller().sweeps_enabled)
        for name in names:
            fake.set_status(name, "Completed")
        return await asyncio.gather(*tasks)

    results = asyncio.run(main())
    assert sorted(events[0]["job_name"] for events in results) == sorted(names)
    assert all(events[0]["status"] == "success" for events in results)


def test_tuning_jobs_are_described_on_completion_for_their_best_training_job(fake):
    names = [f"tune-{i}" for i in range(5)]
    for name in names:
        fake.add("tuning", name)

    async def main():
        tasks = start([SageMakerTuningTrigger(job_name=n, poll_interval=INTERVAL) for n in names])
        await until(resolved(5))
        fake.set_status("tune-3", "Completed")
        (events,) = await asyncio.gather(tasks[3])
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return events

    (event,) = asyncio.run(main())
    assert (event["job_name"], event["status"]) == ("tune-3", "success")
    assert fake.calls["describe_hyper_parameter_tuning_job"] >= 1


def test_training_and_tuning_triggers_on_one_connection_share_one_client(fake):
    fake.add("training", "t")
    fake.add("tuning", "h")

    async def main():
        tasks = start(
            [
                SageMakerTrainingTrigger(job_name="t", poll_interval=INTERVAL),
                SageMakerTuningTrigger(job_name="h", poll_interval=INTERVAL),
            ]
        )
        await until(
            lambda: (
                len(registry.pollers()) == 2
                and all(p.jobs and all(j.as_of for j in p.jobs.values()) for p in registry.pollers())
            )
        )
        fake.set_status("t", "Completed")
        fake.set_status("h", "Completed")
        return await asyncio.gather(*tasks)

    asyncio.run(main())
    assert len(fake.opened) == 1


def test_each_event_loop_gets_its_own_client(fake):
    """An aiobotocore client must never cross loops or threads."""
    fake.add("training", "a")
    seen = []

    def in_thread():
        async def borrow():
            async with clients.shared_client("aws_default", None) as client:
                seen.append((threading.get_ident(), id(asyncio.get_running_loop()), client))
                await until(lambda: len(seen) == 2)

        asyncio.run(borrow())

    threads = [threading.Thread(target=in_thread) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(seen) == 2 and seen[0][1] != seen[1][1]
    assert len(fake.opened) == 2  # one per loop, although the connection is the same


def test_refreshable_credentials_refresh_in_a_worker_thread():
    from aiobotocore.credentials import AioRefreshableCredentials

    threads = []

    def refresh():  # AwsBaseHook's STS call is blocking like this one
        threads.append(threading.get_ident())
        expiry = "2000-01-01T00:00:00Z" if len(threads) == 1 else "2999-01-01T00:00:00Z"
        return {"access_key": f"a{len(threads)}", "secret_key": "s", "token": "t", "expiry_time": expiry}

    credentials = AioRefreshableCredentials.create_from_metadata(
        metadata=refresh(), refresh_using=refresh, method="sts-assume-role"
    )
    clients.refresh_off_loop(credentials)
    clients.refresh_off_loop(credentials)  # idempotent

    async def main():
        return await credentials.get_frozen_credentials()

    frozen = asyncio.run(main())
    assert frozen.access_key == "a2"  # the expired first credentials were refreshed
    assert len(threads) == 2 and all(t != threading.get_ident() for t in threads[1:])
