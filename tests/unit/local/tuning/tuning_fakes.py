"""A fake TrainingService, request builders and helpers for the tuning engine's unit tests.

The fake "runs" a training job in a thread: it computes one objective value per epoch from the
hyperparameters (a function the test gives), emits them ``epoch_seconds`` apart, and ends
Completed with the last value as the final metric, Failed if the function raises, or Stopped
when stopped. It records the peak number of jobs running at once.
"""

from __future__ import annotations

import datetime as dt
import math
import pathlib
import threading
import time
from collections.abc import Callable
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from airflow_sm_provider.local.errors import ValidationError
from airflow_sm_provider.local.tuning import TuningService

Objective = Callable[[dict[str, str]], list[float]]


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def quadratic(hps: dict[str, str]) -> list[float]:
    """loss = (x - 3)^2 + (log10(lr) + 2)^2, three epochs converging to it."""
    loss = (float(hps["x"]) - 3) ** 2 + (math.log10(float(hps["lr"])) + 2) ** 2
    return [loss + 2.0, loss + 1.0, loss]


class FakeJob:
    def __init__(self, request: dict[str, Any]) -> None:
        self.request = request
        self.status = "InProgress"
        self.values: list[float] = []
        self.created = now()
        self.started: dt.datetime | None = None
        self.ended: dt.datetime | None = None
        self.failure: str | None = None
        self.stop = threading.Event()


class FakeTraining:
    """The part of the backend's TrainingService the tuning engine uses."""

    region = "us-east-1"
    account_id = "000000000000"

    def __init__(self, objective: Objective = quadratic, epoch_seconds: float = 0.002) -> None:
        self.objective = objective
        self.epoch_seconds = epoch_seconds
        self.jobs: dict[str, FakeJob] = {}
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.tuning_arns: dict[str, str | None] = {}
        self.hold = threading.Event()  # while set, jobs do not finish (restart tests)
        self.ignore_stops = False  # while True, StopTrainingJob is accepted but has no effect
        self.fail_with: str | None = None  # every job fails with this reason

    def check_local_limits(self, request: dict[str, Any]) -> None:
        pass

    def create_training_job(self, request: dict[str, Any], *, tuning_job_arn: str | None = None) -> str:
        name = request["TrainingJobName"]
        with self.lock:
            if name in self.jobs:
                raise ValidationError("duplicate")
            job = self.jobs[name] = FakeJob(request)
            self.tuning_arns[name] = tuning_job_arn
        threading.Thread(target=self._run, args=(job,), daemon=True).start()
        return self.arn_of(name)

    @staticmethod
    def arn_of(name: str) -> str:
        return f"arn:aws:sagemaker:us-east-1:000000000000:training-job/{name}"

    def _run(self, job: FakeJob) -> None:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            job.started = now()
        try:
            if self.fail_with:
                job.failure = self.fail_with
                self._end(job, "Failed")
                return
            try:
                values = self.objective(job.request["HyperParameters"])
            except Exception as err:  # noqa: BLE001 (any error of the objective fails the job)
                job.failure = f"AlgorithmError: {err}"
                self._end(job, "Failed")
                return
            for value in values:
                if job.stop.wait(self.epoch_seconds):
                    self._end(job, "Stopped")
                    return
                job.values.append(value)
            while self.hold.is_set():
                if job.stop.wait(0.01):
                    self._end(job, "Stopped")
                    return
            self._end(job, "Completed")
        finally:
            with self.lock:
                self.running -= 1
                job.ended = now()

    def _end(self, job: FakeJob, status: str) -> None:
        with self.lock:
            if job.status == "InProgress":  # fail_unfinished() may have ended it already
                job.status = status

    def describe_training_job(self, name: str) -> dict[str, Any]:
        job = self.jobs.get(name)
        if job is None:
            raise ValidationError("Requested resource not found.")
        out: dict[str, Any] = {
            "TrainingJobName": name,
            "TrainingJobStatus": job.status,
            "CreationTime": job.created,
        }
        if job.started:
            out["TrainingStartTime"] = job.started
        if job.status != "InProgress" and job.ended:
            out["TrainingEndTime"] = job.ended
        if job.failure:
            out["FailureReason"] = job.failure
        if job.status == "Completed" and job.values:
            out["FinalMetricDataList"] = [{"MetricName": "loss", "Value": job.values[-1], "Timestamp": now()}]
        return out

    def stop_training_job(self, name: str) -> None:
        job = self.jobs[name]
        if job.status != "InProgress":
            raise ValidationError(
                f"The request was rejected because the training job is in status {job.status}."
            )
        if not self.ignore_stops:
            job.stop.set()

    def wait_training_job(self, name: str, timeout: float | None) -> bool:
        job = self.jobs[name]
        deadline = time.monotonic() + (timeout or 0)
        while job.status == "InProgress" and (timeout is None or time.monotonic() < deadline):
            time.sleep(0.005)
        return job.status != "InProgress"

    def intermediate_metrics(self, name: str, metric_name: str) -> list[float]:
        return list(self.jobs[name].values)

    def fail_unfinished(self) -> None:
        """What the real backend does to jobs that were running when it died."""
        with self.lock:
            for job in self.jobs.values():
                if job.status == "InProgress":
                    job.status = "Failed"
                    job.failure = "InternalServerError: the local backend restarted"
                    job.stop.set()


class FakeStore:
    def __init__(self, home: pathlib.Path) -> None:
        self.path = home / "state.db"
        self.tags: dict[str, list[dict[str, str]]] = {}

    def put_tags(self, arn: str, tags: list[dict[str, str]]) -> None:
        self.tags.setdefault(arn, []).extend(tags)

    def get_tags(self, arn: str) -> list[dict[str, str]]:
        return self.tags.get(arn, [])


def definition(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "AlgorithmSpecification": {
            "TrainingImage": "local/python",
            "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "loss", "Regex": "loss=([0-9.eE+-]+)"}],
        },
        "RoleArn": "arn:aws:iam::000000000000:role/local",
        "OutputDataConfig": {"S3OutputPath": "file:///tmp/out"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 60},
        "StaticHyperParameters": {"epochs": "3"},
    }
    base.update(overrides)
    return base


RANGES = {
    "IntegerParameterRanges": [{"Name": "x", "MinValue": "0", "MaxValue": "6"}],
    "ContinuousParameterRanges": [
        {"Name": "lr", "MinValue": "0.0001", "MaxValue": "1", "ScalingType": "Logarithmic"}
    ],
}


def tuning_request(
    name: str = "tune",
    *,
    strategy: str = "Bayesian",
    max_jobs: int | None = 12,
    parallel: int = 2,
    ranges: dict[str, Any] | None = None,
    **config: Any,
) -> dict[str, Any]:
    limits: dict[str, Any] = {"MaxParallelTrainingJobs": parallel}
    if max_jobs is not None:
        limits["MaxNumberOfTrainingJobs"] = max_jobs
    job_config: dict[str, Any] = {
        "Strategy": strategy,
        "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
        "ResourceLimits": limits,
        "ParameterRanges": RANGES if ranges is None else ranges,
    }
    job_config.update(config)
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": job_config,
        "TrainingJobDefinition": definition(),
    }


_MODEL = botocore.session.get_session().get_service_model("sagemaker")


def assert_valid(operation: str, payload: dict[str, Any], *, output: bool = True) -> None:
    """The payload validates against botocore's output (or input) shape of ``operation``."""
    model = _MODEL.operation_model(operation)
    shape = model.output_shape if output else model.input_shape
    report = ParamValidator().validate(payload, shape)
    assert not report.has_errors(), report.generate_report()


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.01)
    raise AssertionError("condition not met before the deadline")


@pytest.fixture
def fake() -> FakeTraining:
    return FakeTraining()


@pytest.fixture
def service_factory(tmp_path: pathlib.Path):
    services: list[TuningService] = []

    def make(training: FakeTraining) -> TuningService:
        service = TuningService(FakeStore(tmp_path), training, poll_interval=0.01)
        services.append(service)
        service.recover()
        return service

    yield make
    for service in services:
        service.close()


@pytest.fixture
def service(service_factory, fake) -> TuningService:
    return service_factory(fake)


def finished(service: TuningService, name: str, timeout: float = 30.0) -> dict[str, Any]:
    """Poll Describe (with a deadline) until the job ended; return the final description."""
    return wait_until(
        lambda: (
            (d := service.describe(name))["HyperParameterTuningJobStatus"]
            in ("Completed", "Failed", "Stopped")
            and d
        ),
        timeout,
    )
