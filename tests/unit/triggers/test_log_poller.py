"""Deferred training output: coalesced log polling, each line once and in order, drained before
the event; a connection without Logs access keeps its status polling.

Driven by fakes (fake_sagemaker.py, fake_logs.py) and short poll intervals; the tests count
calls and wait on conditions with a deadline, never on the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable

import pytest

from airflow_sm_provider import logtail
from airflow_sm_provider.triggers import SageMakerTrainingTrigger, clients, log_poller, registry
from airflow_sm_provider.triggers.log_poller import LogPoller
from tests.unit.triggers.fake_logs import FakeLogs
from tests.unit.triggers.fake_sagemaker import FakeSageMaker

INTERVAL = 0.02
FILTER = "filter_log_events"
STREAMS = "describe_log_streams"


class Recorder:
    """A trigger's ``log``: what it wrote, in order, into a list shared with the test."""

    def __init__(self, out: list[str]) -> None:
        self.out = out

    def info(self, message: str, *args: object) -> None:
        self.out.append(message % args if args else message)

    warning = error = debug = info

    def exception(self, message: str, *args: object) -> None:
        self.out.append("EXCEPTION " + (message % args if args else message))


@pytest.fixture
def fakes(monkeypatch):
    sagemaker, logs = FakeSageMaker(), FakeLogs()
    opened: list[str] = []

    async def fake_open(hook, service="sagemaker"):
        client = logs if service == "logs" else sagemaker
        stack = contextlib.AsyncExitStack()
        stack.callback(setattr, client, "closed", True)
        client.closed = False
        opened.append(service)
        return client, stack

    monkeypatch.setattr(clients, "_open", fake_open)
    return sagemaker, logs, opened


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached before the deadline"
        await asyncio.sleep(0.005)


def the_log_poller() -> LogPoller:
    (only,) = registry.log_pollers()
    return only


async def polls(count: int = 1) -> None:
    """Wait until the log poller has finished ``count`` more polls."""
    poller = the_log_poller()
    seen = poller.polls
    await until(lambda: poller.polls >= seen + count)


def trigger(name: str, out: list[str], **kwargs) -> SageMakerTrainingTrigger:
    made = SageMakerTrainingTrigger(job_name=name, poll_interval=INTERVAL, print_log=True, **kwargs)
    made._log = Recorder(out)
    return made


async def run(made: SageMakerTrainingTrigger, out: list[str]) -> dict:
    """The trigger's event; ``EVENT <status>`` goes into ``out`` when it arrives."""
    async with contextlib.aclosing(made.run()) as stream:
        async for event in stream:
            out.append(f"EVENT {event.payload['status']}")
            return event.payload
    raise AssertionError("no event")


def output(out: list[str]) -> list[str]:
    return [line for line in out if line.startswith("[")]


def test_each_line_is_logged_once_in_order_across_polls_with_its_instance(fakes):
    sagemaker, logs, _ = fakes
    sagemaker.add("training", "job")
    describe = sagemaker._describe

    def two_instances(kind, **kwargs):  # the job's first status says how many streams to expect
        description = describe(kind, **kwargs)
        description["ResourceConfig"] = {**description["ResourceConfig"], "InstanceCount": 2}
        return description

    sagemaker._describe = two_instances
    out: list[str] = []

    async def main():
        task = asyncio.ensure_future(run(trigger("job", out), out))
        logs.write("job", "epoch 1", host=1)
        await until(lambda: "[algo-1] epoch 1" in out)
        logs.write("job", "same ms a", host=1, at=1_800_000_000_000)
        logs.write("job", "same ms b", host=2, at=1_800_000_000_000)
        await polls(3)  # re-reading from the cursor's timestamp shows nothing twice
        logs.write("job", "epoch 2", host=2)
        logs.write("job", "epoch 3", host=1)
        await until(lambda: "[algo-1] epoch 3" in out)
        await polls(3)
        sagemaker.set_status("job", "Completed")
        return await task

    event = asyncio.run(main())
    assert event["status"] == "success"
    assert output(out) == [
        "[algo-1] epoch 1",
        "[algo-1] same ms a",
        "[algo-2] same ms b",
        "[algo-2] epoch 2",
        "[algo-1] epoch 3",
    ]


def test_output_starts_at_log_since_ms(fakes):
    sagemaker, logs, _ = fakes
    sagemaker.add("training", "job")
    logs.write("job", "old", at=1_000)
    logs.write("job", "new", at=5_000)
    out: list[str] = []

    async def main():
        task = asyncio.ensure_future(run(trigger("job", out, log_since_ms=2_000), out))
        await until(lambda: "[algo-1] new" in out)
        sagemaker.set_status("job", "Completed")
        return await task

    asyncio.run(main())
    assert output(out) == ["[algo-1] new"]


def test_output_a_deferring_task_showed_is_not_shown_again(fakes):
    sagemaker, logs, _ = fakes
    sagemaker.add("training", "job")
    logs.write("job", "shown by the first poke", "also shown")
    shown = logtail.LogCursor("job")
    shown.take([e for events in logs.streams.values() for e in events])
    out: list[str] = []

    async def main():
        task = asyncio.ensure_future(run(trigger("job", out, shown=shown.to_dict()), out))
        logs.write("job", "new")
        await until(lambda: "[algo-1] new" in out)
        sagemaker.set_status("job", "Completed")
        return await task

    asyncio.run(main())
    assert output(out) == ["[algo-1] new"]


def test_a_trigger_started_again_long_after_the_deferral_does_not_repeat_the_output(fakes):
    sagemaker, logs, _ = fakes
    sagemaker.add("training", "job")
    now_ms = int(time.time() * 1000)
    logs.write("job", "shown before the triggerer restarted", at=now_ms - 600_000)
    out: list[str] = []

    async def main():
        made = trigger("job", out, deferred_at=time.time() - 900)  # the task deferred 15 min ago
        task = asyncio.ensure_future(run(made, out))
        logs.write("job", "printed now", at=int(time.time() * 1000))
        await until(lambda: "[algo-1] printed now" in out)
        sagemaker.set_status("job", "Completed")
        return await task

    asyncio.run(main())
    assert output(out) == ["[algo-1] printed now"]
    assert any("not repeated from the start" in line for line in out)


def test_a_trigger_started_soon_after_the_deferral_shows_everything(fakes):
    sagemaker, logs, _ = fakes
    sagemaker.add("training", "job")
    logs.write("job", "printed before the deferral", at=int(time.time() * 1000) - 600_000)
    out: list[str] = []

    async def main():
        task = asyncio.ensure_future(run(trigger("job", out, deferred_at=time.time()), out))
        await until(lambda: "[algo-1] printed before the deferral" in out)
        sagemaker.set_status("job", "Completed")
        return await task

    asyncio.run(main())
    assert not any("not repeated" in line for line in out)


def test_the_jobs_last_lines_are_logged_before_its_event(fakes):
    sagemaker, logs, _ = fakes
    sagemaker.add("training", "job")
    out: list[str] = []

    async def main():
        task = asyncio.ensure_future(run(trigger("job", out), out))
        logs.write("job", "training")
        await until(lambda: "[algo-1] training" in out)
        await polls(1)  # the job is now read by its stream names
        logs.gate = asyncio.Event()  # ... and the poller does not get to read the end
        logs.write("job", "saved model", "bye")
        sagemaker.set_status("job", "Completed")
        return await task

    asyncio.run(main())
    assert output(out) == ["[algo-1] training", "[algo-1] saved model", "[algo-1] bye"]
    assert out[-1] == "EVENT success"  # the trigger read the end itself before its event


def test_a_chatty_job_is_capped_per_poll_with_a_line_saying_how_many_were_skipped(fakes):
    sagemaker, logs, _ = fakes
    sagemaker.add("training", "job")
    logs.write("job", *(f"line {i}" for i in range(logtail.MAX_LINES_PER_POLL + 50)))
    out: list[str] = []

    async def main():
        task = asyncio.ensure_future(run(trigger("job", out), out))
        await until(lambda: any("skipped" in line for line in out))
        sagemaker.set_status("job", "Completed")
        return await task

    asyncio.run(main())
    assert len(output(out)) == logtail.MAX_LINES_PER_POLL
    assert any(line.startswith("... 50 lines skipped") for line in out)


@pytest.mark.parametrize("jobs", [1, 12])  # 12: a burst, whose first statuses come from a List
def test_a_second_instances_stream_found_late_still_shows_its_older_lines(fakes, jobs, monkeypatch):
    # a job whose instance count is unknown is re-read by prefix every RECHECK_SECONDS
    monkeypatch.setattr(log_poller, "RECHECK_SECONDS", 0.0)
    sagemaker, logs, _ = fakes
    names = [f"job-{i:02d}" for i in range(jobs)]
    describe = sagemaker._describe

    def two_instances(kind, **kwargs):
        description = describe(kind, **kwargs)
        description["ResourceConfig"] = {**description["ResourceConfig"], "InstanceCount": 2}
        return description

    sagemaker._describe = two_instances
    out: list[str] = []
    for name in names:
        sagemaker.add("training", name)

    async def main():
        tasks = [asyncio.ensure_future(run(trigger(n, out), out)) for n in names]
        first = {}
        for name in names:
            logs.write(name, f"{name} first", host=1)
            first[name] = logs.streams[logs.stream(name, 1)][-1]["timestamp"]
            logs.write(name, f"{name} third", host=1, at=first[name] + 5_000)
        await until(lambda: all(f"[algo-1] {n} third" in out for n in names))
        await polls(2)  # algo-1's place has moved past "first"
        for name in names:  # algo-2's stream appears only now, with a line from between the two
            logs.write(name, f"{name} second", host=2, at=first[name] + 1)
        await until(lambda: all(f"[algo-2] {n} second" in out for n in names))
        await polls(2)
        for name in names:
            sagemaker.set_status(name, "Completed")
        await asyncio.gather(*tasks)

    asyncio.run(main())
    for name in names:
        assert [line for line in output(out) if name in line] == [
            f"[algo-1] {name} first",
            f"[algo-1] {name} third",
            f"[algo-2] {name} second",
        ]


async def steady_calls(jobs: int, polls_to_count: int = 3) -> list[Counter]:
    """Calls by operation of each of the next few polls, once every job's stream is known."""

    def streams_known() -> bool:
        watches = registry.log_pollers()[0].watches if registry.log_pollers() else set()
        poller = registry.log_pollers()[0] if watches else None
        return len(watches) == jobs and all(w.ready and poller.streams.get(w.job_name) for w in watches)

    await until(streams_known)
    poller = the_log_poller()
    await polls(1)
    seen = poller.polls
    await polls(polls_to_count)
    latest = list(poller.calls_per_tick)[-(poller.polls - seen) :]
    return latest[:polls_to_count]


@pytest.mark.parametrize(("jobs", "filters"), [(1, 1), (10, 1), (100, 1), (250, 3)])
def test_calls_per_interval_grow_with_jobs_over_100_not_with_jobs(fakes, jobs, filters):
    sagemaker, logs, _ = fakes
    names = [f"job-{i:03d}" for i in range(jobs)]
    out: list[str] = []
    for name in names:
        sagemaker.add("training", name)
        logs.write(name, f"hello from {name}")

    async def main():
        tasks = [asyncio.ensure_future(run(trigger(n, out), out)) for n in names]
        per_poll = await steady_calls(jobs)
        discovery = the_log_poller().calls["DescribeLogStreams"]
        for name in names:
            logs.write(name, f"bye from {name}")
            sagemaker.set_status(name, "Completed")
        await asyncio.gather(*tasks)
        return per_poll, discovery

    per_poll, discovery = asyncio.run(main())
    assert per_poll == [Counter({"FilterLogEvents": filters})] * 3  # one FilterLogEvents per 100 streams
    assert discovery <= jobs // 20 + 1  # streams found by listing the group (50 a page), not per job
    for name in names:
        assert output(out).count(f"[algo-1] hello from {name}") == 1
        assert output(out).count(f"[algo-1] bye from {name}") == 1


def test_all_triggers_share_one_logs_client_and_one_sagemaker_client(fakes):
    sagemaker, logs, opened = fakes
    names = [f"job-{i}" for i in range(20)]
    out: list[str] = []
    for name in names:
        sagemaker.add("training", name)
        logs.write(name, "hi")

    async def main():
        tasks = [asyncio.ensure_future(run(trigger(n, out), out)) for n in names]
        await until(lambda: out.count("[algo-1] hi") == 20)
        for name in names:
            sagemaker.set_status(name, "Completed")
        await asyncio.gather(*tasks)
        return clients.open_clients(), registry.log_pollers()

    assert asyncio.run(main()) == (0, [])
    assert sorted(opened) == ["logs", "sagemaker"]
    assert logs.closed and sagemaker.closed


def test_without_logs_access_it_is_said_once_and_status_polling_goes_on(fakes):
    sagemaker, logs, _ = fakes
    logs.refuse[FILTER] = logs.refuse[STREAMS] = "AccessDeniedException"
    names = [f"job-{i}" for i in range(3)]
    outs: dict[str, list[str]] = {name: [] for name in names}
    for name in names:
        sagemaker.add("training", name)

    async def main():
        tasks = [asyncio.ensure_future(run(trigger(n, outs[n]), outs[n])) for n in names]
        await until(lambda: bool(registry.log_pollers()) and the_log_poller().off is not None)
        refused = logs.total_calls()
        await until(lambda: sagemaker.total_calls() >= 10)  # status polling goes on meanwhile
        assert logs.total_calls() == refused  # log streaming is off
        for name in names:
            sagemaker.set_status(name, "Completed")
        return await asyncio.gather(*tasks), refused

    events, refused = asyncio.run(main())
    assert [e["status"] for e in events] == ["success"] * 3
    assert refused <= 3  # the first poll's calls, then none (and no drain at the end)
    for out in outs.values():
        said = [line for line in out if "cannot be read from CloudWatch Logs" in line]
        assert len(said) == 1 and "AccessDeniedException" in said[0]


def test_a_transient_error_reads_on_at_the_next_interval_without_repeating(fakes):
    sagemaker, logs, _ = fakes
    sagemaker.add("training", "job")
    out: list[str] = []

    async def main():
        task = asyncio.ensure_future(run(trigger("job", out), out))
        logs.write("job", "one")
        await until(lambda: "[algo-1] one" in out)
        logs.refuse[FILTER] = "ThrottlingException"
        logs.write("job", "two")
        throttled = logs.calls[FILTER]
        await until(lambda: logs.calls[FILTER] >= throttled + 3)
        del logs.refuse[FILTER]
        await until(lambda: "[algo-1] two" in out)
        assert the_log_poller().off is None
        sagemaker.set_status("job", "Completed")
        return await task

    asyncio.run(main())
    assert output(out) == ["[algo-1] one", "[algo-1] two"]


def test_without_print_log_no_logs_client_is_opened(fakes):
    sagemaker, logs, opened = fakes
    sagemaker.add("training", "job", status="Completed")

    async def main():
        made = SageMakerTrainingTrigger(job_name="job", poll_interval=INTERVAL)
        async with contextlib.aclosing(made.run()) as stream:
            return [event.payload async for event in stream]

    (event,) = asyncio.run(main())
    assert event["status"] == "success"
    assert opened == ["sagemaker"] and logs.total_calls() == 0


def test_cleanup_leaves_the_log_poller_even_if_run_was_abandoned_unclosed(fakes):
    sagemaker, logs, _ = fakes
    sagemaker.add("training", "job")
    logs.write("job", "hi")
    out: list[str] = []

    async def main():
        made = trigger("job", out)
        stream = made.run()
        task = asyncio.ensure_future(stream.__anext__())  # a host that drops the generator unclosed
        await until(lambda: "[algo-1] hi" in out)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await made.cleanup()
        await made.cleanup()  # idempotent
        return clients.open_clients(), registry.log_pollers(), registry.pollers()

    assert asyncio.run(main()) == (0, [], [])
    assert logs.closed and sagemaker.closed


def test_a_logs_client_that_cannot_be_made_loses_the_output_not_the_task(fakes, monkeypatch):
    sagemaker, _, _ = fakes
    sagemaker.add("training", "job")
    opened = clients._open

    async def no_logs(hook, service="sagemaker"):
        if service == "logs":
            raise ValueError("no endpoint for logs")
        return await opened(hook, service)

    monkeypatch.setattr(clients, "_open", no_logs)
    out: list[str] = []

    async def main():
        task = asyncio.ensure_future(run(trigger("job", out), out))
        await until(lambda: any("cannot be read from CloudWatch Logs" in line for line in out))
        sagemaker.set_status("job", "Completed")
        return await task

    assert asyncio.run(main())["status"] == "success"
    assert len([line for line in out if "cannot be read" in line]) == 1
