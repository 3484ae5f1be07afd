"""`make airflow` end to end: the real script, a real Airflow, the DAG triggered over REST.

Starts ``scripts/airflow_standalone.sh`` on free ports with its state in a temp dir, logs in as
the ``admin`` user through the simple auth manager's ``/auth/token``, triggers
``sagemaker_retraining`` (two tuning trials) through the REST API v2, waits for the run, and
checks the SageMaker extra links the UI shows. With Chromium installed it saves a screenshot of
the run's grid view to ``artifacts/`` for a person to look at.

Slow (a few minutes on 2 cores): every Airflow component is a real process.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import psutil
import pytest
from chromium_screenshot import chromium_path, screenshot

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "airflow_standalone.sh"
ARTIFACTS = ROOT / "artifacts"
DAG_ID = "sagemaker_retraining"
REGION = "us-east-1"
START_DEADLINE = 300
RUN_DEADLINE = 600

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1200)]


@dataclass
class Stack:
    url: str
    state: Path
    script: subprocess.Popen[bytes]
    output: Path

    def diagnostics(self) -> str:
        """The script's output and the tail of every component's log, for failure messages."""
        parts = [self.output.read_text(errors="replace")[-3000:]]
        for log in sorted((self.state / "logs").glob("*.log")):
            parts.append(f"--- {log.name}\n" + log.read_text(errors="replace")[-2000:])
        return "\n".join(parts)


@dataclass
class Run:
    run_id: str
    state: str
    client: httpx.Client

    def path(self, suffix: str = "") -> str:
        return f"/api/v2/dags/{DAG_ID}/dagRuns/{quote(self.run_id, safe='')}{suffix}"

    def xcom(self, task_id: str, key: str = "return_value"):
        response = self.client.get(self.path(f"/taskInstances/{task_id}/xcomEntries/{key}"))
        response.raise_for_status()
        return response.json()["value"]

    def links(self, task_id: str) -> dict[str, str | None]:
        response = self.client.get(self.path(f"/taskInstances/{task_id}/links"))
        response.raise_for_status()
        return response.json()["extra_links"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def poll(check, deadline_seconds: float, what: str, interval: float = 1.0, on_timeout=lambda: ""):
    """Call ``check`` until it returns something truthy; fail after the deadline."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {deadline_seconds}s\n{on_timeout()}")
        time.sleep(interval)


def stop_process_tree(process: subprocess.Popen[bytes]) -> None:
    """Ask the script to stop (its trap stops every component), then kill whatever is left."""
    try:
        family = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    _, alive = psutil.wait_procs(family, timeout=10)
    for leftover in alive:
        try:
            os.killpg(leftover.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            leftover.kill()
        except psutil.NoSuchProcess:
            pass


@pytest.fixture
def stack(tmp_path_factory) -> Iterator[Stack]:
    state = tmp_path_factory.mktemp("airflow-standalone")
    port = free_port()
    # The test session's own Airflow settings (conftest.py) must not leak into the stack.
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    for key in ("SM_AIRFLOW_PASSWORD", "SM_AIRFLOW_ALL_ADMINS", "SM_BACKEND_PORT"):
        env.pop(key, None)
    env.update(
        {
            "SM_AIRFLOW_DIR": str(state),
            "SM_AIRFLOW_PORT": str(port),
            "SM_AIRFLOW_START_TIMEOUT": str(START_DEADLINE),
            "AIRFLOW_VAR_SM_RETRAINING_MAX_TRIALS": "2",
        }
    )
    output = state / "script.out"
    with output.open("wb") as sink:
        script = subprocess.Popen(
            ["bash", str(SCRIPT)],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Stack(url=f"http://127.0.0.1:{port}", state=state, script=script, output=output)
    try:
        yield running
    finally:
        stop_process_tree(script)


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    """A client logged in as the script's ``admin`` user, once the script says it is ready."""

    def ready() -> bool:
        if stack.script.poll() is not None:
            pytest.fail(f"the script exited with {stack.script.returncode}\n{stack.diagnostics()}")
        return f"Airflow UI:   {stack.url}/" in stack.output.read_text(errors="replace")

    poll(ready, START_DEADLINE + 30, "the script did not report ready", on_timeout=stack.diagnostics)
    with httpx.Client(base_url=stack.url, timeout=30) as client:
        health = client.get("/api/v2/monitor/health").json()
        for part in ("metadatabase", "scheduler", "triggerer", "dag_processor"):
            assert health[part]["status"] == "healthy", health
        password = json.loads((stack.state / "simple_auth_manager_passwords.json").read_text())["admin"]
        response = client.post("/auth/token", json={"username": "admin", "password": password})
        assert response.status_code == 201, response.text
        client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        yield client


def trigger_and_wait(stack: Stack, api: httpx.Client) -> Run:
    """Unpause ``sagemaker_retraining``, trigger it through the REST API and wait for the run."""

    def parsed() -> bool:
        errors = api.get("/api/v2/importErrors").json()["import_errors"]
        assert not errors, errors
        return api.get(f"/api/v2/dags/{DAG_ID}").status_code == 200

    poll(parsed, 120, f"{DAG_ID} was not parsed", on_timeout=stack.diagnostics)
    api.patch(f"/api/v2/dags/{DAG_ID}", json={"is_paused": False}).raise_for_status()
    response = api.post(f"/api/v2/dags/{DAG_ID}/dagRuns", json={"logical_date": None, "conf": {}})
    assert response.status_code == 200, response.text
    run_id = response.json()["dag_run_id"]
    run = Run(run_id=run_id, state="queued", client=api)

    def finished() -> str | None:
        state = api.get(run.path()).json()["state"]
        return state if state in ("success", "failed") else None

    def task_states() -> str:
        instances = api.get(run.path("/taskInstances")).json()["task_instances"]
        return json.dumps({ti["task_id"]: ti["state"] for ti in instances}) + "\n" + stack.diagnostics()

    run.state = poll(
        finished, RUN_DEADLINE, f"run {run_id} did not finish", interval=3, on_timeout=task_states
    )
    assert run.state == "success", task_states()
    return run


def save_grid_screenshot(stack: Stack, run: Run, token: str) -> Path:
    target = ARTIFACTS / "airflow_standalone_grid.png"
    target.unlink(missing_ok=True)
    # The UI reads the same JWT from its `_token` cookie; the page is ready once the run and
    # all five tasks show as finished.
    ready_js = (
        "(() => { const t = document.body.innerText;"
        " return ['prepare_data', 'tune', 'train_final', 'register_model', 'report'].every(n => t.includes(n))"
        " && t.includes('Success') && !/Running|Queued|Deferred|Scheduled|No Status/.test(t); })()"
    )
    ready = screenshot(
        f"{stack.url}/dags/{DAG_ID}/runs/{quote(run.run_id, safe='')}",
        target,
        cookies=[{"name": "_token", "value": token, "url": stack.url, "path": "/"}],
        ready_js=ready_js,
        timeout=90,
    )
    assert ready, f"the grid view never showed the finished run; see {target}"
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return target


# One test on one stack: the steps share a DAG run that takes minutes, and separate tests could
# be spread over pytest-xdist workers, each starting its own Airflow.
def test_dag_triggered_over_rest_succeeds_and_its_links_resolve(stack: Stack, api: httpx.Client):
    with httpx.Client(base_url=stack.url, timeout=30) as anonymous:
        assert (
            anonymous.post("/auth/token", json={"username": "admin", "password": "wrong"}).status_code == 401
        )
        assert anonymous.get(f"/api/v2/dags/{DAG_ID}").status_code == 401
    for name in ("data", "code", "output"):
        response = api.get(f"/api/v2/variables/sm_retraining_{name}_uri")
        assert response.status_code == 200, response.text
        assert response.json()["value"] == (stack.state / "data" / name).as_uri()

    run = trigger_and_wait(stack, api)

    tuning = run.xcom("tune")
    assert tuning["status"] == "Completed"
    # the budget exported as AIRFLOW_VAR_SM_RETRAINING_MAX_TRIALS wins over the seeded Variable
    assert sum(tuning["training_job_status_counters"].values()) == 2
    assert run.xcom("report")["model_name"]
    # The local stack turns the @weekly schedule off: the triggered run is the only one.
    runs = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns").json()
    assert [other["dag_run_id"] for other in runs["dag_runs"]] == [run.run_id]

    console = f"https://{REGION}.console.aws.amazon.com"
    training_job = run.xcom("train_final")["training_job_name"]
    tune_links = run.links("tune")
    train_links = run.links("train_final")
    assert tune_links["SageMaker Tuning Job"] == (
        f"{console}/sagemaker/home?region={REGION}#/hyper-tuning-jobs/{tuning['tuning_job_name']}"
    )
    assert (
        train_links["SageMaker Training Job"]
        == f"{console}/sagemaker/home?region={REGION}#/jobs/{training_job}"
    )
    logs = train_links["SageMaker Training Logs"]
    assert logs.startswith(f"{console}/cloudwatch/home?region={REGION}#logsV2:log-groups/")
    assert logs.endswith(training_job)

    if chromium_path() is None:
        warnings.warn(
            "chromium is not installed (apt-get install -y chromium): no grid screenshot taken",
            UserWarning,
            stacklevel=1,
        )
        return
    save_grid_screenshot(stack, run, api.headers["Authorization"].removeprefix("Bearer "))
