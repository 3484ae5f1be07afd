"""An in-memory stand-in for an aiobotocore SageMaker client, for the poller's tests.

It keeps job statuses, answers Describe / List (with ``LastModifiedTimeAfter``,
``StatusEquals``, sorting and ``NextToken`` pages) / Stop for training and tuning jobs, counts
every call by operation, stamps responses with a ``Date`` header like the service, and can be
told to refuse an operation.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from botocore.exceptions import ClientError

from tests.unit.sample_requests import training_description, tuning_description

STATUS_KEY = {"training": "TrainingJobStatus", "tuning": "HyperParameterTuningJobStatus"}
NAME_KEY = {"training": "TrainingJobName", "tuning": "HyperParameterTuningJobName"}
LIST_KEY = {"training": "TrainingJobSummaries", "tuning": "HyperParameterTuningJobSummaries"}


class FakeSageMaker:
    def __init__(self) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.calls: Counter[str] = Counter()
        self.stopped: list[str] = []
        self.refuse: dict[str, str] = {}  # operation -> error code
        self.closed = False
        self.clock_skew = timedelta(0)  # the service's clock minus ours

    def now(self) -> datetime:
        return datetime.now(UTC) + self.clock_skew

    # -- test controls -----------------------------------------------------------------------
    def add(self, kind: str, name: str, status: str = "InProgress") -> None:
        self.jobs[name] = {"kind": kind, "status": status, "modified": self.now()}

    def set_status(self, name: str, status: str) -> None:
        self.jobs[name].update(status=status, modified=self.now())

    def total_calls(self) -> int:
        return sum(self.calls.values())

    # -- the client's interface ----------------------------------------------------------------
    def __getattr__(self, method: str) -> Any:
        verb, _, rest = method.partition("_")
        kind = "tuning" if "hyper_parameter_tuning" in rest else "training"
        if verb not in ("describe", "list", "stop"):
            raise AttributeError(method)

        async def call(**kwargs: Any) -> dict[str, Any]:
            self.calls[method] += 1
            await asyncio.sleep(0)  # a real call always yields to the loop
            if method in self.refuse:
                raise ClientError(
                    {
                        "Error": {"Code": self.refuse[method], "Message": "refused"},
                        "ResponseMetadata": {"HTTPStatusCode": 400},
                    },
                    method,
                )
            response = getattr(self, f"_{verb}")(kind, **kwargs)
            response["ResponseMetadata"] = {
                "HTTPStatusCode": 200,
                "HTTPHeaders": {"date": format_datetime(self.now(), usegmt=True)},
            }
            return response

        return call

    def _job(self, kind: str, name: str) -> dict[str, Any]:
        job = self.jobs.get(name)
        if job is None or job["kind"] != kind:
            error = {"Code": "ValidationException", "Message": "Requested resource not found"}
            raise ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}, "Describe")
        return job

    def _describe(self, kind: str, **kwargs: Any) -> dict[str, Any]:
        name = kwargs[NAME_KEY[kind]]
        job = self._job(kind, name)
        make = training_description if kind == "training" else tuning_description
        return make(name, job["status"], LastModifiedTime=job["modified"])

    def _summary(self, kind: str, name: str, job: dict[str, Any]) -> dict[str, Any]:
        summary = {
            NAME_KEY[kind]: name,
            STATUS_KEY[kind]: job["status"],
            "LastModifiedTime": job["modified"],
            "CreationTime": job["modified"],
        }
        if kind == "training":
            summary["SecondaryStatus"] = {"InProgress": "Training"}.get(job["status"], job["status"])
        return summary

    def _list(self, kind: str, **kwargs: Any) -> dict[str, Any]:
        after = kwargs.get("LastModifiedTimeAfter")
        status = kwargs.get("StatusEquals")
        names = [
            name
            for name, job in self.jobs.items()
            if job["kind"] == kind
            and (after is None or job["modified"] > after)
            and (status is None or job["status"] == status)
        ]
        if kwargs.get("SortOrder") == "Descending":
            names.reverse()
        start = int(kwargs.get("NextToken") or 0)
        size = kwargs.get("MaxResults") or 10
        page = names[start : start + size]
        response: dict[str, Any] = {LIST_KEY[kind]: [self._summary(kind, n, self.jobs[n]) for n in page]}
        if start + size < len(names):
            response["NextToken"] = str(start + size)
        return response

    def _stop(self, kind: str, **kwargs: Any) -> dict[str, Any]:
        name = kwargs[NAME_KEY[kind]]
        self._job(kind, name)
        self.stopped.append(name)
        self.set_status(name, "Stopping")
        return {}
