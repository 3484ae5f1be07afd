"""A stub SageMaker + CloudWatch Logs for the benchmarks: AWS JSON 1.1, jobs on a timetable.

Run as its own process (``python bench/sagemaker_stub.py``; it prints ``port N``) so that its
CPU and memory never mix with the triggerer being measured. It answers DescribeTrainingJob,
ListTrainingJobs (``LastModifiedTimeAfter``, ``StatusEquals``, ``SortOrder``, ``NextToken``)
and StopTrainingJob for jobs whose status follows a timetable set by ``POST /_bench/reset``:
InProgress until ``complete_at``, then Completed (or Failed for every ``fail_every``-th job).
``GET /_bench/report`` returns every API call's time and operation, and each job's
``complete_at``, so the benchmark can count calls per interval and completion-to-event delays.

With ``log_period`` in the timetable (bench/log_streaming.py) each job also prints a line every
``log_period`` seconds into its stream ``<job>/algo-1-<epoch>`` of log group
``/aws/sagemaker/TrainingJobs``, until ``log_quiet`` seconds before it completes (the upload
phase). An event becomes readable ``ingest`` seconds after its timestamp (0 to 2 s, fixed per
stream), as CloudWatch's ingestion delays it. Served on the same port (``X-Amz-Target:
Logs_20140328.<Operation>``): DescribeLogStreams (prefix, ``orderBy=LastEventTime``,
``descending``, ``limit``, ``nextToken``), GetLogEvents (``startTime``, ``startFromHead``,
``f/<n>`` tokens; nothing new gives the same ``nextForwardToken``, as for SageMaker's streams)
and FilterLogEvents (up to 100 ``logStreamNames`` or a prefix, ``startTime``, interleaved by
time, 10,000 events a page). Events are computed from the timetable, so memory stays flat.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import math
import random
import sys
import time
from typing import Any

from aiohttp import web

CONTENT_TYPE = "application/x-amz-json-1.1"
ACCOUNT = "123456789012"


class Stub:
    def __init__(self) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        self.calls: list[tuple[float, str, str | None]] = []
        self.logs: Logs | None = None

    def reset(self, spec: dict[str, Any]) -> None:
        rng = random.Random(spec.get("seed", 0))
        start, lead, spread = spec["start"], spec["lead"], spec["spread"]
        fail_every = spec.get("fail_every") or 0
        self.jobs, self.order, self.calls = {}, [], []
        for i in range(spec["n"]):
            name = f"{spec['prefix']}-{i:05d}"
            self.jobs[name] = {
                "created": start - 60.0,
                "complete_at": start + lead + rng.uniform(0, spread),
                "final": "Failed" if fail_every and i % fail_every == fail_every - 1 else "Completed",
                "stopped_at": None,
            }
            self.order.append(name)
        self.logs = Logs(self, spec, rng) if spec.get("log_period") else None

    def status(self, job: dict[str, Any], now: float) -> tuple[str, float]:
        if job["stopped_at"] is not None:
            return "Stopped", job["stopped_at"]
        if now < job["complete_at"]:
            return "InProgress", job["created"]
        return job["final"], job["complete_at"]

    def summary(self, name: str, now: float) -> dict[str, Any]:
        job = self.jobs[name]
        status, modified = self.status(job, now)
        return {
            "TrainingJobName": name,
            "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/{name}",
            "CreationTime": job["created"],
            "LastModifiedTime": modified,
            "TrainingJobStatus": status,
            "SecondaryStatus": {"InProgress": "Training"}.get(status, status),
        }

    def describe(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        name = params["TrainingJobName"]
        if name not in self.jobs:
            raise KeyError(name)
        out = self.summary(name, now)
        out.update(
            AlgorithmSpecification={"TrainingImage": "bench:latest", "TrainingInputMode": "File"},
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/bench",
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            StoppingCondition={"MaxRuntimeInSeconds": 86400},
            HyperParameters={"epochs": "3"},
            ModelArtifacts={"S3ModelArtifacts": f"s3://bench/{name}/model.tar.gz"},
        )
        if out["TrainingJobStatus"] == "Failed":
            out["FailureReason"] = "AlgorithmError: the bench says so"
        return out

    def list(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        after = params.get("LastModifiedTimeAfter")
        status = params.get("StatusEquals")
        names = []
        for name in self.order:
            current, modified = self.status(self.jobs[name], now)
            if (after is None or modified > float(after)) and (status is None or current == status):
                names.append(name)
        if params.get("SortOrder") == "Descending":
            names.reverse()
        start = int(params.get("NextToken") or 0)
        size = min(int(params.get("MaxResults") or 10), 100)
        page = {"TrainingJobSummaries": [self.summary(n, now) for n in names[start : start + size]]}
        if start + size < len(names):
            page["NextToken"] = str(start + size)
        return page

    def stop(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        self.jobs[params["TrainingJobName"]]["stopped_at"] = now
        return {}


LOGS_TARGET = "Logs_20140328"
LOGS_OPERATIONS = {
    "DescribeLogStreams": "describe_streams",
    "GetLogEvents": "get_events",
    "FilterLogEvents": "filter_events",
}
LOG_GROUP = "/aws/sagemaker/TrainingJobs"
PAGE_EVENTS = 10_000


class Logs:
    """Each job's output as a function of time: line ``k`` of job ``j`` at ``first[j] + k * period``."""

    def __init__(self, stub: Stub, spec: dict[str, Any], rng: random.Random) -> None:
        self.stub = stub
        self.period = float(spec["log_period"])
        quiet = float(spec.get("log_quiet", 3.0))
        self.streams: dict[str, dict[str, Any]] = {}
        for index, name in enumerate(stub.order):
            job = stub.jobs[name]
            first = spec["start"] + rng.uniform(0, self.period)
            stream = f"{name}/algo-1-{int(job['created'])}"
            last = max(-1, math.floor((job["complete_at"] - quiet - first) / self.period))
            self.streams[stream] = {
                "job": name,
                "index": index,
                "first": first,
                "last": last,
                "ingest": rng.uniform(0.0, 2.0),
            }
        self.names = sorted(self.streams)

    def expected(self) -> dict[str, int]:
        """Lines each job prints in all (``line 0`` .. ``line n-1``)."""
        return {s["job"]: s["last"] + 1 for s in self.streams.values()}

    # -- one stream's events -----------------------------------------------------------------
    def _visible(self, stream: dict[str, Any], now: float) -> int:
        """Index of the last line readable at ``now`` (-1: none yet)."""
        readable = math.floor((now - stream["ingest"] - stream["first"]) / self.period)
        return min(stream["last"], readable)

    def _from(self, stream: dict[str, Any], start_ms: int) -> int:
        return max(0, math.ceil((start_ms / 1000 - stream["first"]) / self.period - 1e-9))

    def _event(self, name: str, stream: dict[str, Any], k: int) -> dict[str, Any]:
        stamp = int((stream["first"] + k * self.period) * 1000)
        event = {"timestamp": stamp, "message": f"line {k} of {stream['job']}\n", "ingestionTime": stamp}
        event["eventId"] = f"{k:09d}{stream['index']:06d}"
        if name:
            event["logStreamName"] = name
        return event

    # -- the operations ------------------------------------------------------------------------
    def describe_streams(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        prefix = params.get("logStreamNamePrefix") or ""
        names = self.names[bisect.bisect_left(self.names, prefix) :] if prefix else list(self.names)
        if prefix:
            names = [n for n in names[:50] if n.startswith(prefix)]  # sorted: matches come first
        # a token keeps the first page's moment, so that the pages of one listing never reorder
        token = params.get("nextToken")
        at, start = (float(token.split(":")[0]), int(token.split(":")[1])) if token else (now, 0)
        described = []
        for name in names:
            stream = self.streams[name]
            item = {
                "logStreamName": name,
                "creationTime": int(self.stub.jobs[stream["job"]]["created"] * 1000),
            }
            if (k := self._visible(stream, at)) >= 0:
                item["lastEventTimestamp"] = int((stream["first"] + k * self.period) * 1000)
            described.append(item)
        if params.get("orderBy") == "LastEventTime":
            described.sort(
                key=lambda d: d.get("lastEventTimestamp", 0), reverse=bool(params.get("descending"))
            )
        size = min(int(params.get("limit") or 50), 50)
        page: dict[str, Any] = {"logStreams": described[start : start + size]}
        if start + size < len(described):
            page["nextToken"] = f"{at}:{start + size}"
        return page

    def get_events(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        name = params["logStreamName"]
        stream = self.streams[name]
        token = params.get("nextToken")
        k = int(token[2:]) if token else self._from(stream, int(params.get("startTime") or 0))
        limit = min(int(params.get("limit") or PAGE_EVENTS), PAGE_EVENTS)
        end = min(self._visible(stream, now), k + limit - 1)
        events = [self._event("", stream, i) for i in range(k, end + 1)]
        following = max(k, end + 1)
        return {"events": events, "nextForwardToken": f"f/{following}", "nextBackwardToken": f"b/{k}"}

    def filter_events(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        names = params.get("logStreamNames")
        if names is None:
            prefix = params.get("logStreamNamePrefix") or ""
            names = [n for n in self.names if n.startswith(prefix)]
        if len(names) > 100:
            raise KeyError("at most 100 logStreamNames")
        token = params.get("nextToken")
        # a token freezes the read's end and counts the events already returned
        until, skip = (float(token.split(":")[0]), int(token.split(":")[1])) if token else (now, 0)
        start_ms = int(params.get("startTime") or 0)
        events = []
        for name in names:
            stream = self.streams[name]
            events.extend(
                self._event(name, stream, k)
                for k in range(self._from(stream, start_ms), self._visible(stream, until) + 1)
            )
        events.sort(key=lambda e: (e["timestamp"], e["eventId"]))
        page: dict[str, Any] = {"events": events[skip : skip + PAGE_EVENTS], "searchedLogStreams": []}
        if skip + PAGE_EVENTS < len(events):
            page["nextToken"] = f"{until}:{skip + PAGE_EVENTS}"
        return page


def make_app(stub: Stub) -> web.Application:
    operations = {
        "DescribeTrainingJob": stub.describe,
        "ListTrainingJobs": stub.list,
        "StopTrainingJob": stub.stop,
    }

    async def api(request: web.Request) -> web.Response:
        target = request.headers.get("X-Amz-Target", "")
        service, _, operation = target.rpartition(".")
        now = time.time()
        params = json.loads(await request.read() or b"{}")
        stub.calls.append((now, target.replace("SageMaker.", ""), params.get("TrainingJobName")))
        if service == LOGS_TARGET:
            return _logs_api(stub, operation, params, now)
        handler = operations.get(operation)
        if handler is None:
            return _error(400, "UnknownOperationException", f"{operation} is not stubbed")
        try:
            body = handler(params, now)
        except KeyError as err:
            return _error(400, "ValidationException", f"Requested resource not found: {err}")
        return web.Response(body=json.dumps(body).encode(), content_type=CONTENT_TYPE)

    async def reset(request: web.Request) -> web.Response:
        stub.reset(await request.json())
        return web.json_response({"jobs": len(stub.jobs)})

    async def report(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "calls": stub.calls,
                "complete_at": {name: job["complete_at"] for name, job in stub.jobs.items()},
                "final": {name: job["final"] for name, job in stub.jobs.items()},
                "lines": stub.logs.expected() if stub.logs else {},
            }
        )

    app = web.Application(client_max_size=1 << 20)
    app.router.add_post("/", api)
    app.router.add_post("/_bench/reset", reset)
    app.router.add_get("/_bench/report", report)
    return app


def _logs_api(stub: Stub, operation: str, params: dict[str, Any], now: float) -> web.Response:
    handler = getattr(stub.logs, LOGS_OPERATIONS.get(operation, ""), None)
    if handler is None:
        return _error(400, "UnknownOperationException", f"{operation} is not stubbed")
    try:
        body = handler(params, now)
    except KeyError as err:
        return _error(400, "ResourceNotFoundException", f"The specified log stream does not exist: {err}")
    return web.Response(body=json.dumps(body).encode(), content_type=CONTENT_TYPE)


def _error(status: int, code: str, message: str) -> web.Response:
    body = json.dumps({"__type": code, "message": message}).encode()
    return web.Response(status=status, body=body, content_type=CONTENT_TYPE)


async def serve(port: int) -> None:
    runner = web.AppRunner(make_app(Stub()), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=4096)
    await site.start()
    bound = runner.addresses[0][1]
    print(f"port {bound}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
