"""One training job as a real OS process, driven from its own thread.

The runner owns the process: it downloads inputs, starts the script in a new session (its own
process group, so stopping reaches every child), reads stdout and stderr on two reader threads
(each line goes to the job's log file and through the metric regexes), enforces
``MaxRuntimeInSeconds``, and uploads the model. It never touches the backend's state directly:
it asks ``advance(secondary_status, reason)`` to record a transition, and the backend answers
whether the job may move (a job being stopped may not enter ``Uploading``, for instance).

Stopping, by the user or by the runtime limit: SIGTERM to the process group, then SIGKILL after
``grace`` seconds if the group is still alive (SageMaker gives 120 s; locally a few seconds).
"""

from __future__ import annotations

import collections
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from airflow_sm_provider.local.times import utcnow
from airflow_sm_provider.local.training import artifacts, scriptmode, storage
from airflow_sm_provider.local.training.metrics import MetricSeries

log = logging.getLogger(__name__)

Advance = Callable[[str, "str | None"], bool]
MAX_REASON = 1024


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def kill_orphan(layout: scriptmode.Layout, arn: str) -> bool:
    """Kill the process group a dead backend left running for this job; True if there was one.

    The pid file alone is not trusted (pids are reused): the process must still carry the job's
    ``TRAINING_JOB_ARN`` in its environment.
    """
    try:
        pid = int(layout.pid.read_text())
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except (OSError, ValueError):
        return False
    if f"TRAINING_JOB_ARN={arn}".encode() not in environ.split(b"\0"):
        return False
    _signal_group(pid, signal.SIGKILL)
    return True


def _tail(lines: collections.deque[str]) -> str:
    return "\n".join(lines)[-(MAX_REASON - 120) :]


class Runner:
    """Runs one job; ``start()`` returns at once, ``stop()`` / ``abandon()`` may come from any thread.

    :param name: the training job's name.
    :param arn: its ARN (exported to the script as ``TRAINING_JOB_ARN``).
    :param request: the CreateTrainingJob request.
    :param layout: the job directory.
    :param metrics: where metric values go as lines are read.
    :param advance: records a secondary-status transition; returns False if it is not allowed.
    :param grace: seconds between SIGTERM and SIGKILL when stopping.
    :param on_exit: called from the runner's thread when it is done with the job.
    """

    def __init__(
        self,
        name: str,
        arn: str,
        request: dict,
        layout: scriptmode.Layout,
        metrics: MetricSeries,
        advance: Advance,
        grace: float = 5.0,
        on_exit: Callable[[], None] | None = None,
    ) -> None:
        self.name = name
        self.arn = arn
        self.request = request
        self.layout = layout
        self.metrics = metrics
        self._advance = advance
        self._on_exit = on_exit
        self.grace = grace
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._stop_kind: str | None = None  # "Stopped" or "MaxRuntimeExceeded"
        self._abandoned = False
        self._kill_timers: list[threading.Timer] = []
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self._log_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"job-{name}", daemon=True)

    # control ---------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def stop(self, kind: str = "Stopped") -> None:
        """Ask the job to end as ``kind``; the first request wins."""
        with self._lock:
            if self._stop_kind is None:
                self._stop_kind = kind
            proc = self._proc
        if proc is not None and proc.poll() is None:
            self._terminate(proc)

    def abandon(self) -> None:
        """Backend shutdown: end the process and record nothing more (a restart marks it Failed)."""
        self._abandoned = True
        self.stop("Stopped")

    def _terminate(self, proc: subprocess.Popen[bytes]) -> None:
        _signal_group(proc.pid, signal.SIGTERM)
        timer = threading.Timer(self.grace, _signal_group, (proc.pid, signal.SIGKILL))
        timer.daemon = True
        with self._lock:
            self._kill_timers.append(timer)
        timer.start()

    def _move(self, secondary: str, reason: str | None = None) -> bool:
        if self._abandoned:
            return False
        return self._advance(secondary, reason)

    # lifecycle -------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._lifecycle()
        except Exception as err:  # the job must end in a terminal state whatever happens
            log.exception("training job %s: unexpected error in the local runner", self.name)
            self._move("Failed", f"InternalServerError: local backend runner error: {err}")
        finally:
            if self._on_exit is not None:
                self._on_exit()

    def _lifecycle(self) -> None:
        started = time.monotonic()
        if not self._move("Downloading"):
            return self._finish_stopped()
        command = self._prepare()
        if command is None:
            return None
        if not self._move("Training"):
            return self._finish_stopped()
        log.info("training job %s started; log: %s", self.name, self.layout.log)
        returncode = self._execute(command, started)
        if self._abandoned:
            return None
        if self._stop_kind is not None:
            return self._finish_stopped()
        if returncode != 0:
            return self._fail(self._failure_reason(returncode))
        return self._complete()

    def _prepare(self) -> scriptmode.Command | None:
        """Downloading: lay out the job directory and fetch inputs and code; the command to run,
        or None when the job has ended (failed, or stopped meanwhile)."""
        self.layout.make(self.request)
        scriptmode.write_config(self.layout, self.request)
        try:
            scriptmode.fetch_inputs(self.layout, self.request)
        except storage.StorageError as err:
            self._fail(f"ClientError: {err}")
            return None
        entry = scriptmode.program(self.request)
        if not entry:
            self._fail(
                "ClientError: the local backend runs SageMaker script-mode jobs only: set the "
                "'sagemaker_program' hyperparameter (and 'sagemaker_submit_directory'); it cannot "
                "run container images"
            )
            return None
        if not (self.layout.code / entry).is_file():
            self._fail(f"ClientError: sagemaker_program {entry!r} not found in the submitted code")
            return None
        return scriptmode.command(self.layout, self.request, self.name, self.arn)

    def _complete(self) -> None:
        """Uploading -> Completed; Stopped if a stop arrives meanwhile."""
        if not self._move("Uploading"):
            return self._finish_stopped()
        try:
            self._upload()
        except storage.StorageError as err:
            return self._fail(f"ClientError: {err}")
        if not self._move("Completed"):  # a stop arrived while uploading
            self._move("Stopped")
        return None

    def _execute(self, command: scriptmode.Command, started: float) -> int:
        max_runtime = (self.request.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds", 86400)
        with open(self.layout.log, "ab", buffering=0) as sink:
            with self._lock:
                if self._stop_kind is not None:
                    return -signal.SIGTERM
                self._proc = subprocess.Popen(
                    command.argv,
                    cwd=command.cwd,
                    env=command.env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    start_new_session=True,
                )
            proc = self._proc
            self.layout.pid.write_text(str(proc.pid))
            readers = [
                threading.Thread(target=self._read, args=(proc.stdout, sink, False), daemon=True),
                threading.Thread(target=self._read, args=(proc.stderr, sink, True), daemon=True),
            ]
            for reader in readers:
                reader.start()
            try:
                returncode = proc.wait(timeout=max(0.0, started + max_runtime - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stop("MaxRuntimeExceeded")
                returncode = proc.wait()
            # the script is gone; anything it left running in its group goes too
            _signal_group(proc.pid, signal.SIGKILL)
            with self._lock:
                for timer in self._kill_timers:  # never signal a pid that may be reused later
                    timer.cancel()
            for reader in readers:
                reader.join(timeout=5)
        return returncode

    def _read(self, pipe: IO[bytes], sink: IO[bytes], is_stderr: bool) -> None:
        for raw in iter(pipe.readline, b""):
            with self._log_lock:
                sink.write(raw)
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            self.metrics.feed(line, utcnow())
            if is_stderr and line.strip():
                self._stderr_tail.append(line)
        pipe.close()

    def _failure_reason(self, returncode: int) -> str:
        try:
            text = self.layout.failure.read_text(errors="replace").strip()
        except OSError:
            text = ""
        if text:
            return f"AlgorithmError: {text}"[:MAX_REASON]
        how = f"killed by signal {-returncode}" if returncode < 0 else f"ExitCode {returncode}"
        return f"AlgorithmError: ExecuteUserScriptError: {how}\n{_tail(self._stderr_tail)}".rstrip()

    def _upload(self) -> None:
        layout = self.layout
        artifacts.upload(self.request, self.name, [layout.model], [layout.output_data], layout.output)
        checkpoint_uri = (self.request.get("CheckpointConfig") or {}).get("S3Uri")
        if checkpoint_uri:
            storage.upload_tree(self.layout.checkpoints(self.request), checkpoint_uri)

    def _fail(self, reason: str) -> None:
        if self._stop_kind is not None:
            return self._finish_stopped()
        self._move("Failed", reason)

    def _finish_stopped(self) -> None:
        """A stopped job keeps whatever model it saved, as SageMaker does; upload errors are moot."""
        if self._abandoned:
            return
        if self._proc is not None:
            try:
                self._upload()
            except storage.StorageError as err:
                log.warning("training job %s: artifacts of the stopped job not uploaded: %s", self.name, err)
        # the runtime limit may have struck while a user's stop was under way: the stop wins
        if not self._move(self._stop_kind or "Stopped"):
            self._move("Stopped")
