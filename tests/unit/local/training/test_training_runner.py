"""The runner against a stand-in for the backend that applies the real lifecycle rules."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from airflow_sm_provider.local.times import utcnow
from airflow_sm_provider.local.training.job import TrainingJob
from airflow_sm_provider.local.training.metrics import MetricSeries, compile_definitions
from airflow_sm_provider.local.training.runner import Runner
from airflow_sm_provider.local.training.scriptmode import Layout


class Backend:
    """Records transitions on a real ``TrainingJob`` and refuses the moves the backend refuses."""

    def __init__(self) -> None:
        self.job = TrainingJob(name="j", arn="arn:j", request={}, creation_time=utcnow(), model_artifacts="x")
        self.done = threading.Event()

    def advance(self, secondary: str, reason: str | None) -> bool:
        if not self.job.can_enter(secondary):
            return False
        self.job.enter(secondary, reason=reason)
        if self.job.is_terminal:
            self.done.set()
        return True


def _wait_for_output(log: Path, text: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not (log.is_file() and text in log.read_text()):
        assert time.monotonic() < deadline, f"{text!r} not in {log} after {timeout}s"
        time.sleep(0.02)


def _runner(tmp_path: Path, source: str, backend: Backend, **request) -> Runner:
    code = tmp_path / "src"
    code.mkdir()
    (code / "train.py").write_text(source)
    request = {
        "HyperParameters": {"sagemaker_program": "train.py", "sagemaker_submit_directory": f"file://{code}"},
        "OutputDataConfig": {"S3OutputPath": f"file://{tmp_path}/out"},
        **request,
    }
    metrics = MetricSeries(compile_definitions([{"Name": "loss", "Regex": "loss=([0-9.]+)"}]))
    return Runner("j", "arn:j", request, Layout(tmp_path / "job"), metrics, backend.advance, grace=0.5)


def test_a_clean_run_walks_every_status(tmp_path: Path):
    backend = Backend()
    runner = _runner(tmp_path, "print('loss=0.5')\n", backend)
    runner.start()
    assert backend.done.wait(20)
    assert [t["Status"] for t in backend.job.transitions] == [
        "Starting",
        "Downloading",
        "Training",
        "Uploading",
        "Completed",
    ]
    assert runner.metrics.values("loss") == [0.5]
    assert (tmp_path / "out" / "j" / "output" / "model.tar.gz").is_file()


def test_a_user_stop_during_the_runtime_limit_still_ends_stopped(tmp_path: Path):
    backend = Backend()
    go = tmp_path / "go"
    source = (  # on SIGTERM it lingers until the test lets it go: the order below is certain
        "import os, signal, sys, time\n"
        "def term(*_):\n"
        f"    while not os.path.exists({str(go)!r}):\n        time.sleep(0.01)\n    sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, term)\nprint('up', flush=True)\ntime.sleep(30)\n"
    )
    runner = _runner(tmp_path, source, backend)
    runner.grace = 30
    runner.start()
    _wait_for_output(tmp_path / "job" / "log.txt", "up")

    runner.stop("MaxRuntimeExceeded")  # the limit strikes first...
    backend.advance("Stopping", None)  # ...then the user's StopTrainingJob reaches the backend
    go.touch()

    assert backend.done.wait(20)
    assert (backend.job.status, backend.job.secondary_status) == ("Stopped", "Stopped")


def test_abandon_records_nothing_more(tmp_path: Path):
    backend = Backend()
    runner = _runner(tmp_path, "import time\nprint('up', flush=True)\ntime.sleep(30)\n", backend)
    runner.start()
    _wait_for_output(tmp_path / "job" / "log.txt", "up")

    runner.abandon()
    runner.join(10)

    assert not runner._thread.is_alive()
    assert backend.job.secondary_status == "Training"
