"""Shared machinery of the fault-injection suite: backend processes, counts, scans.

Every scenario records its counts (faults injected, task failures, jobs created, jobs lost,
jobs stopped, orphan processes, secrets found in logs, attacks accepted) as one JSON file in the report
directory; ``conftest.py`` prints them as one table at the end of the run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import boto3
import psutil

from airflow_sm_provider.local import credentials

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
REPORT_ENV = "SM_CHAOS_REPORT_DIR"
COLUMNS = (
    "faults_injected",
    "task_failures",
    "jobs_created",
    "jobs_lost",
    "jobs_stopped",
    "orphan_processes",
    "secrets_in_logs",
    "attacks_accepted",
)


@dataclass
class Counts:
    """One scenario's line in the table."""

    scenario: str
    faults_injected: int = 0
    task_failures: int = 0
    jobs_created: int = 0
    jobs_lost: int = 0
    jobs_stopped: int = 0
    orphan_processes: int = 0
    secrets_in_logs: int = 0
    attacks_accepted: int = 0
    notes: list[str] = field(default_factory=list)

    def save(self) -> None:
        directory = Path(os.environ.get(REPORT_ENV) or Path.cwd() / "artifacts" / "chaos")
        directory.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.scenario)
        (directory / f"{safe}.json").write_text(json.dumps(asdict(self)))


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value {value!r})")
        time.sleep(interval)


class Backend:
    """``python -m airflow_sm_provider.local serve`` as a process of its own (it can be killed).

    :param home: the backend's home (kept across restarts).
    :param port: the port to bind; 0 the first time, then the same one so clients keep working.
    """

    def __init__(self, home: Path, port: int = 0, allowed_hosts: Iterable[str] = ()) -> None:
        self.home = home
        self.port = port
        self.allowed_hosts = tuple(allowed_hosts)
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> Backend:
        argv = [sys.executable, "-m", "airflow_sm_provider.local", "serve", "--port", str(self.port)]
        argv += ["--home", str(self.home), "--stop-grace", "1", "--log-level", "INFO"]
        for host in self.allowed_hosts:
            argv += ["--allowed-host", host]
        log = open(self.home.parent / f"{self.home.name}-backend.log", "a")
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True
        )
        log.close()
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.proc.kill()
            raise AssertionError(f"backend did not start: {self.url!r}")
        self.port = int(self.url.rsplit(":", 1)[1])
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 30) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def client(self, service: str = "sagemaker", endpoint: str | None = None) -> Any:
        keys = credentials.for_home(self.home)
        return boto3.client(
            service,
            endpoint_url=endpoint or self.url,
            region_name="us-east-1",
            aws_access_key_id=keys.access_key_id,
            aws_secret_access_key=keys.secret_access_key,
        )


def processes_of(root: Path, exclude: Iterable[int] = ()) -> list[psutil.Process]:
    """Live processes whose working directory, command line or environment names ``root``.

    Names in the environment are only one of the three: a job can override its own variables,
    but its working directory and arguments point into its job directory.
    """
    needle = str(root)
    skip = set(exclude) | {os.getpid()}
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "cwd", "status"]):
        try:
            if proc.pid in skip or proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            cmdline = " ".join(proc.info["cmdline"] or [])
            cwd = proc.info["cwd"] or ""
            if needle in cmdline and "airflow_sm_provider.local" in cmdline and " serve " in f"{cmdline} ":
                continue  # a backend, not a job
            if needle in cwd or needle in cmdline:
                found.append(proc)
                continue
            environ = Path(f"/proc/{proc.pid}/environ").read_bytes()
            if needle.encode() in environ:
                found.append(proc)
        except (psutil.Error, OSError):
            continue
    return found


def count_orphans(root: Path, settle: float = 5.0, exclude: Iterable[int] = ()) -> int:
    """How many processes of ``root`` are still alive once ``settle`` seconds have passed; the
    survivors are killed, so no test leaves one behind."""
    deadline = time.monotonic() + settle
    alive = processes_of(root, exclude)
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = processes_of(root, exclude)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            pass
    return len(alive)


def count_secrets(texts: Iterable[str], secrets: Iterable[str]) -> int:
    secrets = [s for s in secrets if s]
    return sum(text.count(secret) for text in texts for secret in secrets)


def read_logs(root: Path, suffixes: tuple[str, ...] = (".log", ".txt", ".jsonl")) -> list[str]:
    """Every log file under ``root`` (the backend's log, each job's output)."""
    return [
        path.read_text(errors="replace")
        for path in root.rglob("*")
        if path.is_file() and path.suffix in suffixes
    ]


def training_jobs(client: Any) -> list[dict[str, Any]]:
    return list(
        summary
        for page in client.get_paginator("list_training_jobs").paginate()
        for summary in page["TrainingJobSummaries"]
    )


def tuning_jobs(client: Any) -> list[dict[str, Any]]:
    return list(
        summary
        for page in client.get_paginator("list_hyper_parameter_tuning_jobs").paginate()
        for summary in page["HyperParameterTuningJobSummaries"]
    )
