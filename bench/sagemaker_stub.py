"""A stub SageMaker for bench/triggerer_scale.py: AWS JSON 1.1, training jobs on a timetable.

Run as its own process (``python bench/sagemaker_stub.py``; it prints ``port N``) so that its
CPU and memory never mix with the triggerer being measured. It answers DescribeTrainingJob,
ListTrainingJobs (``LastModifiedTimeAfter``, ``StatusEquals``, ``SortOrder``, ``NextToken``)
and StopTrainingJob for jobs whose status follows a timetable set by ``POST /_bench/reset``:
InProgress until ``complete_at``, then Completed (or Failed for every ``fail_every``-th job).
``GET /_bench/report`` returns every API call's time and operation, and each job's
``complete_at``, so the benchmark can count calls per interval and completion-to-event delays.
"""

from __future__ import annotations

import asyncio
import json
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


def make_app(stub: Stub) -> web.Application:
    operations = {
        "DescribeTrainingJob": stub.describe,
        "ListTrainingJobs": stub.list,
        "StopTrainingJob": stub.stop,
    }

    async def api(request: web.Request) -> web.Response:
        operation = request.headers.get("X-Amz-Target", "").removeprefix("SageMaker.")
        now = time.time()
        params = json.loads(await request.read() or b"{}")
        stub.calls.append((now, operation, params.get("TrainingJobName")))
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
            }
        )

    app = web.Application(client_max_size=1 << 20)
    app.router.add_post("/", api)
    app.router.add_post("/_bench/reset", reset)
    app.router.add_get("/_bench/report", report)
    return app


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
