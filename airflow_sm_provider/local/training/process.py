"""One host's training process: started in its own session, read line by line, ended whole.

The process runs in a new session (its own process group) under the ``launcher``, so ending it
reaches every child it started, those it detached into sessions of their own included, and the
backend's death (even by SIGKILL) ends them all. With a ``cgroup`` (``cgroups.py``), the
launcher starts the script inside it, and once the launcher is gone, however it ended (the
script may have killed it), whatever is left in the cgroup is killed.

Its stdout and stderr are read on two threads: each line goes to the host's log (and, with a
``prefix``, to the job's combined log), with the time it was read to the host's log stream
(``logs/journal.py``, which the Logs API serves), and through the metric regexes. The last
stderr lines are kept for a ``FailureReason`` when the script leaves no ``output/failure``.
"""

from __future__ import annotations

import collections
import logging
import os
import signal
import subprocess
import threading
from typing import IO

from airflow_sm_provider.local import launcher, limits
from airflow_sm_provider.local.cgroups import Cgroup, CgroupError
from airflow_sm_provider.local.logs.journal import JournalWriter, path_for
from airflow_sm_provider.local.times import utcnow
from airflow_sm_provider.local.training import scriptmode
from airflow_sm_provider.local.training.metrics import MetricSeries

log = logging.getLogger(__name__)

MAX_REASON = 1024


def signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def signal_pid(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class HostProcess:
    """The script of one host; ``start()`` launches it, ``wait()`` reaps it and its group.

    :param host: ``algo-1`` ...
    :param layout: the host's ``/opt/ml``.
    :param command: what to run.
    :param metrics: where metric values go (algo-1's output only, as SageMaker's metrics come
        from the first host's log stream).
    :param combined: the job's combined log when the job has several hosts (lines prefixed).
    :param grace: seconds the launcher gives its processes between SIGTERM and SIGKILL.
    :param cgroup: the host's cgroup, created at start and killed once the launcher is gone;
        None where the machine has no usable cgroup.
    """

    def __init__(
        self,
        host: str,
        layout: scriptmode.Layout,
        command: scriptmode.Command,
        metrics: MetricSeries | None,
        combined: tuple[IO[bytes], threading.Lock] | None = None,
        grace: float = 5.0,
        cgroup: Cgroup | None = None,
    ) -> None:
        self.host = host
        self.layout = layout
        self.command = command
        self.metrics = metrics
        self.combined = combined
        self.grace = grace
        self.cgroup = cgroup
        self.proc: subprocess.Popen[bytes] | None = None
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self._readers: list[threading.Thread] = []
        self._sink: IO[bytes] | None = None
        self._journal: JournalWriter | None = None
        self._sink_lock = threading.Lock()

    def start(self) -> None:
        cgroup = self.cgroup.create().path if self.cgroup is not None else None
        self._sink = open(self.layout.log, "ab", buffering=0)  # closed in wait()
        self._journal = JournalWriter(path_for(self.layout.root))  # closed in wait()
        self.proc = subprocess.Popen(
            launcher.command(self.command.argv, os.getpid(), self.grace, cgroup),
            cwd=self.command.cwd,
            env=self.command.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.layout.pid.write_text(str(self.proc.pid))
        if self.metrics is not None:
            self.metrics.on_disabled = self._regex_disabled
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, False), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, True), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            signal_group(self.proc.pid, sig)

    def wait(self, timeout: float | None = None) -> int:
        """Reap the launcher (``TimeoutExpired`` after ``timeout``), then end whatever it left
        running, in its group and in its cgroup, and finish reading its output (a process left
        running could hold the pipes open)."""
        assert self.proc is not None
        returncode = self.proc.wait(timeout=timeout)
        signal_group(self.proc.pid, signal.SIGKILL)
        self._kill_cgroup()
        for reader in self._readers:
            reader.join(timeout=5)
        if self.metrics is not None:
            self.metrics.close()
        if self._sink is not None:
            self._sink.close()
        if self._journal is not None:
            self._journal.close()
        return returncode

    def _kill_cgroup(self) -> None:
        if self.cgroup is None:
            return
        try:
            killed = self.cgroup.kill()
        except CgroupError as err:
            log.warning("%s", err)
            return
        if killed:
            log.warning("%s: killed %d processes its launcher left", self.cgroup.path, killed)

    def _read(self, pipe: IO[bytes], is_stderr: bool) -> None:
        prefix = f"[{self.host}] ".encode()
        for raw in iter(pipe.readline, b""):
            with self._sink_lock:
                assert self._sink is not None
                self._sink.write(raw)
            assert self._journal is not None
            self._journal.append(raw)
            if self.combined is not None:
                sink, lock = self.combined
                with lock:
                    sink.write(prefix + raw)
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if self.metrics is not None:
                self.metrics.feed(line, utcnow())
            if is_stderr and line.strip():
                self._stderr_tail.append(line)
        pipe.close()

    def _regex_disabled(self, name: str, regex: str) -> None:
        """Say in the job's log that a metric stopped being extracted, and why."""
        seconds = limits.METRIC_SECONDS_PER_LINE
        line = (
            f"[sagemaker-local] WARNING: metric {name!r}: regex {regex!r} took longer than {seconds:g} s "
            "on one output line and is disabled for this job\n"
        ).encode()
        with self._sink_lock:
            if self._sink is not None:
                self._sink.write(line)
        if self._journal is not None:
            self._journal.append(line)

    def failure_reason(self, returncode: int) -> str:
        """``output/failure`` if the script wrote one, else the exit and the last stderr lines."""
        try:
            text = self.layout.failure.read_text(errors="replace").strip()
        except OSError:
            text = ""
        if text:
            return f"AlgorithmError: {text}"[:MAX_REASON]
        how = f"killed by signal {-returncode}" if returncode < 0 else f"ExitCode {returncode}"
        tail = "\n".join(self._stderr_tail)[-(MAX_REASON - 120) :]
        return f"AlgorithmError: ExecuteUserScriptError: {how}\n{tail}".rstrip()
