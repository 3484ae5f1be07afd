"""N deferred training jobs printing a line a second: our coalesced log streaming vs per-job polling.

Usage::

    .venv/bin/python bench/log_streaming.py                  # N = 100 and 1000, 5 s poll interval
    .venv/bin/python bench/log_streaming.py --n 1000 --interval 5

A stub SageMaker + CloudWatch Logs (bench/sagemaker_stub.py, AWS JSON 1.1) runs in its own
process. For each N and each implementation it schedules N training jobs that each print a line
every second into their stream (``<job>/algo-1-<epoch>``, readable 0-2 s after its timestamp),
stay InProgress for ``--lead`` intervals, stop printing 3 s before they complete, and complete
at random over the next ``--spread`` intervals. Then a fresh "triggerer" process runs, in one
asyncio loop:

- ``ours``: N ``SageMakerTrainingTrigger(print_log=True)`` on the ``aws_default`` connection:
  coalesced status polling and coalesced log polling (airflow_sm_provider/triggers/log_poller.py)
  on one shared SageMaker client and one shared logs client; each trigger drains its job's
  last lines before its event.
- ``per-job``: the incumbent's approach, one coroutine per job with its own clients (made by the
  amazon provider's hooks, ``AwsLogsHook(...).get_async_conn()`` and the SageMaker equivalent,
  as its deferred print_log path did): every interval DescribeTrainingJob, DescribeLogStreams
  (the job's prefix) and GetLogEvents of its stream from the last forward token; when the job
  has ended, one last GetLogEvents. That is the *least* it costs (the incumbent also re-reads
  until the token repeats, and its async hook opens a client per call and sleeps a second per
  event, which would not finish at all at N=1000).

This process samples the triggerer's RSS from outside; the triggerer runs a 50 ms ticker for
the loop's lag and records every line it logs; the stub logs every API call. Printed side by
side: CloudWatch Logs calls per poll interval (steady: second half of the lead, every job
running; and over the whole run), SageMaker calls per interval, max and p99 loop lag, peak RSS
above the baseline, and lines delivered / missing / duplicated / out of order.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from triggerer_scale import _get, _percentile, _post  # noqa: E402

IMPLEMENTATIONS = ("per-job", "ours")
LINE = re.compile(r"line (\d+) of (\S+)")
LOG_GROUP = "/aws/sagemaker/TrainingJobs"


class Lines:
    """Every output line delivered, per job, in delivery order."""

    def __init__(self) -> None:
        self.by_job: dict[str, list[int]] = {}
        self.other = 0

    def add(self, text: str) -> None:
        match = LINE.search(text)
        if match is None:
            self.other += 1
            return
        self.by_job.setdefault(match.group(2), []).append(int(match.group(1)))


class Recorder:
    """A trigger's ``log``: keeps the output lines, counts the rest."""

    def __init__(self, lines: Lines) -> None:
        self.lines = lines

    def info(self, message: str, *args: Any) -> None:
        text = message % args if args else message
        if text.startswith("["):
            self.lines.add(text)
        else:
            self.lines.other += 1

    warning = error = debug = info

    def exception(self, message: str, *args: Any) -> None:
        self.info(message, *args)


# -- the triggerer process ---------------------------------------------------------------------
async def _ours(names: list[str], interval: float, lines: Lines, deadline: float) -> dict[str, Any]:
    from airflow_sm_provider.triggers import SageMakerTrainingTrigger

    events: dict[str, Any] = {}

    async def one(name: str) -> None:
        trigger = SageMakerTrainingTrigger(job_name=name, poll_interval=interval, print_log=True)
        trigger._log = Recorder(lines)
        async with contextlib.aclosing(trigger.run()) as stream:
            async for event in stream:
                events[name] = [time.time(), event.payload["status"]]
                return

    await _all(one, names, deadline)
    return events


async def _per_job(names: list[str], interval: float, lines: Lines, deadline: float) -> dict[str, Any]:
    from airflow.providers.amazon.aws.hooks.logs import AwsLogsHook
    from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook

    events: dict[str, Any] = {}

    async def read(logs: Any, name: str, state: dict[str, Any]) -> None:
        if state.get("stream") is None:
            found = await logs.describe_log_streams(
                logGroupName=LOG_GROUP, logStreamNamePrefix=f"{name}/", orderBy="LogStreamName", limit=50
            )
            streams = found.get("logStreams") or []
            state["stream"] = streams[0]["logStreamName"] if streams else None
        else:
            # the incumbent describes the streams every time, to find new instances
            await logs.describe_log_streams(
                logGroupName=LOG_GROUP, logStreamNamePrefix=f"{name}/", orderBy="LogStreamName", limit=50
            )
        if state["stream"] is None:
            return
        token = {"nextToken": state["token"]} if state.get("token") else {}
        page = await logs.get_log_events(
            logGroupName=LOG_GROUP, logStreamName=state["stream"], startFromHead=True, **token
        )
        state["token"] = page.get("nextForwardToken")
        for event in page.get("events") or []:
            lines.add(event["message"])

    async def one(name: str) -> None:
        sagemaker_hook = SageMakerHook(aws_conn_id="aws_default")
        logs_hook = AwsLogsHook(aws_conn_id="aws_default")
        state: dict[str, Any] = {}
        async with (
            await sagemaker_hook.get_async_conn() as sagemaker,
            await logs_hook.get_async_conn() as logs,
        ):
            while True:
                described = await sagemaker.describe_training_job(TrainingJobName=name)
                status = described["TrainingJobStatus"]
                await read(logs, name, state)
                if status in ("Completed", "Failed", "Stopped"):
                    events[name] = [time.time(), "success" if status == "Completed" else "failed"]
                    return
                await asyncio.sleep(interval)

    await _all(one, names, deadline)
    return events


async def _all(one: Any, names: list[str], deadline: float) -> None:
    tasks = [asyncio.create_task(one(name)) for name in names]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(
            asyncio.gather(*tasks, return_exceptions=True), max(1.0, deadline - time.time())
        )
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _measured(impl: str, names: list[str], interval: float, deadline: float) -> dict[str, Any]:
    lags: list[float] = []
    worst: list[tuple[float, float]] = []  # (lag, seconds since the start) of lags over 0.1 s
    lines = Lines()
    started = time.perf_counter()

    async def ticker() -> None:
        while True:
            before, collecting = time.perf_counter(), gc_total[0]
            await asyncio.sleep(0.05)
            lags.append(time.perf_counter() - before - 0.05)
            lags_outside_gc.append(lags[-1] - (gc_total[0] - collecting))
            if lags[-1] > 0.1:
                worst.append((round(lags[-1], 3), round(before - started, 1)))

    pauses: list[tuple[float, float, int]] = []  # (seconds, at, generation) of collections over 50 ms
    gc_started: list[float] = [0.0]

    gc_total = [0.0]  # seconds spent collecting garbage so far
    lags_outside_gc: list[float] = []

    def gc_timer(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
            return
        took = time.perf_counter() - gc_started[0]
        gc_total[0] += took
        if took > 0.05:
            pauses.append((round(took, 3), round(gc_started[0] - started, 1), info["generation"]))

    gc.callbacks.append(gc_timer)
    tick = asyncio.create_task(ticker())
    if os.environ.get("BENCH_SAMPLE_LAGS"):
        _sample_lags(lags, os.environ["BENCH_SAMPLE_LAGS"])
    run = _ours if impl == "ours" else _per_job
    events = await run(names, interval, lines, deadline)
    tick.cancel()
    return {
        "events": events,
        "lines": lines.by_job,
        "other_lines": lines.other,
        "lag": max(lags, default=0.0),
        "lag_p99": _percentile(lags, 0.99),
        "lag_outside_gc": max(lags_outside_gc, default=0.0),
        "worst_lags": sorted(worst, reverse=True)[:5],
        "gc_pauses": sorted(pauses, reverse=True)[:5],
    }


def _sample_lags(lags: list[float], path: str) -> None:
    """Diagnosis: while the loop is late by over 100 ms, sample where its thread is (to ``path``)."""
    import collections
    import traceback

    loop_thread = threading.get_ident()
    seen: collections.Counter[str] = collections.Counter()

    def sample() -> None:
        last, stale_since = len(lags), time.perf_counter()
        while True:
            time.sleep(0.01)
            if len(lags) != last:
                last, stale_since = len(lags), time.perf_counter()
            elif time.perf_counter() - stale_since > 0.15:
                frame = sys._current_frames().get(loop_thread)
                if frame is not None:
                    stack = traceback.extract_stack(frame)[-12:]
                    seen[" <- ".join(f"{Path(f.filename).name}:{f.name}" for f in reversed(stack))] += 1
                    Path(path).write_text("\n".join(f"{n} {k}" for k, n in seen.most_common(30)))

    threading.Thread(target=sample, daemon=True).start()


def child(args: argparse.Namespace) -> None:
    if args.child == "ours":
        import airflow_sm_provider.hooks.sagemaker
        import airflow_sm_provider.triggers.registry  # noqa: F401
    else:
        import airflow.providers.amazon.aws.hooks.logs
        import airflow.providers.amazon.aws.hooks.sagemaker  # noqa: F401
    import aiobotocore.session  # noqa: F401

    names = [f"{args.prefix}-{i:05d}" for i in range(args.n[0])]
    gc.collect()
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.time()
    result = asyncio.run(_measured(args.child, names, args.interval, started + args.deadline))
    result["started"] = started
    Path(args.out).write_text(json.dumps(result))


# -- the orchestrator --------------------------------------------------------------------------
def measure(impl: str, n: int, args: argparse.Namespace, stub_url: str) -> dict[str, Any]:
    import psutil

    prefix = f"{impl}-{n}-{int(time.time())}"
    with tempfile.TemporaryDirectory(prefix="log-streaming-") as home:
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
        cmd = [sys.executable, __file__, "--child", impl, "--n", str(n), "--interval", str(args.interval)]
        cmd += ["--prefix", prefix, "--out", str(out), "--deadline", str(deadline)]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)
        assert proc.stdout is not None and proc.stdin is not None
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"{impl} triggerer failed to start")
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        watched = psutil.Process(proc.pid)
        time.sleep(0.5)
        baseline = watched.memory_info().rss
        timetable = {
            "n": n,
            "prefix": prefix,
            "start": time.time(),
            "lead": args.lead * args.interval,
            "spread": args.spread * args.interval,
            "fail_every": 0,
            "log_period": 1.0,
            "log_quiet": 3.0,
        }
        _post(f"{stub_url}/_bench/reset", timetable)
        proc.stdin.write("go\n")
        proc.stdin.flush()
        peak_rss = 0
        while proc.poll() is None:
            with contextlib.suppress(psutil.Error):
                peak_rss = max(peak_rss, watched.memory_info().rss)
            time.sleep(0.1)
        if proc.returncode != 0:
            raise RuntimeError(f"{impl} triggerer exited with {proc.returncode}")
        result = json.loads(out.read_text())
    report = _get(f"{stub_url}/_bench/report")
    return summarise(impl, n, args, result, report, (peak_rss - baseline) / 2**20)


def summarise(
    impl: str, n: int, args: argparse.Namespace, result: dict[str, Any], report: dict[str, Any], rss: float
) -> dict[str, Any]:
    begin = result["started"]
    end = max((t for t, _ in result["events"].values()), default=begin)
    intervals = max(1.0, (end - begin) / args.interval)
    steady = (begin + args.lead * args.interval / 2, begin + args.lead * args.interval)
    steady_intervals = (steady[1] - steady[0]) / args.interval
    logs_calls = [(t, op) for t, op, _ in report["calls"] if begin <= t <= end and op.startswith("Logs_")]
    sm_calls = [t for t, op, _ in report["calls"] if begin <= t <= end and not op.startswith("Logs_")]
    delivered = missing = duplicated = disordered = 0
    for job, expected in report["lines"].items():
        seen = result["lines"].get(job, [])
        delivered += len(set(seen))
        missing += len(set(range(expected)) - set(seen))
        duplicated += len(seen) - len(set(seen))
        disordered += sum(1 for a, b in itertools.pairwise(seen) if b < a)
    # calls per interval while every job runs, from the first Logs call on (per-job polling may
    # spend the first half of the lead building its clients)
    first = min((t for t, _ in logs_calls), default=steady[1])
    running = [t for t, _ in logs_calls if first <= t < steady[1]]
    running_intervals = (steady[1] - first) / args.interval
    by_operation: dict[str, int] = {}
    for t, op in logs_calls:
        if steady[0] <= t < steady[1]:
            by_operation[op.split(".")[1]] = by_operation.get(op.split(".")[1], 0) + 1
    return {
        "impl": impl,
        "n": n,
        "logs_steady": sum(1 for t, _ in logs_calls if steady[0] <= t < steady[1]) / steady_intervals,
        "logs_steady_by_op": {op: round(c / steady_intervals, 1) for op, c in sorted(by_operation.items())},
        "logs_running": len(running) / running_intervals if running_intervals > 0 else float("nan"),
        "logs_nominal": 2 * n if impl == "per-job" else float("nan"),
        "logs_whole": len(logs_calls) / intervals,
        "logs_total": len(logs_calls),
        "sagemaker_whole": len(sm_calls) / intervals,
        "lag_s": result["lag"],
        "lag_p99_s": result["lag_p99"],
        "lag_outside_gc_s": result["lag_outside_gc"],
        "rss_mb": rss,
        "expected": sum(report["lines"].values()),
        "delivered": delivered,
        "missing": missing,
        "duplicated": duplicated,
        "disordered": disordered,
        "events": len(result["events"]),
        "worst_lags": result["worst_lags"],
        "gc_pauses": result["gc_pauses"],
    }


ROWS = [
    ("Logs API calls per interval, asked for (per-job: 2 per job)", "logs_nominal", "{:.0f}"),
    ("Logs API calls per interval, steady (second half of the lead)", "logs_steady", "{:.1f}"),
    ("Logs API calls per interval, first Logs call to first completion", "logs_running", "{:.1f}"),
    ("Logs API calls per interval, whole run", "logs_whole", "{:.1f}"),
    ("Logs API calls, total", "logs_total", "{:d}"),
    ("SageMaker API calls per interval, whole run", "sagemaker_whole", "{:.1f}"),
    ("max event-loop lag (s)", "lag_s", "{:.3f}"),
    ("event-loop lag p99 (s)", "lag_p99_s", "{:.3f}"),
    ("max event-loop lag outside garbage collection (s)", "lag_outside_gc_s", "{:.3f}"),
    ("peak RSS above baseline (MB)", "rss_mb", "{:.1f}"),
    ("lines printed by the jobs", "expected", "{:d}"),
    ("lines delivered (distinct)", "delivered", "{:d}"),
    ("lines missing / duplicated / out of order", None, ""),
    ("events", "events", "{:d}"),
]


def table(results: list[dict[str, Any]], interval: float) -> str:
    sizes = sorted({r["n"] for r in results})
    by = {(r["impl"], r["n"]): r for r in results}
    head = "| metric | " + " | ".join(f"N={n} per-job | N={n} ours | ours/per-job" for n in sizes) + " |"
    lines = [f"Poll interval {interval:g} s; each job prints a line a second.", "", head]
    lines.append("|" + "---|" * (1 + 3 * len(sizes)))
    for label, key, fmt in ROWS:
        cells = []
        for n in sizes:
            base, ours = by.get(("per-job", n)), by.get(("ours", n))
            for r in (base, ours):
                if r is None:
                    cells.append("-")
                elif key is None:
                    cells.append(f"{r['missing']} / {r['duplicated']} / {r['disordered']}")
                else:
                    cells.append(fmt.format(r[key]))
            ratio = "-"
            if key and base and ours and base[key] and base[key] == base[key] and ours[key] == ours[key]:
                ratio = f"{ours[key] / base[key]:.3f}"
            cells.append(ratio)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for r in results:
        lines.append(
            f"\n{r['impl']} N={r['n']}: steady Logs calls per interval by operation "
            f"{r['logs_steady_by_op']}; worst loop lags (s, at s): {r['worst_lags']}; "
            f"garbage collections over 50 ms (s, at s, generation): {r['gc_pauses']}"
        )
    return "\n".join(lines)


def targets(results: list[dict[str, Any]]) -> str:
    by = {(r["impl"], r["n"]): r for r in results}
    base, ours = by.get(("per-job", 1000)), by.get(("ours", 1000))
    if not (base and ours):
        return "(targets are judged at N=1000)"
    achieved = max(base["logs_steady"], base["logs_running"])
    checks = [
        (
            "Logs API calls per interval, steady, <= 1/20 of what per-job polling asks for",
            ours["logs_steady"] <= base["logs_nominal"] / 20,
            f"{ours['logs_steady']:.1f} vs {base['logs_nominal']:.0f}, ratio "
            f"{ours['logs_steady'] / base['logs_nominal']:.3f}",
        ),
        ("max event-loop lag < 0.25 s", ours["lag_s"] < 0.25, f"{ours['lag_s']:.3f} s"),
        (
            "max event-loop lag outside garbage collection < 0.25 s",
            ours["lag_outside_gc_s"] < 0.25,
            f"{ours['lag_outside_gc_s']:.3f} s; collections over 50 ms: {ours['gc_pauses']}",
        ),
        (
            "every line delivered exactly once, in order",
            ours["missing"] == ours["duplicated"] == ours["disordered"] == 0,
            f"{ours['delivered']} of {ours['expected']} lines",
        ),
    ]
    lines = [f"- {'MET' if ok else 'NOT MET'}: {label} ({detail})" for label, ok, detail in checks]
    lines.append(
        f"- note: per-job polling achieved only {achieved:.1f} of its {base['logs_nominal']:.0f} calls per "
        f"interval (its loop lagged up to {base['lag_s']:.1f} s); ours made {ours['logs_steady']:.1f}, "
        f"{ours['logs_steady'] / achieved:.3f} of that"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--interval", type=float, default=5.0, help="poll interval, seconds")
    parser.add_argument("--lead", type=float, default=12.0, help="intervals every job stays InProgress")
    parser.add_argument("--spread", type=float, default=2.0, help="intervals over which jobs complete")
    parser.add_argument("--only", choices=IMPLEMENTATIONS)
    parser.add_argument("--json", help="also write the raw results here")
    parser.add_argument("--report", help="print the table of results saved earlier with --json, run nothing")
    parser.add_argument("--child", choices=IMPLEMENTATIONS, help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--deadline", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.report:
        saved = json.loads(Path(args.report).read_text())
        print(table(saved, args.interval))
        print()
        print(targets(saved))
        return
    stub = subprocess.Popen(
        [sys.executable, str(HERE / "sagemaker_stub.py")], stdout=subprocess.PIPE, text=True
    )
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
    print(targets(results))


if __name__ == "__main__":
    main()
