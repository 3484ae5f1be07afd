"""dag.test() of a reschedule-mode training sensor against the local backend: the script's output
is in the task log while the job runs, each line once, across pokes that are each a new run of
the task (Airflow clears its XComs every time; the place is kept in the task state store).
"""

from __future__ import annotations

import contextlib
import importlib.util
import threading
import uuid
from pathlib import Path
from unittest import mock

import pendulum
import pytest

from tests.unit.conftest import RecordingLog, _log_property_owner

DAG_FILE = Path(__file__).parent / "dags" / "sm_test_sensor_output.py"

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def load_dag():
    spec = importlib.util.spec_from_file_location("sm_test_sensor_output", DAG_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


@contextlib.contextmanager
def recorded_task_log():
    from airflow_sm_provider.sensors import SageMakerTrainingSensor

    log = RecordingLog()
    owner = _log_property_owner(SageMakerTrainingSensor)
    with mock.patch.object(owner, "log", new_callable=mock.PropertyMock, return_value=log):
        yield log


def release_when_shown(log: RecordingLog, line: str, release: Path, stop: threading.Event) -> None:
    """Let the job finish once ``line`` is in the task log (it cannot have ended before)."""
    while not stop.is_set():
        if line in log.messages("info"):
            release.touch()
            return
        stop.wait(0.1)


@pytest.mark.skipif(
    not importlib.util.find_spec("airflow.state"), reason="the task state store is Airflow 3.3+"
)
def test_a_reschedule_mode_sensor_shows_the_output_while_the_job_runs(
    airflow_db, aws_default, tmp_path, monkeypatch
):
    tag = f"chatty-{uuid.uuid4().hex[:8]}"
    release = tmp_path / "release"
    monkeypatch.setenv("AIRFLOW_VAR_SM_TEST_TAG", tag)
    monkeypatch.setenv("AIRFLOW_VAR_SM_TEST_RELEASE", str(release))
    when = pendulum.datetime(2026, 9, 7, tz="UTC")
    stop = threading.Event()
    with recorded_task_log() as log:
        watcher = threading.Thread(
            target=release_when_shown, args=(log, f"[algo-1] {tag} first part", release, stop), daemon=True
        )
        watcher.start()
        try:
            run = load_dag().test(run_after=when, logical_date=when)
        finally:
            stop.set()
            watcher.join(5)
    assert run.state == "success", log.messages()
    messages = log.messages("info")
    # released: the first part was in the task log while the job still ran (it cannot end before)
    first, second = f"[algo-1] {tag} first part", f"[algo-1] {tag} second part (released)"
    assert messages.count(first) == 1 and messages.count(second) == 1
    pokes = [i for i, m in enumerate(messages) if m.startswith("Waiting on SageMaker training job")]
    assert len(pokes) >= 2  # the sensor was rescheduled at least once
    # the first part was shown by an earlier poke than the last one, which saw the job end
    assert messages.index(first) < pokes[-1]
