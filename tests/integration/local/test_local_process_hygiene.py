"""Every process a job starts ends with the job, and with the backend (issue 13 item 4).

Each script detaches a sleeper into a session of its own (``start_new_session``, as a daemon
would) and records its pid; whatever way the job ends, that sleeper must be gone. None of this
relies on the job's environment, which the job controls (``TRAINING_JOB_ARN`` overridden here).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from sm_local_helpers import Endpoint, make_client, wait_until

from airflow_sm_provider.local import launcher

pytestmark = pytest.mark.integration

DETACH = """
import os, subprocess, sys, time
sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"], start_new_session=True)
open(os.path.join(os.environ["SM_OUTPUT_DIR"], "..", "sleeper.pid"), "w").write(str(sleeper.pid))
print("detached", flush=True)
{tail}
"""
ENDINGS = {
    "Completed": "",
    "Failed": "sys.exit(3)",
    "Stopped": "time.sleep(120)",
    "MaxRuntimeExceeded": "time.sleep(120)",
}


def _sleeper(home: Path, job: str) -> int:
    path = home / "jobs" / job / "sleeper.pid"
    wait_until(lambda: path.is_file() and path.read_text(), timeout=20)
    return int(path.read_text())


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_a_detached_process_ends_with_its_job(
    local_server, sm_client, scripts, training_request, wait_for_status, ending
):
    request = training_request(
        scripts.write(DETACH.format(tail=ENDINGS[ending])),
        name="detaches",
        max_runtime=3 if ending == "MaxRuntimeExceeded" else 60,
        Environment={"TRAINING_JOB_ARN": "not-my-arn"},
    )
    sm_client.create_training_job(**request)
    sleeper = _sleeper(local_server.home, "detaches")
    if ending == "Stopped":
        sm_client.stop_training_job(TrainingJobName="detaches")

    final = wait_for_status("detaches", timeout=30)

    expected = "Stopped" if ending == "Stopped" else "Failed" if ending == "Failed" else "Completed"
    if ending == "MaxRuntimeExceeded":
        expected = "Stopped"  # SageMaker's status for a job that hit MaxRuntimeInSeconds
    assert final["TrainingJobStatus"] in {expected, "Failed"}
    wait_until(lambda: _gone(sleeper), timeout=5)


def _serve(home: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "airflow_sm_provider.local", "serve", "--port", "0", "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    return proc, (proc.stdout.readline().strip() if proc.stdout else "")


def test_a_backend_killed_by_sigkill_takes_every_job_process_with_it(tmp_path, scripts, training_request):
    home = tmp_path / "home"
    proc, url = _serve(home)
    try:
        client = make_client(Endpoint.of_home(url, home))
        request = training_request(
            scripts.write(DETACH.format(tail="time.sleep(120)")),
            name="orphaned",
            Environment={"TRAINING_JOB_ARN": "not-my-arn"},
        )
        client.create_training_job(**request)
        sleeper = _sleeper(home, "orphaned")
        script = int((home / "jobs" / "orphaned" / "pid").read_text())
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

        wait_until(lambda: _gone(sleeper) and _gone(script), timeout=3)
    finally:
        proc.kill()
        proc.wait(10)


SPAWNER = (
    "import subprocess, sys, time; "
    "s = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'], start_new_session=True); "
    "print(s.pid, flush=True); time.sleep(300)"
)


def test_a_restart_kills_what_a_launcher_left_and_only_that(tmp_path):
    """The restart's sweep (for a launcher that outlived its backend: no parent-death signal)."""
    from airflow_sm_provider.local.training.runner import kill_orphan
    from airflow_sm_provider.local.training.scriptmode import Layout

    job = tmp_path / "jobs" / "left"
    job.mkdir(parents=True)
    argv = launcher.command([sys.executable, "-c", SPAWNER], parent=os.getpid(), grace=1)
    left = subprocess.Popen(argv, cwd=job, stdout=subprocess.PIPE, text=True, start_new_session=True)
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"], cwd=job)
    try:
        assert left.stdout is not None
        detached = int(left.stdout.readline())
        (job / "pid").write_text(str(stranger.pid))
        assert not kill_orphan(Layout(job))  # not a launcher: never killed, whatever its pid file says
        assert stranger.poll() is None

        (job / "pid").write_text(str(left.pid))
        assert kill_orphan(Layout(job))

        left.wait(5)
        wait_until(lambda: _gone(detached), timeout=3)
    finally:
        for proc in (left, stranger):
            proc.kill()
            proc.wait(5)


def test_the_launcher_refuses_to_start_under_a_parent_it_was_not_told_of(tmp_path):
    argv = launcher.command([sys.executable, "-c", "open('ran', 'w')"], parent=1, grace=1)
    assert subprocess.run(argv, cwd=tmp_path, timeout=30).returncode == 1
    assert not (tmp_path / "ran").exists()


def test_the_launcher_reports_the_scripts_exit_and_death_by_signal_as_its_own(tmp_path):
    code = subprocess.run(launcher.command([sys.executable, "-c", "raise SystemExit(7)"], os.getpid(), 1))
    killed = subprocess.run(
        launcher.command(
            [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"], os.getpid(), 1
        )
    )
    assert code.returncode == 7
    assert killed.returncode == -signal.SIGTERM
