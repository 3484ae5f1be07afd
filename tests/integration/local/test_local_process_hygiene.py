"""Every process a job starts ends with the job, and with the backend (issue 13 item 4).

Each script detaches a sleeper into a session of its own (``start_new_session``, as a daemon
would) and records its pid; whatever way the job ends, that sleeper must be gone. None of this
relies on the job's environment, which the job controls (``TRAINING_JOB_ARN`` overridden here).
A script that SIGKILLs its own launcher leaves only the job's cgroup to end what it detached:
those cases run with each kind of cgroup this machine allows, and skip where none is writable.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from sm_local_helpers import Endpoint, make_client, wait_until

from airflow_sm_provider.local import cgroups, launcher
from airflow_sm_provider.local.server import LocalServer
from airflow_sm_provider.local.training.options import TrainingOptions

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
        _remove_cgroups(home)


KILLS_ITS_LAUNCHER = DETACH.format(
    tail="""
go = os.path.join(os.environ["SM_OUTPUT_DIR"], "..", "go")
while not os.path.exists(go):
    time.sleep(0.01)
os.kill(os.getppid(), 9)  # the launcher: same user, so nothing stops the script
open(go + ".done", "w").close()
time.sleep(120)
"""
)


def _kill_leftovers(*pids: int) -> None:
    for pid in pids:
        try:
            psutil.Process(pid).kill()
        except psutil.Error:
            pass


def _remove_cgroups(home: Path) -> None:
    """What a restart would do for a killed backend's home: its cgroups go, empty or not."""
    try:
        cgroups.find(home).kill()
    except cgroups.CgroupUnavailable:
        pass


def test_a_detached_process_ends_with_its_job_when_the_script_kills_its_launcher(
    local_server, sm_client, scripts, training_request, wait_for_status
):
    sm_client.create_training_job(
        **training_request(scripts.write(KILLS_ITS_LAUNCHER), name="kills-launcher")
    )
    sleeper = _sleeper(local_server.home, "kills-launcher")
    try:
        (local_server.home / "jobs" / "kills-launcher" / "go").touch()

        final = wait_for_status("kills-launcher", timeout=30)

        assert final["TrainingJobStatus"] == "Failed"
        assert "killed by signal 9" in final["FailureReason"]
        wait_until(lambda: _gone(sleeper), timeout=5)
    finally:
        _kill_leftovers(sleeper)


def test_a_restart_ends_what_a_killed_launcher_and_a_killed_backend_left(tmp_path, scripts, training_request):
    """The script kills its launcher while the backend is frozen, then the backend is killed: no
    process of theirs can act any more, and only the restart is left to end the script and its
    detached sleeper."""
    home = tmp_path / "home"
    proc, url = _serve(home)
    second: subprocess.Popen[str] | None = None
    job = home / "jobs" / "abandoned"
    sleeper = script = 0
    try:
        client = make_client(Endpoint.of_home(url, home))
        client.create_training_job(**training_request(scripts.write(KILLS_ITS_LAUNCHER), name="abandoned"))
        sleeper = _sleeper(home, "abandoned")
        script = psutil.Process(sleeper).ppid()  # the script started it
        proc.send_signal(signal.SIGSTOP)
        (job / "go").touch()
        wait_until(lambda: (job / "go.done").exists(), timeout=10)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert not _gone(sleeper) and not _gone(script)  # nothing left to end them but a restart

        second, url = _serve(home)
        described = make_client(Endpoint.of_home(url, home)).describe_training_job(
            TrainingJobName="abandoned"
        )

        assert described["TrainingJobStatus"] == "Failed"
        wait_until(lambda: _gone(sleeper) and _gone(script), timeout=10)
    finally:
        for backend in (proc, second):
            if backend is not None and backend.poll() is None:
                backend.send_signal(signal.SIGCONT)
                backend.send_signal(signal.SIGTERM)
                backend.wait(15)
        _kill_leftovers(sleeper, script)
        _remove_cgroups(home)


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


def test_the_launcher_starts_the_script_inside_the_cgroup_it_is_given(tmp_path):
    try:
        parent = cgroups.find(tmp_path / "home")
    except cgroups.CgroupUnavailable as err:
        pytest.skip(f"no writable cgroup hierarchy on this machine (needs root or delegation): {err}")
    cgroup = parent.child("job").create()
    check = "import os, sys; print(os.getpid() in map(int, open(sys.argv[1]).read().split()))"
    try:
        argv = launcher.command(
            [sys.executable, "-c", check, str(cgroup.path / "cgroup.procs")], os.getpid(), 1, cgroup.path
        )
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    finally:
        parent.kill()

    assert done.stdout.strip() == "True"


def test_the_launcher_refuses_to_run_a_script_outside_the_cgroup_it_was_given(tmp_path):
    argv = launcher.command(
        [sys.executable, "-c", "open('ran', 'w')"], os.getpid(), 1, tmp_path / "no-cgroup"
    )
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=30)

    assert done.returncode == 1
    assert "cannot join the job's cgroup" in done.stderr
    assert not (tmp_path / "ran").exists()


FORK_LOOP = """
import os
os.setsid()  # a group of its own, whose id the test can check atomically (kill(-group, 0))
open(os.path.join(os.environ["SM_OUTPUT_DIR"], "..", "group"), "w").write(str(os.getpid()))
os.kill(os.getppid(), 9)  # the launcher
for _ in range(2):
    os.fork()
while True:  # four processes whose pids change all the time: a kill by pid list misses some
    try:
        if os.fork():
            os._exit(0)
    except OSError:
        pass
"""


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_fork_loop_that_killed_its_launcher_ends_with_its_job(
    local_server, sm_client, scripts, training_request, wait_for_status
):
    sm_client.create_training_job(**training_request(scripts.write(FORK_LOOP), name="forks"))
    path = local_server.home / "jobs" / "forks" / "group"
    group = int(wait_until(lambda: path.is_file() and path.read_text(), timeout=20))
    try:
        final = wait_for_status("forks", timeout=30)

        assert final["TrainingJobStatus"] == "Failed"
        wait_until(lambda: not _group_alive(group), timeout=5)
    finally:
        if _group_alive(group):
            os.killpg(group, signal.SIGKILL)


def _ended(client, name: str) -> dict | None:
    job = client.describe_training_job(TrainingJobName=name)
    return job if job["TrainingJobStatus"] in ("Completed", "Failed", "Stopped") else None


@pytest.mark.parametrize("kind", cgroups.KINDS)
def test_each_kind_of_cgroup_ends_what_a_script_that_killed_its_launcher_left(
    tmp_path, scripts, training_request, kind
):
    home = tmp_path / f"home-{kind}"
    try:
        cgroups.find(home, (kind,))
    except cgroups.CgroupUnavailable as err:
        pytest.skip(f"no writable {kind} cgroup hierarchy on this machine: {err}")
    options = TrainingOptions(cgroups=(kind,))
    with LocalServer(home=home, port=0, stop_grace=1.0, training=options) as server:
        client = make_client(server)
        client.create_training_job(**training_request(scripts.write(KILLS_ITS_LAUNCHER), name="kills"))
        sleeper = _sleeper(home, "kills")
        try:
            assert server.backend is not None
            assert server.backend.training.cgroup is not None
            assert server.backend.training.cgroup.kind == kind
            (home / "jobs" / "kills" / "go").touch()

            wait_until(lambda: _gone(sleeper), timeout=10)
            job = wait_until(lambda: _ended(client, "kills"), timeout=10)
            assert "killed by signal 9" in job["FailureReason"]
            cgroup = server.backend.training.cgroup.child("kills")
            wait_until(lambda: not cgroup.path.exists(), timeout=10)
        finally:
            _kill_leftovers(sleeper)


def test_without_a_usable_cgroup_the_backend_says_so_once_and_still_runs_jobs(
    tmp_path, scripts, training_request, caplog
):
    caplog.set_level(logging.WARNING, logger="airflow_sm_provider.local.training.service")
    home = tmp_path / "home"
    with LocalServer(home=home, port=0, stop_grace=1.0, training=TrainingOptions(cgroups=())) as server:
        client = make_client(server)
        client.create_training_job(**training_request(scripts.write(DETACH.format(tail="")), name="plain"))
        assert wait_until(lambda: _ended(client, "plain"), timeout=30)["TrainingJobStatus"] == "Completed"
        assert server.backend is not None and server.backend.training.cgroup is None

    said = [r.getMessage() for r in caplog.records if "no usable cgroup" in r.getMessage()]
    assert len(said) == 1
    assert "can outlive its job" in said[0]
