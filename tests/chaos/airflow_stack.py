"""A real Airflow for one test: each component (``airflow api-server``, ``scheduler``,
``dag-processor``, ``triggerer``...) a process of the test's own, in a process group of its own,
so one can be SIGKILLed with everything it forked, and :meth:`AirflowStack.stop` leaves nothing.

The same layout as ``scripts/airflow_standalone.sh`` (LocalExecutor, SimpleAuthManager,
127.0.0.1 only), on whatever metadata database the caller names, with none of the test
session's own ``AIRFLOW*`` settings.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx
import psutil

from tests.chaos.pgserver import free_port

ROOT = Path(__file__).resolve().parents[2]
STOP_GRACE = 5.0


class AirflowStack:
    """The environment and processes of one Airflow.

    :param root: where its home, logs and state go.
    :param database_url: ``[database] sql_alchemy_conn``.
    :param dags_folder: the DAGs it parses.
    :param settings: more environment (``AIRFLOW__SECTION__KEY``, ``AIRFLOW_CONN_*``, ...).
    """

    def __init__(self, root: Path, database_url: str, dags_folder: Path, settings: Mapping[str, str]) -> None:
        self.root = root
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._family: dict[str, list[psutil.Process]] = {}
        env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
        env.update(
            {
                "AIRFLOW_HOME": str(root / "home"),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database_url,
                "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
                "AIRFLOW__CORE__AUTH_MANAGER": (
                    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
                ),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                # every component signs or checks the workers' tokens with it: one for all
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(self.port),
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
                "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
                # each job row names its component (see start), not just the machine
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "tests.chaos.hostname.component",
                "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))),
            }
        )
        env.update(settings)
        self.env = env

    def airflow(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run an ``airflow`` command to completion (``db migrate``...)."""
        return subprocess.run(
            [sys.executable, "-m", "airflow", *args],
            env=self.env,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        """Start ``airflow <args>`` as component ``name``, its output in ``logs/<name>.log``; its
        job row's ``hostname`` is ``name``."""
        with (self.logs / f"{name}.log").open("ab") as sink:
            proc = subprocess.Popen(
                [sys.executable, "-m", "airflow", *args],
                env={**self.env, "SM_CHAOS_COMPONENT": name},
                cwd=self.root,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs[name] = proc
        return proc

    def check_alive(self) -> None:
        """Fail with the component's log when one has exited."""
        for name, proc in self.procs.items():
            if proc.poll() is not None and name not in self._family:
                raise AssertionError(f"{name} exited with {proc.returncode}\n{self.diagnostics()}")

    def kill(self, name: str) -> int:
        """SIGKILL component ``name`` and every process it forked (a crash); how many there were.

        Its group first, then each descendant on its own: Airflow puts some children (a task
        runner, a trigger runner) in process groups of their own.
        """
        proc = self.procs[name]
        family = self._family[name] = _family(proc)
        _killpg(proc.pid, signal.SIGKILL)
        for member in family:
            try:
                member.kill()
            except psutil.Error:
                pass
        proc.wait(10)
        _, alive = psutil.wait_procs(family, timeout=10)
        assert not alive, f"{name}: still alive after SIGKILL: {alive}"
        return 1 + len(family)

    def stop(self) -> None:
        """SIGTERM every component's group, newest first; SIGKILL what is left after the grace."""
        for name, proc in self.procs.items():
            self._family.setdefault(name, []).extend(_family(proc))
        for proc in reversed(list(self.procs.values())):
            _killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for proc in self.procs.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for name, proc in self.procs.items():
            _killpg(proc.pid, signal.SIGKILL)
            if proc.poll() is None:
                proc.wait(10)
            # descendants in groups of their own (a task runner) go too
            _, alive = psutil.wait_procs(self._family[name], timeout=1)
            for leftover in alive:
                try:
                    leftover.kill()
                except psutil.Error:
                    pass

    def api(self) -> httpx.Client:
        """A REST client with an admin token (all-admins mode: no credentials)."""
        token = httpx.get(f"{self.url}/auth/token", timeout=30).json()["access_token"]
        return httpx.Client(base_url=self.url, timeout=30, headers={"Authorization": f"Bearer {token}"})

    def healthy(
        self, parts: tuple[str, ...] = ("metadatabase", "scheduler", "triggerer", "dag_processor")
    ) -> bool:
        self.check_alive()
        try:
            health = httpx.get(f"{self.url}/api/v2/monitor/health", timeout=5).json()
        except (httpx.HTTPError, ValueError):
            return False
        return all((health.get(part) or {}).get("status") == "healthy" for part in parts)

    def diagnostics(self, chars: int = 2500) -> str:
        parts = []
        for log in sorted(self.logs.glob("*.log")):
            parts.append(f"--- {log.name}\n" + log.read_text(errors="replace")[-chars:])
        return "\n".join(parts)


def _family(proc: subprocess.Popen[bytes]) -> list[psutil.Process]:
    try:
        return psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        return []


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
