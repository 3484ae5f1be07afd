"""One training job as real OS processes, one per host, driven from its own thread.

The runner owns the processes: it downloads inputs, starts each host's script (``process``),
enforces ``MaxRuntimeInSeconds`` (training time, over every run) and, for managed spot jobs,
``MaxWaitTimeInSeconds`` (wall time since the job started, interruptions included), keeps the
checkpoint directory in step with ``CheckpointConfig.S3Uri``, and uploads the model. It never
touches the backend's state directly: it asks ``advance(secondary_status, reason)`` to record a
transition, and the backend answers whether the job may move (a job being stopped may not
enter ``Uploading``, for instance).

A job fails as soon as any host fails, with that host's reason; the other hosts are ended.
Stopping, by the user or by a limit: SIGTERM to every host's process group, then SIGKILL after
``grace`` seconds (SageMaker gives 120 s; locally a few seconds). A simulated spot interruption
ends the hosts the same way, syncs the checkpoints, and starts the job again on fresh hosts
(``Interrupted`` -> ``Starting``), which restore the checkpoints before the script starts.

With a ``cgroup``, each host runs in a child of it (``<job>/<host>``), killed as soon as the
host's launcher is gone; once every host has ended, the job's cgroup is killed too, so that
nothing of a run outlives it, whatever the script did to its launcher.
"""

from __future__ import annotations

import logging
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime

from airflow_sm_provider.local import launcher
from airflow_sm_provider.local.algorithms import builtin_for
from airflow_sm_provider.local.cgroups import Cgroup, CgroupError
from airflow_sm_provider.local.times import utcnow
from airflow_sm_provider.local.training import artifacts, pipes, scriptmode, storage, toolkit
from airflow_sm_provider.local.training.checkpoints import CheckpointSync
from airflow_sm_provider.local.training.metrics import MetricSeries
from airflow_sm_provider.local.training.options import TrainingOptions
from airflow_sm_provider.local.training.process import HostProcess, signal_group, signal_pid

log = logging.getLogger(__name__)

Advance = Callable[[str, "str | None"], bool]
INTERRUPTED = "Interrupted"


def host_layouts(root: scriptmode.Layout, request: dict) -> dict[str, scriptmode.Layout]:
    """Each host's ``/opt/ml``: the job directory itself for one host, ``<job>/<host>`` for more."""
    hosts = toolkit.hosts(request)
    if len(hosts) == 1:
        return {hosts[0]: root}
    return {host: scriptmode.Layout(root.root / host) for host in hosts}


def kill_orphan(layout: scriptmode.Layout) -> bool:
    """Kill what a dead backend left running for this job; True if there was anything.

    The pid files alone are not trusted (pids are reused): the process must be a launcher
    working in this job's directory, which the job's code cannot change (its environment it
    can). Its descendants, detached ones included, go first, then its process group.
    """
    killed = False
    for pid_file in [layout.pid, *layout.root.glob("algo-*/pid")]:
        try:
            pid = int(pid_file.read_text())
        except (OSError, ValueError):
            continue
        if launcher.is_launcher(pid, layout.root):
            for descendant in launcher.descendants(pid):
                signal_pid(descendant, signal.SIGKILL)
            signal_group(pid, signal.SIGKILL)
            killed = True
    return killed


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
    :param options: the backend's training options (spot interruptions, isolation wrapper).
    :param wrapper: argv put before each script's interpreter (network isolation).
    :param created: when the job was created (MaxWaitTimeInSeconds counts every attempt).
    :param cgroup: the job's cgroup (see ``cgroups.py``); None where the machine has none usable.
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
        options: TrainingOptions | None = None,
        wrapper: tuple[str, ...] = (),
        created: datetime | None = None,
        cgroup: Cgroup | None = None,
    ) -> None:
        self.name = name
        self.arn = arn
        self.request = request
        self.layout = layout
        self.metrics = metrics
        self.options = options or TrainingOptions()
        self.wrapper = wrapper
        self.created = created or utcnow()
        self.cgroup = cgroup
        self.layouts = host_layouts(layout, request)
        self._advance = advance
        self._on_exit = on_exit
        self.grace = grace
        self._lock = threading.Lock()
        self._hosts: list[HostProcess] = []
        self._started_any = False
        self._stop_kind: str | None = None  # "Stopped", "MaxRuntimeExceeded", "MaxWaitTimeExceeded"
        self._interrupting = False
        self._abandoned = False
        self._timers: list[threading.Timer] = []
        self._syncs: list[CheckpointSync] = []
        self._feeders: list[pipes.PipeFeeder] = []
        self._trained = 0.0  # seconds of training over every run, for MaxRuntimeInSeconds
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
            hosts = list(self._hosts)
        self._terminate(hosts)

    def interrupt(self) -> None:
        """A simulated spot interruption: end this run; the job starts again unless stopping."""
        with self._lock:
            if self._stop_kind is not None:
                return
            self._interrupting = True
            hosts = list(self._hosts)
        self._terminate(hosts)

    def abandon(self) -> None:
        """Backend shutdown: end the processes and record nothing more (a restart marks it Failed)."""
        self._abandoned = True
        self.stop("Stopped")

    def _terminate(self, hosts: list[HostProcess]) -> None:
        for host in hosts:
            host.signal(signal.SIGTERM)
        self._after(self.grace, lambda: self._kill(hosts))

    @staticmethod
    def _kill(hosts: list[HostProcess]) -> None:
        for host in hosts:
            host.signal(signal.SIGKILL)

    def _after(self, seconds: float, action: Callable[[], object]) -> None:
        timer = threading.Timer(max(0.0, seconds), action)
        timer.daemon = True
        with self._lock:
            self._timers.append(timer)
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
            with self._lock:
                for timer in self._timers:  # never signal a pid that may be reused later
                    timer.cancel()
            if self._on_exit is not None:
                self._on_exit()

    def _lifecycle(self) -> None:
        stopping = self.request.get("StoppingCondition") or {}
        if self.request.get("EnableManagedSpotTraining") and stopping.get("MaxWaitTimeInSeconds"):
            waited = (utcnow() - self.created).total_seconds()
            self._after(stopping["MaxWaitTimeInSeconds"] - waited, lambda: self.stop("MaxWaitTimeExceeded"))
        attempt = 0
        while self._run_once(attempt):
            attempt += 1

    def _run_once(self, attempt: int) -> bool:
        """One run on fresh hosts; True if a spot interruption asks for another."""
        if not self._move("Downloading"):
            self._finish_stopped()
            return False
        hosts = self._prepare()
        if hosts is None:
            return False
        if not self._move("Training"):
            self._finish_stopped()
            return False
        log.info("training job %s started; log: %s", self.name, self.layout.log)
        failed = self._execute(hosts, attempt)
        self._flush_checkpoints()
        if self._abandoned:
            return False
        if self._stop_kind is not None:
            self._finish_stopped()
        elif self._interrupting:
            if self._move(INTERRUPTED) and self._move("Starting"):
                self._interrupting = False
                self._fresh_hosts()
                return True
            self._finish_stopped()
        elif failed is not None:
            self._fail(failed)
        else:
            self._complete()
        return False

    def fresh_start(self) -> None:
        """Before a retry: the new attempt starts on fresh hosts, as on a new instance."""
        self._fresh_hosts()

    def _fresh_hosts(self) -> None:
        """A new spot instance has nothing of the old one but what went to S3."""
        for layout in self.layouts.values():
            for path in (
                layout.input,
                layout.model,
                layout.output,
                layout.code,
                layout.checkpoints(self.request),
            ):
                shutil.rmtree(path, ignore_errors=True)

    def _prepare(self) -> list[HostProcess] | None:
        """Downloading: lay out every host's directory, fetch inputs and code; the processes to
        start, or None when the job has ended (failed, or stopped meanwhile)."""
        entry = scriptmode.program(self.request)
        builtin = builtin_for(self.request)
        checkpoint_uri = (self.request.get("CheckpointConfig") or {}).get("S3Uri")
        several = len(self.layouts) > 1
        hosts, self._syncs, self._feeders = [], [], []
        for host, layout in self.layouts.items():
            layout.make(self.request)
            scriptmode.write_config(layout, self.request, host)
            try:
                restored = scriptmode.fetch_inputs(layout, self.request, host)
            except storage.StorageError as err:
                self._fail(f"ClientError: {err}")
                return None
            if not entry and builtin is None:
                self._fail(
                    "ClientError: the local backend runs SageMaker script-mode jobs only: set the "
                    "'sagemaker_program' hyperparameter (and 'sagemaker_submit_directory'); it cannot "
                    "run container images"
                )
                return None
            if builtin is None and not scriptmode.inside(layout.code, entry or ""):
                self._fail(f"ClientError: sagemaker_program {entry!r} not found in the submitted code")
                return None
            if checkpoint_uri:
                sync = CheckpointSync(layout.checkpoints(self.request), checkpoint_uri, self.name)
                if restored:
                    sync.mark_restored()
                self._syncs.append(sync)
            module = builtin.module if builtin is not None else None
            command = scriptmode.command(
                layout, self.request, self.name, self.arn, host, self.wrapper, module
            )
            for channel in self.request.get("InputDataConfig") or []:
                source = layout.pipes / channel["ChannelName"]
                if pipes.is_pipe(self.request, channel) and source.is_dir():
                    self._feeders.append(pipes.PipeFeeder(source, layout.data, channel))
            metrics = self.metrics if host == toolkit.hosts(self.request)[0] else None
            cgroup = self.cgroup.child(host) if self.cgroup is not None else None
            hosts.append(HostProcess(host, layout, command, metrics, grace=self.grace, cgroup=cgroup))
        if several:
            self.layout.root.mkdir(parents=True, exist_ok=True)
        return hosts

    def _execute(self, hosts: list[HostProcess], attempt: int) -> str | None:
        """Run every host until all end or one fails; the first failure's reason, else None."""
        max_runtime = (self.request.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds", 86400)
        started = time.monotonic()
        with ExitStack() as stack:
            stack.callback(self._kill_cgroup)  # last, whatever happens
            if len(hosts) > 1:
                combined = stack.enter_context(open(self.layout.log, "ab", buffering=0))
                lock = threading.Lock()
                for host in hosts:
                    host.combined = (combined, lock)
            with self._lock:
                if self._stop_kind is not None or self._interrupting:
                    return None
                for host in hosts:
                    host.start()
                self._hosts = hosts
                self._started_any = True
            for sync in self._syncs:
                sync.start()
            for feeder in self._feeders:
                feeder.start()
            delay = self._interruption_delay(attempt)
            if delay is not None:
                self._after(delay, self.interrupt)
            failed = self._wait_all(hosts, started + max(0.0, max_runtime - self._trained))
            for feeder in self._feeders:
                feeder.stop()
        self._trained += time.monotonic() - started
        return failed

    def _wait_all(self, hosts: list[HostProcess], deadline: float) -> str | None:
        pending, failed = list(hosts), None
        while pending:
            for host in list(pending):
                try:
                    returncode = host.wait(timeout=0.05)
                except subprocess.TimeoutExpired:
                    continue
                pending.remove(host)
                if returncode != 0 and failed is None:
                    failed = host.failure_reason(returncode)
                    if len(hosts) > 1:
                        failed = failed.replace("AlgorithmError: ", f"AlgorithmError: {host.host}: ", 1)
                    self._terminate(pending)  # one host failing fails the job
            if pending and time.monotonic() > deadline:
                self.stop("MaxRuntimeExceeded")
                deadline = float("inf")
        return failed

    def _kill_cgroup(self) -> None:
        """Every host has ended and killed its own cgroup: this removes the job's and catches
        anything a failed host kill left."""
        if self.cgroup is None:
            return
        try:
            if killed := self.cgroup.kill():
                log.warning(
                    "training job %s: killed %d processes left after its hosts ended", self.name, killed
                )
        except CgroupError as err:
            log.warning("training job %s: %s", self.name, err)

    def _interruption_delay(self, attempt: int) -> float | None:
        if self.options.spot is None or not self.request.get("EnableManagedSpotTraining"):
            return None
        return self.options.spot.delay(self.name, attempt)

    def _flush_checkpoints(self) -> None:
        for sync in self._syncs:
            sync.flush()

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

    def _upload(self) -> None:
        layouts = list(self.layouts.values())
        artifacts.upload(
            self.request,
            self.name,
            [layout.model for layout in layouts],
            [layout.output_data for layout in layouts],
            self.layout.output,
        )

    def _fail(self, reason: str) -> None:
        if self._stop_kind is not None:
            return self._finish_stopped()
        self._move("Failed", reason)

    def _finish_stopped(self) -> None:
        """A stopped job keeps whatever model it saved, as SageMaker does; upload errors are moot."""
        if self._abandoned:
            return
        if self._started_any:
            try:
                self._upload()
            except storage.StorageError as err:
                log.warning("training job %s: artifacts of the stopped job not uploaded: %s", self.name, err)
        # a limit may have struck while a user's stop was under way: the stop wins
        if not self._move(self._stop_kind or "Stopped"):
            self._move("Stopped")
