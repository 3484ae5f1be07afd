"""The exec wrapper every training process starts under: nothing a job starts outlives it.

``python -I launcher.py --parent PID --grace SECONDS [--cgroup DIR] -- ARGV...`` runs ARGV as its
child and stays beside it, so that the job's processes end with the job and with the backend,
whatever the job does:

- with ``--cgroup``, it first moves itself into that cgroup (``cgroups.py``), so the script and
  everything it starts are born there, and stay there whatever they do short of writing to the
  hierarchy: the backend kills the cgroup when the launcher is gone, even if the script killed
  the launcher, and a restart kills what a killed backend left in its cgroups. The rest of this
  list holds with or without a cgroup, and is all a machine without a usable one has;
- it is a *child subreaper* (``PR_SET_CHILD_SUBREAPER``): a process the script detaches (double
  fork, ``setsid``, ``start_new_session``) is re-parented to the launcher, not to init, so every
  process the job started stays a descendant the launcher can find;
- when the script exits (completed, failed), every descendant left is killed before the
  launcher exits, so a job's end is the end of all its processes (found by parent pid in
  ``/proc``: a process that keeps forking and exiting can slip past this sweep, not past a
  cgroup);
- SIGTERM (a stop or a runtime limit: the backend signals the launcher's process group) is
  passed on to every descendant, in any session, and becomes SIGKILL after ``grace`` seconds;
- its *parent-death signal* (``PR_SET_PDEATHSIG``) is SIGTERM: when the backend dies, even by
  SIGKILL, the kernel tells the launcher, which kills every descendant at once and exits.

It is set up in a process of its own rather than in ``subprocess``'s ``preexec_fn``, which is
unsafe in a threaded program such as the backend. Nothing here depends on the job's environment,
which the job controls. Standard library only, and run with ``-I``: it starts before, and
independently of, anything the job brings.

The parent-death signal follows the *thread* that started the launcher: the backend starts it
from the job's runner thread, which lives until the job's processes are reaped.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
SWEEP_SECONDS = 5.0  # how long the final sweep keeps killing processes that keep forking


def command(argv: list[str], parent: int, grace: float, cgroup: Path | None = None) -> list[str]:
    """``argv`` run under the launcher, for a backend whose pid is ``parent``; inside the cgroup
    whose directory is ``cgroup`` if one is given."""
    options = ["--parent", str(parent), "--grace", str(grace)]
    if cgroup is not None:
        options += ["--cgroup", str(cgroup)]
    return [sys.executable, "-I", str(Path(__file__).resolve()), *options, "--", *argv]


def is_launcher(pid: int, directory: Path) -> bool:
    """Whether ``pid`` is a launcher working inside ``directory`` (read from ``/proc``: its
    command line and working directory, which the code it runs cannot change)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return False
    ours = str(Path(__file__).resolve()).encode() in argv[:4]
    return ours and cwd.is_relative_to(directory.resolve())


def _prctl(option: int, value: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):  # not Linux: the process group is all there is
        return False


def descendants(root: int) -> list[int]:
    """Every live process below ``root`` (by parent pid, read from ``/proc``)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != b"Z":
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _signal_all(sig: int, *, outside_group: bool = False) -> None:
    """Signal every descendant; with ``outside_group``, only those that left the launcher's
    process group (the group itself got the signal from the backend already)."""
    group = os.getpgrp()
    for pid in descendants(os.getpid()):
        try:
            if not outside_group or os.getpgid(pid) != group:
                os.kill(pid, sig)
        except OSError:
            pass


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def sweep() -> None:
    """Kill every descendant until none is left (or ``SWEEP_SECONDS`` of one that keeps forking)."""
    deadline = time.monotonic() + SWEEP_SECONDS
    while descendants(os.getpid()) and time.monotonic() < deadline:
        _signal_all(signal.SIGKILL)
        _reap()
        time.sleep(0.01)
    _reap()


def _parse(argv: list[str]) -> tuple[int, float, str | None, list[str]]:
    split = argv.index("--")
    options = dict(zip(argv[:split:2], argv[1:split:2], strict=True))
    return int(options["--parent"]), float(options["--grace"]), options.get("--cgroup"), argv[split + 1 :]


def _join(cgroup: str) -> bool:
    """Move this process into ``cgroup`` (a directory with a ``cgroup.procs`` file)."""
    try:
        with open(os.path.join(cgroup, "cgroup.procs"), "w") as procs:
            procs.write(str(os.getpid()))
    except OSError as err:
        print(f"sagemaker-local: cannot join the job's cgroup {cgroup}: {err}", file=sys.stderr)
        return False
    return True


def _install_handlers(parent: int, grace: float) -> None:
    def on_alarm(signum: int, frame: object) -> None:
        _signal_all(signal.SIGKILL)

    def on_term(signum: int, frame: object) -> None:
        if os.getppid() != parent:  # the backend is gone: nobody will wait for a grace
            _signal_all(signal.SIGKILL)
            return
        _signal_all(signal.SIGTERM, outside_group=True)
        signal.setitimer(signal.ITIMER_REAL, max(0.1, grace * 0.8))

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _spawn(target: list[str]) -> int:
    child = os.fork()
    if child == 0:  # the script: default signal handling, then exec
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        try:
            os.execvp(target[0], target)
        except OSError as err:
            print(f"cannot run {target[0]!r}: {err}", file=sys.stderr)
        os._exit(127)
    return child


def _exit_like(status: int) -> int:
    """The script's own exit status, a death by signal included."""
    if not os.WIFSIGNALED(status):
        return os.WEXITSTATUS(status)
    sig = os.WTERMSIG(status)
    try:
        signal.signal(sig, signal.SIG_DFL)
    except (OSError, ValueError):  # SIGKILL and SIGSTOP keep their default anyway
        pass
    os.kill(os.getpid(), sig)
    return 128 + sig


def main(argv: list[str]) -> int:
    parent, grace, cgroup, target = _parse(argv)
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the backend died before the signal was armed
        return 1
    if cgroup is not None and not _join(cgroup):  # the backend counts on the cgroup: never run untracked
        return 1
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    _install_handlers(parent, grace)
    child = _spawn(target)
    while True:  # reap re-parented orphans too, until the script itself has ended
        pid, status = os.waitpid(-1, 0)
        if pid == child:
            break
    signal.setitimer(signal.ITIMER_REAL, 0)
    sweep()
    return _exit_like(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
