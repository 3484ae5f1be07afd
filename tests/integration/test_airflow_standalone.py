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


@pytest.fixture(scope="module")
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
            ["bash", str(SCRIPT)], cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Stack(url=f"http://127.0.0.1:{port}", state=state, script=script, output=output)
    try:
        yield running
    finally:
        stop_process_tree(script)


@pytest.fixture(scope="module")
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


@pytest.fixture(scope="module")
def finished_run(stack: Stack, api: httpx.Client) -> Run:
    """``sagemaker_retraining`` triggered through the REST API and waited for."""

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

    run.state = poll(finished, RUN_DEADLINE, f"run {run_id} did not finish", interval=3, on_timeout=task_states)
    assert run.state == "success", task_states()
    return run


def test_login_with_a_wrong_password_is_refused(stack: Stack, api: httpx.Client):
    with httpx.Client(base_url=stack.url, timeout=30) as anonymous:
        assert anonymous.post("/auth/token", json={"username": "admin", "password": "wrong"}).status_code == 401
        assert anonymous.get(f"/api/v2/dags/{DAG_ID}").status_code == 401


def test_variables_point_the_dag_at_the_stacks_own_data_dirs(stack: Stack, api: httpx.Client):
    for name in ("data", "code", "output"):
        response = api.get(f"/api/v2/variables/sm_retraining_{name}_uri")
        assert response.status_code == 200, response.text
        assert response.json()["value"] == (stack.state / "data" / name).as_uri()


def test_triggered_run_succeeds_with_the_budget_from_the_environment(finished_run: Run, api: httpx.Client):
    tuning = finished_run.xcom("tune")
    assert tuning["status"] == "Completed"
    assert sum(tuning["training_job_status_counters"].values()) == 2
    assert finished_run.xcom("report")["model_name"]
    # The local stack turns the @weekly schedule off: the triggered run is the only one.
    runs = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns").json()
    assert [run["dag_run_id"] for run in runs["dag_runs"]] == [finished_run.run_id]


def test_extra_links_resolve_to_the_jobs_console_pages(finished_run: Run):
    console = f"https://{REGION}.console.aws.amazon.com"
    tuning_job = finished_run.xcom("tune")["tuning_job_name"]
    training_job = finished_run.xcom("train_final")["training_job_name"]

    tune_links = finished_run.links("tune")
    train_links = finished_run.links("train_final")

    assert tune_links["SageMaker Tuning Job"] == (
        f"{console}/sagemaker/home?region={REGION}#/hyper-tuning-jobs/{tuning_job}"
    )
    assert train_links["SageMaker Training Job"] == f"{console}/sagemaker/home?region={REGION}#/jobs/{training_job}"
    logs = train_links["SageMaker Training Logs"]
    assert logs.startswith(f"{console}/cloudwatch/home?region={REGION}#logsV2:log-groups/")
    assert logs.endswith(training_job)


def test_grid_view_screenshot_is_saved_for_people_to_look_at(stack: Stack, finished_run: Run, api: httpx.Client):
    if chromium_path() is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium): no grid screenshot taken")
    token = api.headers["Authorization"].removeprefix("Bearer ")
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
        f"{stack.url}/dags/{DAG_ID}/runs/{quote(finished_run.run_id, safe='')}",
        target,
        cookies=[{"name": "_token", "value": token, "url": stack.url, "path": "/"}],
        ready_js=ready_js,
        timeout=90,
    )

    assert ready, f"the grid view never showed the finished run; see {target}"
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
