"""N deferred SageMaker training jobs in one triggerer loop: our triggers vs the incumbent's.

Usage::

    .venv/bin/python bench/triggerer_scale.py                 # N = 1000, 3 s poll interval
    .venv/bin/python bench/triggerer_scale.py --n 10 100 1000 --interval 3

A stub SageMaker (bench/sagemaker_stub.py, AWS JSON 1.1) runs in its own process. For each N
and each implementation it schedules N training jobs that stay InProgress for ``--lead``
intervals and then complete at random over ``--spread`` intervals (every ``--fail-every``-th
fails), then starts a fresh "triggerer" process that runs N triggers in one asyncio loop, as the
triggerer does: ours (``SageMakerTrainingTrigger``) or the amazon provider's
``SageMakerTrigger(job_type="training")``, on the same ``aws_default`` connection pointing at
the stub. This process samples the triggerer's RSS, file descriptors and TCP connections from
outside; the triggerer counts aiobotocore clients created and runs a 50 ms ticker for the event
loop's lag; the stub logs every API call. Printed side by side:

- peak RSS above the triggerer's baseline (taken after imports, before any trigger starts);
- peak open TCP connections and file descriptors; aiobotocore clients created;
- max event-loop lag;
- time from a job's completion (by the stub's timetable) to its trigger's event, median / p99;
- API calls per poll interval: steady (the second half of the lead, every job InProgress),
  over the whole run (first trigger start -> last event; mean and median), and the busiest one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
IMPLEMENTATIONS = ("incumbent", "ours")


# -- the triggerer process ---------------------------------------------------------------------
def _make_triggers(impl: str, names: list[str], interval: float) -> list[Any]:
    if impl == "ours":
        from airflow_sm_provider.triggers import SageMakerTrainingTrigger

        return [
            SageMakerTrainingTrigger(job_name=n, aws_conn_id="aws_default", poll_interval=interval)
            for n in names
        ]
    from airflow.providers.amazon.aws.triggers.sagemaker import SageMakerTrigger

    return [
        SageMakerTrigger(
            job_name=n,
            job_type="training",
            waiter_delay=int(interval),
            waiter_max_attempts=100_000,
            aws_conn_id="aws_default",
        )
        for n in names
    ]


def _preload(impl: str) -> None:
    """Import what the triggers will need, so the baseline includes code and excludes triggers."""
    if impl == "ours":
        import airflow_sm_provider.hooks.sagemaker
        import airflow_sm_provider.triggers.registry  # noqa: F401
    else:
        import airflow.providers.amazon.aws.triggers.sagemaker  # noqa: F401
    import aiobotocore.session  # noqa: F401


def _count_clients() -> list[int]:
    from aiobotocore.session import AioSession

    created = [0]
    original = AioSession._create_client

    async def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        created[0] += 1
        return await original(self, *args, **kwargs)

    AioSession._create_client = counting  # type: ignore[method-assign]
    return created


async def _run_triggers(triggers: list[Any], deadline: float) -> tuple[dict[str, Any], list[float]]:
    events: dict[str, Any] = {}
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.05)
            lags.append(time.perf_counter() - before - 0.05)

    async def one(trigger: Any) -> None:
        async with contextlib.aclosing(trigger.run()) as stream:
            async for event in stream:
                events[trigger.job_name] = [time.time(), event.payload.get("status")]
                break
        if len(events) == len(triggers):
            done.set()

    tick = asyncio.create_task(ticker())
    tasks = [asyncio.create_task(one(t)) for t in triggers]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), max(1.0, deadline - time.time()))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    tick.cancel()
    return events, lags


def child(args: argparse.Namespace) -> None:
    import faulthandler

    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 <pid>` prints where a stuck run is
    _preload(args.child)
    created = _count_clients()
    names = [f"{args.prefix}-{i:05d}" for i in range(args.n[0])]
    gc.collect()
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.time()
    triggers = _make_triggers(args.child, names, args.interval)
    events, lags = asyncio.run(_run_triggers(triggers, started + args.deadline))
    Path(args.out).write_text(
        json.dumps(
            {
                "started": started,
                "events": events,
                "clients": created[0],
                "lag": max(lags, default=0.0),
                "lag_p99": _percentile(lags, 0.99),
            }
        )
    )


# -- the orchestrator --------------------------------------------------------------------------
def _post(url: str, payload: dict[str, Any]) -> Any:
    request = urllib.request.Request(url, json.dumps(payload).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.load(response)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def measure(impl: str, n: int, args: argparse.Namespace, stub_url: str) -> dict[str, Any]:
    import psutil

    prefix = f"{impl}-{n}-{int(time.time())}"
    with tempfile.TemporaryDirectory(prefix="triggerer-scale-") as home:
        env = dict(os.environ)
        env.update(
            {
                "AIRFLOW_HOME": home,
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(
                    {
                        "conn_type": "aws",
                        "login": "bench",
                        "password": "bench",
                        "extra": {"region_name": "us-east-1", "endpoint_url": stub_url},
                    }
                ),
                "AWS_ACCESS_KEY_ID": "bench",
                "AWS_SECRET_ACCESS_KEY": "bench",
                "AWS_DEFAULT_REGION": "us-east-1",
                "PYTHONPATH": str(HERE.parent) + os.pathsep + env.get("PYTHONPATH", ""),
            }
        )
        out = Path(home) / "result.json"
        deadline = (args.lead + args.spread) * args.interval + max(240.0, 40 * args.interval)
        cmd = [
            sys.executable,
            __file__,
            "--child",
            impl,
            "--n",
            str(n),
            "--interval",
            str(args.interval),
            "--prefix",
            prefix,
            "--out",
            str(out),
            "--deadline",
            str(deadline),
        ]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)
        assert proc.stdout is not None and proc.stdin is not None
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"{impl} triggerer failed to start")
        # keep reading the triggers' log lines: a full pipe would block the triggerer
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        watched = psutil.Process(proc.pid)
        time.sleep(0.5)
        baseline = watched.memory_info().rss
        start = time.time()
        timetable = {
            "n": n,
            "prefix": prefix,
            "start": start,
            "lead": args.lead * args.interval,
            "spread": args.spread * args.interval,
            "fail_every": args.fail_every,
        }
        _post(f"{stub_url}/_bench/reset", timetable)
        proc.stdin.write("go\n")
        proc.stdin.flush()
        peak_rss = peak_fds = peak_conns = 0
        while proc.poll() is None:
            with contextlib.suppress(psutil.Error):
                peak_rss = max(peak_rss, watched.memory_info().rss)
                peak_fds = max(peak_fds, watched.num_fds())
                peak_conns = max(peak_conns, len(watched.net_connections(kind="tcp")))
            time.sleep(0.1)
        if proc.returncode != 0:
            raise RuntimeError(f"{impl} triggerer exited with {proc.returncode}")
        result = json.loads(out.read_text())
    report = _get(f"{stub_url}/_bench/report")
    events = result["events"]
    delays = [events[name][0] - at for name, at in report["complete_at"].items() if name in events]
    wrong = sum(
        1
        for name, (_, status) in events.items()
        if status != ("success" if report["final"][name] == "Completed" else "failed")
    )
    begin = result["started"]
    end = max((t for t, _ in events.values()), default=begin)
    calls = [t for t, *_ in report["calls"] if begin <= t <= end]
    intervals = max(1.0, (end - begin) / args.interval)
    steady = (args.lead * args.interval / 2, args.lead * args.interval)  # every job still running
    bins: dict[int, int] = {}
    for t in calls:
        bins[int((t - begin) // args.interval)] = bins.get(int((t - begin) // args.interval), 0) + 1
    return {
        "impl": impl,
        "n": n,
        "rss_mb": (peak_rss - baseline) / 2**20,
        "conns": peak_conns,
        "fds": peak_fds,
        "clients": result["clients"],
        "lag_s": result["lag"],
        "lag_p99_s": result["lag_p99"],
        "delay_median_s": statistics.median(delays) if delays else float("nan"),
        "delay_p99_s": _percentile(delays, 0.99),
        "calls_steady": sum(1 for t in calls if begin + steady[0] <= t < begin + steady[1])
        / ((steady[1] - steady[0]) / args.interval),
        "calls_per_interval": len(calls) / intervals,
        "calls_median_interval": statistics.median(
            [bins.get(k, 0) for k in range(max(1, int((end - begin) // args.interval)))]
        ),
        "calls_busiest_interval": max(bins.values(), default=0),
        "calls_total": len(calls),
        "events": len(events),
        "missing": n - len(events),
        "wrong": wrong,
    }


ROWS = [
    ("peak RSS above baseline (MB)", "rss_mb", "{:.1f}"),
    ("peak TCP connections", "conns", "{:d}"),
    ("peak open fds", "fds", "{:d}"),
    ("aiobotocore clients created", "clients", "{:d}"),
    ("max event-loop lag (s)", "lag_s", "{:.3f}"),
    ("event-loop lag p99 (s)", "lag_p99_s", "{:.3f}"),
    ("completion -> event, median (s)", "delay_median_s", "{:.2f}"),
    ("completion -> event, p99 (s)", "delay_p99_s", "{:.2f}"),
    ("API calls per poll interval, steady (all jobs running)", "calls_steady", "{:.1f}"),
    ("API calls per poll interval, whole run (mean)", "calls_per_interval", "{:.1f}"),
    ("API calls per poll interval, whole run (median)", "calls_median_interval", "{:.1f}"),
    ("API calls, busiest interval", "calls_busiest_interval", "{:d}"),
    ("API calls, total", "calls_total", "{:d}"),
    ("events received / missing / wrong", None, ""),
]


def table(results: list[dict[str, Any]], interval: float) -> str:
    sizes = sorted({r["n"] for r in results})
    by = {(r["impl"], r["n"]): r for r in results}
    head = "| metric | " + " | ".join(f"N={n} incumbent | N={n} ours | ours/incumbent" for n in sizes) + " |"
    lines = [f"Poll interval {interval:g} s.", "", head, "|" + "---|" * (1 + 3 * len(sizes))]
    for label, key, fmt in ROWS:
        cells = []
        for n in sizes:
            inc, ours = by.get(("incumbent", n)), by.get(("ours", n))
            for r in (inc, ours):
                if r is None:
                    cells.append("-")
                elif key is None:
                    cells.append(f"{r['events']} / {r['missing']} / {r['wrong']}")
                else:
                    cells.append(fmt.format(r[key]))
            ratio = "-"
            if key and inc and ours and isinstance(inc[key], (int, float)) and inc[key]:
                ratio = f"{ours[key] / inc[key]:.3f}"
            cells.append(ratio)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets(results: list[dict[str, Any]], interval: float) -> str:
    by = {(r["impl"], r["n"]): r for r in results}
    inc, ours = by.get(("incumbent", 1000)), by.get(("ours", 1000))
    if not (inc and ours):
        return "(targets are judged at N=1000)"
    checks = [
        (
            "RSS above baseline <= 1/10 of the incumbent's and < 100 MB",
            ours["rss_mb"] <= inc["rss_mb"] / 10 and ours["rss_mb"] < 100,
            f"{ours['rss_mb']:.1f} MB vs {inc['rss_mb']:.1f} MB",
        ),
        (
            "API calls per interval, steady, <= 1/20 of the incumbent's",
            ours["calls_steady"] <= inc["calls_steady"] / 20,
            f"{ours['calls_steady']:.1f} vs {inc['calls_steady']:.1f}",
        ),
        (
            "API calls per interval over the whole run <= 1/20 of the incumbent's",
            ours["calls_per_interval"] <= inc["calls_per_interval"] / 20,
            f"{ours['calls_per_interval']:.1f} vs {inc['calls_per_interval']:.1f}",
        ),
        ("max event-loop lag < 0.25 s", ours["lag_s"] < 0.25, f"{ours['lag_s']:.3f} s"),
        (
            "completion -> event p99 <= one poll interval and better than the incumbent's",
            ours["delay_p99_s"] <= interval and ours["delay_p99_s"] < inc["delay_p99_s"],
            f"{ours['delay_p99_s']:.2f} s vs {inc['delay_p99_s']:.2f} s (interval {interval:g} s)",
        ),
        (
            "every job's own event, none missing",
            ours["missing"] == 0 and ours["wrong"] == 0,
            f"{ours['events']} events",
        ),
    ]
    return "\n".join(f"- {'MET' if ok else 'NOT MET'}: {label} ({detail})" for label, ok, detail in checks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1000])
    parser.add_argument("--interval", type=float, default=3.0, help="poll interval, seconds")
    parser.add_argument("--lead", type=float, default=20.0, help="intervals every job stays InProgress")
    parser.add_argument("--spread", type=float, default=10.0, help="intervals over which jobs complete")
    parser.add_argument("--fail-every", type=int, default=50, help="every k-th job fails")
    parser.add_argument("--only", choices=IMPLEMENTATIONS)
    parser.add_argument("--json", help="also write the raw results here")
    parser.add_argument("--child", choices=IMPLEMENTATIONS, help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--deadline", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    stub_cmd = [sys.executable, str(HERE / "sagemaker_stub.py")]
    stub = subprocess.Popen(stub_cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert stub.stdout is not None
        stub_url = f"http://127.0.0.1:{stub.stdout.readline().split()[1]}"
        results = []
        for n in args.n:
            for impl in IMPLEMENTATIONS if args.only is None else (args.only,):
                print(f"running N={n} {impl} ...", file=sys.stderr, flush=True)
                results.append(measure(impl, n, args, stub_url))
    finally:
        stub.terminate()
        stub.wait(timeout=10)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    print(table(results, args.interval))
    print()
    print(targets(results, args.interval))


if __name__ == "__main__":
    main()
