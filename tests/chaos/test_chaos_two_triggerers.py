"""Two triggerers of a real Airflow on PostgreSQL, one SIGKILLed mid-wait: the other adopts its
triggers, no event is lost and no job is stopped.

The test starts its own PostgreSQL server (Debian's postgresql package), a local SageMaker
backend, and Airflow's api-server, scheduler (LocalExecutor), dag-processor and two triggerers.
``sm_chaos_two_triggerers`` defers six training tasks whose jobs hold until the test releases
them. Once every trigger runs and both triggerers hold some, the one holding more is killed with
everything it forked. Half of its jobs finish while no triggerer watches them; the rest only after
the survivor has taken their trigger rows over. Then: every task succeeded on its first try, each
with its own job's result in XCom; each task created exactly one job, and every job Completed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from airflow_sm_provider.jobs import TRAINING
from airflow_sm_provider.naming import TaskIdentity, attempt_of, base_name
from tests.chaos.airflow_stack import AirflowStack
from tests.chaos.chaoslib import Backend, Counts, count_orphans, training_jobs, wait_until
from tests.chaos.dags.sm_chaos_two_triggerers import DAG_ID, TASKS, loss
from tests.chaos.pgserver import PostgresServer, find_binaries

pytestmark = pytest.mark.chaos

DAGS = Path(__file__).with_name("dags")
# A triggerer heartbeats every second and counts as dead 8 s after its last one: its triggers
# are adopted within about ten seconds (the defaults, 5 s and 30 s, would take half a minute).
# Each triggerer takes at most one trigger per loop, so deferrals that arrive together spread
# over both instead of all going to whichever looks first.
TRIGGERER_SETTINGS = {
    "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
    "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "8",
    "AIRFLOW__TRIGGERER__MAX_TRIGGER_TO_SELECT_PER_LOOP": "1",
}
START_DEADLINE = 180
RUN_DEADLINE = 150


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    binaries = find_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL is not installed (initdb/postgres not found): apt-get install postgresql")
    server = PostgresServer(binaries)
    try:
        server.start()
        server.create_database("airflow")
        yield server
    finally:
        server.stop()


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[Backend]:
    running = Backend(tmp_path / "sm-home")
    try:
        yield running.start()
    finally:
        running.stop()


@pytest.fixture
def stack(tmp_path: Path, postgres: PostgresServer, backend: Backend) -> Iterator[AirflowStack]:
    argv = [sys.executable, "-m", "airflow_sm_provider.local", "connection"]
    connection = subprocess.run(
        [*argv, "--home", str(backend.home), "--port", str(backend.port)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    gates = tmp_path / "gates"
    gates.mkdir()
    settings = {
        **TRIGGERER_SETTINGS,
        "AIRFLOW__CORE__PARALLELISM": str(TASKS + 2),
        "AIRFLOW_CONN_AWS_DEFAULT": connection,
        "AIRFLOW_VAR_SM_CHAOS_GATE_DIR": str(gates),
        "AIRFLOW_VAR_SM_CHAOS_OUTPUT_DIR": str(tmp_path / "output"),
    }
    running = AirflowStack(tmp_path / "airflow", postgres.url("airflow"), DAGS, settings)
    try:
        yield running
    finally:
        running.stop()


class Metadata:
    """Reads of Airflow's metadata DB, straight from PostgreSQL."""

    def __init__(self, server: PostgresServer) -> None:
        self.connection = server.connect("airflow")

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    def triggerer_jobs(self) -> list[int]:
        """Ids of the TriggererJob rows still running, oldest first."""
        return [
            row[0]
            for row in self.rows(
                "SELECT id FROM job WHERE job_type = 'TriggererJob' AND state = 'running' ORDER BY id"
            )
        ]

    def task_triggers(self, run_id: str) -> dict[str, tuple[str, int | None, int | None]]:
        """task_id -> (state, trigger id, triggerer job id) for the run's task instances."""
        found = self.rows(
            "SELECT ti.task_id, ti.state, t.id, t.triggerer_id FROM task_instance ti"
            " LEFT JOIN trigger t ON t.id = ti.trigger_id WHERE ti.dag_id = %s AND ti.run_id = %s",
            DAG_ID,
            run_id,
        )
        return {task_id: (state, trigger, triggerer) for task_id, state, trigger, triggerer in found}

    def tries(self, run_id: str) -> dict[str, tuple[str, int]]:
        found = self.rows(
            "SELECT task_id, state, try_number FROM task_instance WHERE dag_id = %s AND run_id = %s",
            DAG_ID,
            run_id,
        )
        return {task_id: (state, tries) for task_id, state, tries in found}

    def close(self) -> None:
        self.connection.close()


def start_airflow(stack: AirflowStack, db: Metadata) -> tuple[int, int]:
    """Migrate, start every component, return the triggerers' job ids (``a``'s, ``b``'s).

    ``triggerer-b`` starts once ``triggerer-a`` has its job row, so each row is known to be whose.
    """
    migrated = stack.airflow("db", "migrate")
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    stack.start("triggerer-a", "triggerer", "--skip-serve-logs")
    stack.start("scheduler", "scheduler", "--skip-serve-logs")
    stack.start("dag-processor", "dag-processor")
    stack.start("api-server", "api-server", "--host", "127.0.0.1", "--port", str(stack.port))

    def registered(count: int) -> list[int] | None:
        stack.check_alive()
        jobs = db.triggerer_jobs()
        return jobs if len(jobs) == count else None

    (first,) = wait_until(lambda: registered(1), timeout=START_DEADLINE, interval=0.2)
    stack.start("triggerer-b", "triggerer", "--skip-serve-logs")
    jobs = wait_until(lambda: registered(2), timeout=START_DEADLINE, interval=0.2)
    wait_until(stack.healthy, timeout=START_DEADLINE, interval=0.5)
    return first, next(job for job in jobs if job != first)


def trigger_run(stack: AirflowStack) -> str:
    with stack.api() as api:

        def parsed() -> bool:
            stack.check_alive()
            return api.get(f"/api/v2/dags/{DAG_ID}").status_code == 200

        wait_until(parsed, timeout=START_DEADLINE, interval=0.5)
        errors = api.get("/api/v2/importErrors").json()["import_errors"]
        assert not errors, errors
        api.patch(f"/api/v2/dags/{DAG_ID}", json={"is_paused": False}).raise_for_status()
        response = api.post(f"/api/v2/dags/{DAG_ID}/dagRuns", json={"logical_date": None, "conf": {}})
        assert response.status_code == 200, response.text
        return str(response.json()["dag_run_id"])


def release(gates: Path, task_ids: list[str]) -> None:
    for task_id in task_ids:
        (gates / task_id).write_text("go")


def test_a_killed_triggerers_triggers_are_adopted_with_no_event_lost_and_no_job_stopped(
    tmp_path: Path, postgres: PostgresServer, backend: Backend, stack: AirflowStack
):
    counts = Counts("two-triggerers-one-killed")
    started = time.monotonic()
    db = Metadata(postgres)
    client = backend.client()
    gates = tmp_path / "gates"
    task_ids = [f"train_{i}" for i in range(TASKS)]
    try:
        ids = dict(zip(("triggerer-a", "triggerer-b"), start_airflow(stack, db), strict=True))
        counts.notes.append(f"Airflow up in {time.monotonic() - started:.0f}s")
        run_id = trigger_run(stack)
        names = {
            task_id: base_name(TaskIdentity(DAG_ID, task_id, run_id), TRAINING.max_name_length)
            for task_id in task_ids
        }

        def all_deferred_on_both() -> dict[str, tuple[str, int | None, int | None]] | None:
            stack.check_alive()
            seen = db.task_triggers(run_id)
            if len(seen) < TASKS or any(state != "deferred" or not by for state, _, by in seen.values()):
                return None
            return seen if {by for _, _, by in seen.values()} == set(ids.values()) else None

        held = wait_until(all_deferred_on_both, timeout=RUN_DEADLINE, interval=0.2)
        statuses = {
            t: client.describe_training_job(TrainingJobName=n)["TrainingJobStatus"] for t, n in names.items()
        }
        assert set(statuses.values()) == {"InProgress"}, statuses

        # Kill the triggerer holding more triggers, and everything it forked (its trigger runner).
        by_triggerer = {
            name: sorted(t for t, (_, _, by) in held.items() if by == job) for name, job in ids.items()
        }
        victim = max(by_triggerer, key=lambda name: len(by_triggerer[name]))
        survivor = next(name for name in ids if name != victim)
        orphaned = by_triggerer[victim]
        stack.kill(victim)
        killed_at = time.monotonic()
        counts.faults_injected += 1
        counts.notes.append(f"killed {victim} holding {orphaned}; {survivor} held {by_triggerer[survivor]}")

        # Half of the orphaned jobs finish while no triggerer watches them ...
        finish_early, finish_late = orphaned[: len(orphaned) // 2], orphaned[len(orphaned) // 2 :]
        release(gates, finish_early)
        wait_until(
            lambda: all(
                client.describe_training_job(TrainingJobName=names[t])["TrainingJobStatus"] == "Completed"
                for t in finish_early
            ),
            timeout=60,
        )
        unwatched = [
            t for t, (_, _, by) in db.task_triggers(run_id).items() if t in finish_early and by == ids[victim]
        ]
        counts.notes.append(f"{unwatched} completed while their triggers were still on the dead {victim}")

        # ... the others are still running when the survivor takes their triggers over.
        def adopted() -> bool:
            stack.check_alive()
            seen = db.task_triggers(run_id)
            return all(seen[t][0] == "deferred" and seen[t][2] == ids[survivor] for t in finish_late)

        wait_until(adopted, timeout=90, interval=0.2)
        counts.notes.append(
            f"{finish_late} adopted by {survivor} {time.monotonic() - killed_at:.1f}s after the kill"
        )
        release(gates, [t for t in task_ids if t not in finish_early])

        def finished() -> str | None:
            stack.check_alive()
            states = {state for state, _ in db.tries(run_id).values()}
            run_state = db.rows("SELECT state FROM dag_run WHERE dag_id = %s AND run_id = %s", DAG_ID, run_id)
            state = run_state[0][0] if run_state else None
            if state in ("success", "failed") and not states & {"deferred", "running", "queued", "scheduled"}:
                return str(state)
            return None

        run_state = wait_until(finished, timeout=RUN_DEADLINE, interval=0.5)

        tries = db.tries(run_id)
        jobs = training_jobs(client)
        per_task = {
            t: [j for j in jobs if attempt_of(j["TrainingJobName"], names[t]) is not None] for t in task_ids
        }
        with stack.api() as api:
            results = {t: xcom(api, run_id, t) for t in task_ids}
        lost = [
            t for t in task_ids if not carries_its_own_result(results[t], names[t], loss(task_ids.index(t)))
        ]
        counts.task_failures = sum(state != "success" for state, _ in tries.values())
        counts.jobs_created = len(jobs)
        counts.jobs_lost = len(lost)
        counts.jobs_stopped = sum(j["TrainingJobStatus"] in ("Stopping", "Stopped") for j in jobs)
        counts.notes.append(f"run {run_state} {time.monotonic() - started:.0f}s after the start")
    finally:
        db.close()
        stack.stop()
        counts.orphan_processes = count_orphans(backend.home, settle=2.0)
        counts.save()

    assert run_state == "success", f"{tries}\n{stack.diagnostics()}"
    assert tries == {t: ("success", 1) for t in task_ids}, tries
    assert {t: len(found) for t, found in per_task.items()} == dict.fromkeys(task_ids, 1), per_task
    assert {j["TrainingJobStatus"] for j in jobs} == {"Completed"}, jobs
    assert not lost, {t: results[t] for t in lost}
    assert counts.task_failures == counts.jobs_lost == counts.jobs_stopped == counts.orphan_processes == 0


def xcom(api: Any, run_id: str, task_id: str) -> Any:
    run = quote(run_id, safe="")
    path = f"/api/v2/dags/{DAG_ID}/dagRuns/{run}/taskInstances/{task_id}/xcomEntries/return_value"
    response = api.get(path, params={"deserialize": True})
    if response.status_code == 404:
        return None
    response.raise_for_status()
    value = response.json()["value"]
    return json.loads(value) if isinstance(value, str) else value


def carries_its_own_result(result: Any, job_name: str, expected_loss: float) -> bool:
    """The XCom of a task that resumed on its own job's event: that job, Completed, its loss."""
    return (
        isinstance(result, dict)
        and result.get("training_job_name") == job_name
        and result.get("status") == "Completed"
        and result.get("final_metrics", {}).get("loss") == pytest.approx(expected_loss)
    )
