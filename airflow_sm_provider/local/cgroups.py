"""Cgroups that hold every process of a training job, so that a job's end can end them all.

A process cannot leave its cgroup by forking, detaching (``setsid``, double fork) or killing its
launcher: only a write to a ``cgroup.procs`` file moves it, which needs write access to the
hierarchy. So a job's processes are found, and killed, by their cgroup rather than by parent
pids or process groups. This is a safety net for the jobs of one backend, not a sandbox: code
running as root, or as the owner of a delegated subtree, could move itself out.

Where the cgroups are (``find``): below the backend's own cgroup, in the first hierarchy of
``kinds`` where a child can be created and a process moved into it and killed (a probe does
exactly that):

- ``v2``: the unified hierarchy (``/proc/self/cgroup`` ``0::/path``), writable when run as root
  or in a subtree delegated to this user (a systemd user service); killed with ``cgroup.kill``,
  or frozen with ``cgroup.freeze`` where the kernel has no ``cgroup.kill`` (before 5.14);
- ``freezer``: the v1 freezer; frozen before the kill, so a process that keeps forking cannot
  outrun it;
- ``pids``: the v1 pids controller; ``pids.max`` set to 0 before the kill, for the same reason.

Each backend has a parent cgroup named from its home (``sagemaker-local-<hash>``), so two
backends on one machine never touch each other's jobs and a restart finds what a killed
backend left; each job a child, each of its hosts a grandchild. ``Cgroup.kill()`` ends every
process in a cgroup and below and removes the directories; ``CgroupError`` says what it could
not do, ``CgroupUnavailable`` why no hierarchy is usable.
"""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["KINDS", "Cgroup", "CgroupError", "CgroupUnavailable", "find"]

KINDS = ("v2", "freezer", "pids")
KILL_SECONDS = 5.0  # how long a kill waits for every process to end and the directories to go
FREEZE_SECONDS = 1.0  # a process in uninterruptible sleep may keep a freeze from completing
PREFIX = "sagemaker-local-"


class CgroupError(Exception):
    """A cgroup could not be created, joined, or emptied and removed."""


class CgroupUnavailable(CgroupError):
    """No hierarchy of the kinds asked for is usable here; the message says why, per kind."""


@dataclass(frozen=True)
class Cgroup:
    """One cgroup: a directory of a hierarchy of ``kind`` (one of ``KINDS``).

    :param path: its directory, e.g. ``/sys/fs/cgroup/.../sagemaker-local-<hash>/<job>``.
    :param kind: the hierarchy's kind, which decides how a kill stops forks.
    """

    path: Path
    kind: str

    def child(self, name: str) -> Cgroup:
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"not a cgroup name: {name!r}")
        return Cgroup(self.path / name, self.kind)

    def create(self) -> Cgroup:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise CgroupError(f"cannot create cgroup {self.path}: {err}") from err
        return self

    def add(self, pid: int) -> None:
        """Move process ``pid`` (all its threads) into this cgroup."""
        try:
            (self.path / "cgroup.procs").write_text(str(pid))
        except OSError as err:
            raise CgroupError(f"cannot move process {pid} into cgroup {self.path}: {err}") from err

    def pids(self) -> list[int]:
        """Every process in this cgroup and below (none if it does not exist)."""
        found = []
        for directory, _, _ in os.walk(self.path):
            try:
                found += [int(pid) for pid in Path(directory, "cgroup.procs").read_text().split()]
            except (OSError, ValueError):  # removed meanwhile
                continue
        return found

    def kill(self, timeout: float = KILL_SECONDS) -> int:
        """SIGKILL every process in this cgroup and below, wait until they are gone, remove the
        directories; the number of processes killed. ``CgroupError`` if some outlive ``timeout``
        or a directory stays (a later kill, or the next backend start, tries again)."""
        if not self.path.is_dir():
            return 0
        if os.getpid() in self.pids():
            raise CgroupError(f"cgroup {self.path} holds this process; it kills only its jobs' cgroups")
        deadline = time.monotonic() + timeout
        killed = set(self._kill_all())
        while left := self.pids():
            if time.monotonic() > deadline:
                raise CgroupError(f"{len(left)} processes of cgroup {self.path} outlived SIGKILL: {left}")
            killed |= set(_signal(left))  # only the pids kind can leave any: not atomic
            time.sleep(0.005)
        self._remove(deadline)
        return len(killed)

    def _kill_all(self) -> list[int]:
        """Kill without a race against forks: nothing in the subtree can fork meanwhile."""
        if self.kind == "v2" and (self.path / "cgroup.kill").exists():
            pids = self.pids()
            self._write("cgroup.kill", "1")  # the kernel kills the whole subtree at once
            return pids
        stop, resume = {
            "v2": (("cgroup.freeze", "1"), ("cgroup.freeze", "0")),
            "freezer": (("freezer.state", "FROZEN"), ("freezer.state", "THAWED")),
            "pids": (("pids.max", "0"), ("pids.max", "max")),
        }[self.kind]
        self._write(*stop)
        try:
            self._wait_frozen()
            return _signal(self.pids())
        finally:  # a frozen process dies of its SIGKILL once thawed
            self._write(*resume)

    def _wait_frozen(self) -> None:
        deadline = time.monotonic() + FREEZE_SECONDS
        while time.monotonic() < deadline:
            if self.kind == "freezer" and self._read("freezer.state") != "FROZEN":
                time.sleep(0.002)
            elif self.kind == "v2" and "frozen 1" not in self._read("cgroup.events").splitlines():
                time.sleep(0.002)
            else:
                return

    def _remove(self, deadline: float) -> None:
        """``rmdir`` from the leaves up; an emptied cgroup may stay busy for a moment."""
        for directory, _, _ in os.walk(self.path, topdown=False):
            while True:
                try:
                    os.rmdir(directory)
                    break
                except FileNotFoundError:
                    break
                except OSError as err:
                    if err.errno != errno.EBUSY or time.monotonic() > deadline:
                        raise CgroupError(f"cannot remove cgroup {directory}: {err}") from err
                    time.sleep(0.005)

    def _write(self, name: str, value: str) -> None:
        try:
            (self.path / name).write_text(value)
        except OSError as err:
            raise CgroupError(f"cannot write {value!r} to {self.path / name}: {err}") from err

    def _read(self, name: str) -> str:
        try:
            return (self.path / name).read_text().strip()
        except OSError:
            return ""


def _signal(pids: Sequence[int]) -> list[int]:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return list(pids)


def parent_name(home: Path) -> str:
    """The name of a backend's parent cgroup: the same for one home, different for two."""
    digest = hashlib.sha256(str(Path(home).absolute()).encode()).hexdigest()[:16]
    return PREFIX + digest


def own_cgroup(kind: str, mountinfo: str, cgroups: str) -> Path | None:
    """The directory of this process's cgroup in the hierarchy of ``kind``, from the text of
    ``/proc/self/mountinfo`` and ``/proc/self/cgroup``; None if that hierarchy is not mounted."""
    mounts: list[tuple[Path, str]] = []  # mount point, the cgroup path mounted there
    for line in mountinfo.splitlines():
        fields, _, rest = line.partition(" - ")
        parts, extra = fields.split(), rest.split()
        if len(parts) < 5 or len(extra) < 3:
            continue
        fstype, options = extra[0], extra[2].split(",")
        if (kind == "v2" and fstype == "cgroup2") or (fstype == "cgroup" and kind in options):
            mounts.append((Path(parts[4]), parts[3]))
    for line in cgroups.splitlines():
        hierarchy, controllers, path = [*line.split(":", 2), "", ""][:3]
        if (kind == "v2" and hierarchy == "0" and controllers == "") or kind in controllers.split(","):
            for mount_point, root in mounts:
                if path == root or path.startswith(root.rstrip("/") + "/"):
                    return mount_point / path[len(root) :].lstrip("/")
    return None


def find(home: Path, kinds: Sequence[str] = KINDS) -> Cgroup:
    """The parent cgroup of the backend whose home is ``home`` (not created), in the first of
    ``kinds`` that works here; ``CgroupUnavailable`` saying why none does."""
    reasons = []
    for kind in kinds:
        if kind not in KINDS:
            reasons.append(f"{kind}: not one of {', '.join(KINDS)}")
            continue
        try:
            mountinfo = Path("/proc/self/mountinfo").read_text()
            own = own_cgroup(kind, mountinfo, Path("/proc/self/cgroup").read_text())
        except OSError as err:
            reasons.append(f"{kind}: {err}")
            continue
        if own is None:
            reasons.append(f"{kind}: not mounted")
            continue
        parent = Cgroup(own / parent_name(home), kind)
        try:
            _probe(parent)
        except CgroupError as err:
            reasons.append(f"{kind}: {err}")
            continue
        return parent
    raise CgroupUnavailable("; ".join(reasons) or "no cgroup kind asked for")


def _probe(parent: Cgroup) -> None:
    """Do once what every job will do: create a cgroup, move a process in, kill it, remove it."""
    created = not parent.path.exists()
    probe = parent.child(f"probe-{os.getpid()}")
    process = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        probe.create().add(process.pid)
        if process.pid not in probe.pids():
            raise CgroupError(f"a process moved into {probe.path} is not listed there")
        probe.kill()
    finally:
        process.kill()
        process.wait()
        _rmdir(probe.path)
        if created:
            _rmdir(parent.path)


def _rmdir(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass
