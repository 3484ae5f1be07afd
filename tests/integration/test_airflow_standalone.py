"""`make airflow` end to end: the real script, a real Airflow, the DAG triggered over REST.

Starts ``scripts/airflow_standalone.sh`` on free ports with its state in a temp dir, logs in as
the ``admin`` user through the simple auth manager's ``/auth/token``, and triggers
``sagemaker_retraining`` (two tuning trials) through the REST API v2 with ``approval=person``.
When the run waits at ``ask_a_person`` (human-in-the-loop), a headless browser opens that task's
Required Actions tab as a person would; the test asserts that it shows the version, its ARN and
the gate's champion / challenger table (read from the DOM, cell by cell) and clicks Approve (a
real mouse click). The run must then succeed, with the registry saying Approved by ``admin`` and
``announce`` having updated the approved-model asset. The test then checks that every SageMaker
extra link the UI shows opens a page that loads, and that the provider's SageMaker view answers
only a logged-in user. In the browser again: the run's grid, the ``tune`` task's SageMaker tab
(the leaderboard, rendered inside the Airflow UI) and ``train_final``'s log, asserting on what
those pages show: every trial of the tuning job with its objective, the best one marked, the
training script's own output in the log. Screenshots go to ``artifacts/``. Without Chromium the
approval is answered through the REST endpoint the page calls, and no page is checked.

Slow (a few minutes on 2 cores): every Airflow component is a real process. Asking a person
costs the run about 10 seconds (the browser opening the question and clicking, then the
scheduler resuming the task).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import signal
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import quote

import boto3
import httpx
import psutil
import pytest
from chromium_screenshot import capture, chromium_path, open_page, screenshot

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "airflow_standalone.sh"
ARTIFACTS = ROOT / "artifacts"
DAG_ID = "sagemaker_retraining"
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

    @cached_property
    def sagemaker(self):
        """A boto3 SageMaker client for the local backend, with the connection the script made."""
        connection = json.loads(
            subprocess.run(
                [
                    *(str(ROOT / ".venv/bin/python"), "-m", "airflow_sm_provider.local", "connection"),
                    *("--home", str(self.state / "sm-home"), "--port", backend_port(self)),
                ],
                check=True,
                capture_output=True,
                text=True,
                timeout=60,
            ).stdout
        )
        return boto3.client(
            "sagemaker",
            region_name=connection["extra"]["region_name"],
            endpoint_url=connection["extra"]["endpoint_url"],
            aws_access_key_id=connection["login"],
            aws_secret_access_key=connection["password"],
        )


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


def trigger(stack: Stack, api: httpx.Client, conf: dict) -> Run:
    """Unpause ``sagemaker_retraining`` once parsed, and trigger it through the REST API."""

    def parsed() -> bool:
        errors = api.get("/api/v2/importErrors").json()["import_errors"]
        assert not errors, errors
        return api.get(f"/api/v2/dags/{DAG_ID}").status_code == 200

    poll(parsed, 120, f"{DAG_ID} was not parsed", on_timeout=stack.diagnostics)
    api.patch(f"/api/v2/dags/{DAG_ID}", json={"is_paused": False}).raise_for_status()
    response = api.post(f"/api/v2/dags/{DAG_ID}/dagRuns", json={"logical_date": None, "conf": conf})
    assert response.status_code == 200, response.text
    return Run(run_id=response.json()["dag_run_id"], state="queued", client=api)


def task_states(stack: Stack, run: Run) -> str:
    instances = run.client.get(run.path("/taskInstances")).json()["task_instances"]
    return json.dumps({ti["task_id"]: ti["state"] for ti in instances}) + "\n" + stack.diagnostics()


def wait_for_a_person(stack: Stack, run: Run) -> None:
    """Until ``ask_a_person`` waits for an answer (``awaiting_input`` on 3.3, ``deferred`` before)."""

    def waiting() -> bool:
        state = run.client.get(run.path()).json()["state"]
        assert state not in ("success", "failed"), f"the run ended ({state}) without asking a person"
        ti = run.client.get(run.path(f"/taskInstances/{PERSON_TASK}"))
        return ti.status_code == 200 and ti.json()["state"] in ("awaiting_input", "deferred")

    poll(
        waiting,
        RUN_DEADLINE,
        f"{PERSON_TASK} of run {run.run_id} never waited for a person",
        interval=2,
        on_timeout=lambda: task_states(stack, run),
    )
    # An Airflow 3.3.2 race: an answer recorded before the scheduler has taken the executor's
    # report that the worker which parked the task exited (same try number) fails the resumed
    # task ("finished with state success, but the task instance's state attribute is queued"),
    # and the answer is lost. That report comes seconds after the task parks; a person is rarely
    # faster, this test is. So it answers once the scheduler logged it.
    parked = f"TaskInstance Finished: dag_id={DAG_ID}, task_id={PERSON_TASK}, run_id={run.run_id}, "

    def reported() -> bool:
        log = (stack.state / "logs" / "scheduler.log").read_text(errors="replace")
        return any(parked in line and "executor_state=success" in line for line in log.splitlines())

    poll(
        reported,
        60,
        f"the scheduler never took the exit of the worker that parked {PERSON_TASK}",
        on_timeout=stack.diagnostics,
    )


def wait_for_the_end(stack: Stack, run: Run) -> None:
    def finished() -> str | None:
        state = run.client.get(run.path()).json()["state"]
        return state if state in ("success", "failed") else None

    run.state = poll(
        finished,
        RUN_DEADLINE,
        f"run {run.run_id} did not finish",
        interval=2,
        on_timeout=lambda: task_states(stack, run),
    )
    assert run.state == "success", task_states(stack, run)


def backend_trials(stack: Stack, tuning_job_name: str) -> dict[str, float | None]:
    """Every trial of the tuning job, as the local backend lists it: name -> objective value."""
    summaries = stack.sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=tuning_job_name, MaxResults=100
    )["TrainingJobSummaries"]
    objective = "FinalHyperParameterTuningJobObjectiveMetric"
    return {trial["TrainingJobName"]: (trial.get(objective) or {}).get("Value") for trial in summaries}


def backend_port(stack: Stack) -> str:
    for line in stack.output.read_text(errors="replace").splitlines():
        if "local SageMaker backend: http://" in line:
            return line.split("http://", 1)[1].split()[0].rsplit(":", 1)[1]
    pytest.fail(f"the script did not print the backend's address\n{stack.diagnostics()}")


def sagemaker_view(run: Run, task_id: str) -> str:
    """The provider's SageMaker page for a task instance (what the UI's SageMaker tab shows)."""
    return f"/sagemaker-ui/dags/{DAG_ID}/runs/{quote(run.run_id, safe='')}/tasks/{task_id}?map_index=-1"


def check_links_load(run: Run) -> None:
    """Every extra link of the SageMaker tasks opens a page that loads (HTTP 200)."""
    for task_id in ("tune", "train_final"):
        links = {name: url for name, url in run.links(task_id).items() if url}
        assert links, f"{task_id} shows no extra link"
        for name, url in links.items():
            # a link into Airflow itself (relative) needs the session; any other page must load as is
            get = run.client.get if url.startswith("/") else httpx.get
            response = get(url, follow_redirects=True, timeout=30)
            assert response.status_code == 200, f"{task_id}: {name} -> {url}: {response.status_code}"


LEADERBOARD_READY_JS = """(() => {
  const frame = document.querySelector('iframe[title="SageMaker"]');
  const page = frame && frame.contentDocument;
  return !!(page && page.querySelector('#trials tr.trial'));
})()"""
LEADERBOARD_JS = """(() => {
  const page = document.querySelector('iframe[title="SageMaker"]').contentDocument;
  return {
    status: page.querySelector('#status').innerText,
    chart: !!page.querySelector('svg#chart circle'),
    trials: [...page.querySelectorAll('#trials tr.trial')].map(row => ({
      name: row.dataset.trial,
      best: row.classList.contains('best'),
      objective: row.querySelector('td.objective').innerText.trim(),
      text: row.innerText,
    })),
  };
})()"""


def check_leaderboard_in_the_ui(stack: Stack, run: Run, token: str, tuning: dict) -> Path:
    """The tune task's SageMaker tab, inside the Airflow UI: every trial, its objective, the best."""
    target = ARTIFACTS / "airflow_standalone_leaderboard.png"
    target.unlink(missing_ok=True)
    trials = backend_trials(stack, tuning["tuning_job_name"])
    assert len(trials) == 2, trials
    seen = capture(
        f"{stack.url}/dags/{DAG_ID}/runs/{quote(run.run_id, safe='')}/tasks/tune/plugin/sagemaker",
        target,
        cookies=[{"name": "_token", "value": token, "url": stack.url, "path": "/"}],
        ready_js=LEADERBOARD_READY_JS,
        extract_js=LEADERBOARD_JS,
        height=1200,
        timeout=90,
    )
    assert seen.ready, f"the SageMaker tab never showed the leaderboard; see {target}: {seen.value}"
    board = seen.value
    assert board["status"] == "Completed"
    assert board["chart"]
    listed = {row["name"]: row for row in board["trials"]}
    assert set(listed) == set(trials)
    for name, value in trials.items():
        assert value is not None, f"{name} reported no objective"
        assert float(listed[name]["objective"]) == pytest.approx(value, rel=1e-5), listed[name]
    best = tuning["best_training_job"]["name"]
    assert [row["name"] for row in board["trials"] if row["best"]] == [best]
    assert "best" in listed[best]["text"]
    return target


# A line train.py prints once training is done (dags/retraining/scripts/train.py).
SCRIPT_LINE = "final metrics {"
LOG_READY_JS = f"document.body.innerText.includes({SCRIPT_LINE!r})"


def check_train_final_log_in_the_ui(stack: Stack, run: Run, token: str) -> None:
    """``train_final``'s log page in the Airflow UI shows a line the training script printed.

    The window is tall so that the log viewer renders every line of this short log.
    """
    target = ARTIFACTS / "airflow_standalone_train_final_log.png"
    target.unlink(missing_ok=True)
    seen = capture(
        f"{stack.url}/dags/{DAG_ID}/runs/{quote(run.run_id, safe='')}/tasks/train_final",
        target,
        cookies=[{"name": "_token", "value": token, "url": stack.url, "path": "/"}],
        ready_js=LOG_READY_JS,
        extract_js="document.body.innerText",
        height=6000,
        timeout=90,
    )
    assert seen.ready, f"no line of the training script in train_final's log; see {target}:\n{seen.value}"


def save_grid_screenshot(stack: Stack, run: Run, token: str) -> Path:
    target = ARTIFACTS / "airflow_standalone_grid.png"
    target.unlink(missing_ok=True)
    # The UI reads the same JWT from its `_token` cookie; the page is ready once the run and
    # all five tasks show as finished.
    ready_js = (
        "(() => { const t = document.body.innerText;"
        " return ['prepare_data', 'tune', 'train_final', 'gate', 'report'].every(n => t.includes(n))"
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


PERSON_TASK = "ask_a_person"
# The answer buttons, found by their text: the Required Actions tab names them differently per
# Airflow minor (3.3 adds data-testid="hitl-option-..."). The Approve one is tagged for a click.
OPTION_BUTTONS_JS = (
    "[...document.querySelectorAll('button')].filter(b => ['Approve', 'Reject'].includes(b.innerText.trim()))"
)
APPROVE_BUTTON = '[data-sm-test="approve"]'
TAG_APPROVE_JS = (
    f"{OPTION_BUTTONS_JS}.find(b => b.innerText.trim() === 'Approve').setAttribute('data-sm-test', 'approve')"
)
# What the answered form says: "Response received at <time> from <user>".
ANSWERED_JS = "/Response received at[\\s\\S]*from admin/.test(document.body.innerText)"
AIRFLOW_3_3 = tuple(int(part) for part in importlib.metadata.version("apache-airflow").split(".")[:2]) >= (
    3,
    3,
)
APPROVED_MODEL = "sagemaker_retraining_approved_model"  # dags/retraining/assets.py


def hitl_detail(run: Run) -> dict:
    response = run.client.get(run.path(f"/taskInstances/{PERSON_TASK}/-1/hitlDetails"))
    response.raise_for_status()
    return response.json()


# Every table on the page, as rows of cell texts.
TABLES_JS = """[...document.querySelectorAll('table')].map(table =>
  [...table.rows].map(row => [...row.cells].map(cell => cell.innerText.trim())))"""


def check_the_question(text: str, tables: list[list[list[str]]], registered: dict, gate: dict) -> None:
    """The page shows the version, its ARN, the gate's verdict and its champion / challenger
    table, as a table with the same cells as the text table the gate logs."""
    assert (
        f"Approve model version {registered['model_package_version']} of "
        f"{registered['model_package_group_name']}?" in text
    ), text
    assert registered["model_package_arn"] in text, text
    assert gate["reason"] in text, text
    logged = [re.split(r"\s{2,}", line) for line in gate["table"].splitlines()]
    header, rows = logged[0], logged[2 : 2 + len(gate["rows"])]
    assert [row[0] for row in rows] == [row["metric"] for row in gate["rows"]]
    shown = [table for table in tables if table and table[0] == header]
    assert shown == [[header, *rows]], (header, rows, tables)


def approve_in_the_ui(stack: Stack, run: Run, token: str) -> None:
    """A person's path: the task's Required Actions tab shows the question; they click Approve."""
    registered, gate = run.xcom("register"), run.xcom("gate")
    asking = ARTIFACTS / "hitl_approval.png"
    answered = ARTIFACTS / "hitl_approval_answered.png"
    for target in (asking, answered):
        target.unlink(missing_ok=True)
    url = f"{stack.url}/dags/{DAG_ID}/runs/{quote(run.run_id, safe='')}/tasks/{PERSON_TASK}/required_actions"
    ready_js = (
        f"(() => {{ const button = {OPTION_BUTTONS_JS}.find(b => b.innerText.trim() === 'Approve');"
        f" return !!button && !button.disabled"
        f" && document.body.innerText.includes({json.dumps(registered['model_package_arn'])}); }})()"
    )
    options_js = f"{OPTION_BUTTONS_JS}.map(b => b.innerText.trim())"
    cookies = [{"name": "_token", "value": token, "url": stack.url, "path": "/"}]
    with open_page(url, cookies=cookies, height=1400) as page:
        ready = page.wait_for(ready_js, 90)
        page.screenshot(asking)
        text = page.evaluate("document.body.innerText")
        assert ready, f"the Required Actions tab never offered Approve; see {asking}:\n{text}"
        check_the_question(text, page.evaluate(TABLES_JS), registered, gate)
        assert page.evaluate(options_js) == ["Approve", "Reject"]
        page.evaluate(TAG_APPROVE_JS)
        page.click(APPROVE_BUTTON)
        # the click's answer is stored: Airflow's own record of it, whatever its UI version shows
        detail = poll(
            lambda: (found := hitl_detail(run))["response_received"] and found,
            60,
            "the click on Approve was never recorded as the answer",
        )
        # from Airflow 3.3 the tab also says who answered (the buttons are disabled then)
        done = page.wait_for(ANSWERED_JS, 60) if AIRFLOW_3_3 else True
        page.screenshot(answered)
        assert done, (
            f"the page never showed the answer; see {answered}:\n{page.evaluate('document.body.innerText')}"
        )
    assert detail["chosen_options"] == ["Approve"], detail
    assert detail["responded_by_user"]["name"] == "admin", detail


def approve_over_rest(run: Run) -> None:
    """Without a browser: the same answer through the REST endpoint the UI calls."""
    response = run.client.patch(
        run.path(f"/taskInstances/{PERSON_TASK}/-1/hitlDetails"), json={"chosen_options": ["Approve"]}
    )
    assert response.status_code == 200, response.text


def check_the_approval_reached_the_registry(stack: Stack, run: Run) -> None:
    """``record_decision`` wrote Approved with the person's name; ``announce`` announced it."""
    registered = run.xcom("register")
    states = {
        ti["task_id"]: ti["state"]
        for ti in run.client.get(run.path("/taskInstances")).json()["task_instances"]
    }
    assert states["record_decision"] == "success", states
    assert states["approve_by_policy"] == states["wait_for_approval"] == "skipped", states
    client = stack.sagemaker
    listed = client.list_model_packages(ModelPackageGroupName=registered["model_package_group_name"])
    assert [p["ModelPackageArn"] for p in listed["ModelPackageSummaryList"]] == [
        registered["model_package_arn"]
    ]
    version = client.describe_model_package(ModelPackageName=registered["model_package_arn"])
    assert version["ModelApprovalStatus"] == "Approved"
    description = version["ApprovalDescription"]
    assert description == f"Approved by admin in Airflow (human-in-the-loop, run {run.run_id})"
    events = run.client.get(
        "/api/v2/assets/events",
        params={"source_dag_id": DAG_ID, "source_task_id": "announce", "source_run_id": run.run_id},
    ).json()["asset_events"]
    assert [event["name"] for event in events] == [APPROVED_MODEL], events
    assert events[0]["extra"]["model_package_arn"] == registered["model_package_arn"]
    assert events[0]["extra"]["approval_status"] == "Approved"
    assert events[0]["extra"]["approval_description"] == description


# One test on one stack: the steps share a DAG run that takes minutes, and separate tests could
# be spread over pytest-xdist workers, each starting its own Airflow.
def test_dag_run_over_rest_approved_by_a_person_in_the_ui_then_links_leaderboard_and_log(
    stack: Stack, api: httpx.Client
):
    with httpx.Client(base_url=stack.url, timeout=30) as anonymous:
        assert (
            anonymous.post("/auth/token", json={"username": "admin", "password": "wrong"}).status_code == 401
        )
        assert anonymous.get(f"/api/v2/dags/{DAG_ID}").status_code == 401
    for name in ("data", "code", "output"):
        response = api.get(f"/api/v2/variables/sm_retraining_{name}_uri")
        assert response.status_code == 200, response.text
        assert response.json()["value"] == (stack.state / "data" / name).as_uri()

    # A person approves the promoted version in the UI (human-in-the-loop, Airflow 3.1+).
    run = trigger(stack, api, conf={"approval": "person"})
    wait_for_a_person(stack, run)
    browser = chromium_path() is not None
    token = api.headers["Authorization"].removeprefix("Bearer ")
    if browser:
        approve_in_the_ui(stack, run, token)
    else:
        approve_over_rest(run)
    wait_for_the_end(stack, run)
    check_the_approval_reached_the_registry(stack, run)

    tuning = run.xcom("tune")
    assert tuning["status"] == "Completed"
    # the budget exported as AIRFLOW_VAR_SM_RETRAINING_MAX_TRIALS wins over the seeded Variable
    assert sum(tuning["training_job_status_counters"].values()) == 2
    assert run.xcom("report")["final_training_job"]
    # The local stack turns the @weekly schedule off: the triggered run is the only one.
    runs = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns").json()
    assert [other["dag_run_id"] for other in runs["dag_runs"]] == [run.run_id]

    # Every link a SageMaker task shows opens a page that loads (on the local backend: its console).
    check_links_load(run)

    # The provider's SageMaker view: Airflow does not authenticate plugin apps, the view does.
    view = sagemaker_view(run, "tune")
    with httpx.Client(base_url=stack.url, timeout=30) as anonymous:
        assert anonymous.get(view).status_code == 401
    response = api.get(view)
    assert response.status_code == 200, response.text
    assert tuning["best_training_job"]["name"] in response.text
    assert api.get(sagemaker_view(run, "train_final")).status_code == 200

    if not browser:
        warnings.warn(
            "chromium is not installed (apt-get install -y chromium): the UI was not checked in a "
            "browser, and the approval was answered over REST",
            UserWarning,
            stacklevel=1,
        )
        return
    save_grid_screenshot(stack, run, token)
    check_leaderboard_in_the_ui(stack, run, token, tuning)
    check_train_final_log_in_the_ui(stack, run, token)
