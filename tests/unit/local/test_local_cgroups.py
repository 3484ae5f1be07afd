"""The cgroups that hold a job's processes, against this machine's real hierarchies.

Each behaviour is checked for every kind of hierarchy (``cgroups.KINDS``) this machine lets us
use, and skipped, with the reason, for the others: creating cgroups needs root or a delegated
subtree. Every cgroup and process a test makes is gone when it ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_sm_provider.local import cgroups

DETACHES = (
    "import subprocess, sys, time; "
    "s = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'], start_new_session=True); "
    "print(s.pid, flush=True); time.sleep(300)"
)
# four processes that fork and exit in a loop: each one's pid changes all the time, so a kill by
# a list of pids read beforehand always misses some; a detached session of its own, too
FORK_LOOP = (
    "import os, sys; os.setsid()\n"
    "for _ in range(2):\n"
    "    os.fork()\n"
    "print('forking', flush=True)\n"
    "while True:\n"
    "    if os.fork():\n"
    "        os._exit(0)\n"
)


def _usable(home: Path, kind: str) -> cgroups.Cgroup:
    try:
        return cgroups.find(home, (kind,))
    except cgroups.CgroupUnavailable as err:
        pytest.skip(f"no writable {kind} cgroup hierarchy on this machine (needs root or delegation): {err}")


@pytest.fixture(params=cgroups.KINDS)
def parent(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[cgroups.Cgroup]:
    parent = _usable(tmp_path / "home", request.param)
    yield parent
    parent.kill()
    assert not parent.path.exists()


def _tagged() -> str:
    return f"cgroup-test-{uuid.uuid4().hex}"


def _with_tag(tag: str) -> list[int]:
    """Live processes whose command line carries ``tag`` (a fork keeps its parent's)."""
    found = []
    for entry in os.scandir("/proc"):
        try:
            if entry.name.isdigit() and tag.encode() in Path(entry.path, "cmdline").read_bytes():
                if Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def _start_inside(cgroup: cgroups.Cgroup, code: str, tag: str) -> subprocess.Popen[str]:
    """Run ``code`` once its process is in ``cgroup``, as the launcher does for a script."""
    proc = subprocess.Popen(
        [sys.executable, "-c", f"import sys; sys.stdin.readline()\n{code}", tag],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None
    cgroup.create().add(proc.pid)
    proc.stdin.write("go\n")
    proc.stdin.flush()
    return proc


@pytest.fixture
def reaper() -> Iterator[list[str]]:
    """Tags whose processes are killed after the test, whatever it left."""
    tags: list[str] = []
    yield tags
    for tag in tags:
        for pid in _with_tag(tag):
            try:
                os.kill(pid, 9)
            except OSError:
                pass


def test_kill_ends_a_process_that_detached_itself_and_removes_the_cgroup(parent, reaper):
    reaper.append(tag := _tagged())
    job = parent.child("job").child("algo-1")
    proc = _start_inside(job, DETACHES, tag)
    assert proc.stdout is not None
    detached = int(proc.stdout.readline())
    assert detached in job.pids()

    killed = parent.child("job").kill()

    proc.wait(5)
    assert killed == 2
    assert _with_tag(tag) == []
    assert not (parent.path / "job").exists()


def test_kill_ends_a_fork_loop_whole(parent, reaper):
    reaper.append(tag := _tagged())
    job = parent.child("forks")
    proc = _start_inside(job, FORK_LOOP, tag)
    assert proc.stdout is not None
    proc.stdout.readline()

    job.kill()

    proc.wait(5)
    assert _with_tag(tag) == []
    assert not job.path.exists()


def test_a_backend_kills_only_the_cgroups_of_its_own_home(parent, tmp_path, reaper):
    reaper.append(mine := _tagged())
    reaper.append(theirs := _tagged())
    other = _usable(tmp_path / "other-home", parent.kind)
    assert other.path != parent.path
    try:
        _start_inside(parent.child("job"), "import time; time.sleep(300)", mine)
        _start_inside(other.child("job"), "import time; time.sleep(300)", theirs)

        parent.kill()

        assert _with_tag(mine) == []
        assert len(_with_tag(theirs)) == 1
    finally:
        other.kill()


def test_killing_a_cgroup_that_does_not_exist_does_nothing(parent):
    assert parent.child("never-created").kill() == 0


def test_the_parent_is_named_from_the_home_alone(tmp_path):
    home = tmp_path / "home"
    assert cgroups.parent_name(home) == cgroups.parent_name(Path(str(home)))
    assert cgroups.parent_name(home) != cgroups.parent_name(tmp_path / "other")
    assert cgroups.parent_name(home).startswith(cgroups.PREFIX)


MOUNTINFO = """\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
41 31 0:38 /user.slice /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
"""
PROC_CGROUP = """\
8:pids:/
6:freezer:/jobs
0::/user.slice/user-1000.slice/user@1000.service/app.slice/backend.service
"""


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("v2", "/sys/fs/cgroup/unified/user-1000.slice/user@1000.service/app.slice/backend.service"),
        ("freezer", "/sys/fs/cgroup/freezer/jobs"),
        ("pids", "/sys/fs/cgroup/pids"),
        ("memory", None),
    ],
)
def test_own_cgroup_is_read_from_the_mount_table_and_proc_self_cgroup(kind, expected):
    found = cgroups.own_cgroup(kind, MOUNTINFO, PROC_CGROUP)
    assert found == (Path(expected) if expected else None)


def test_without_a_usable_hierarchy_find_says_why_for_each_kind(tmp_path):
    with pytest.raises(cgroups.CgroupUnavailable, match="memory: not one of v2, freezer, pids"):
        cgroups.find(tmp_path, ("memory",))
    with pytest.raises(cgroups.CgroupUnavailable, match="no cgroup kind"):
        cgroups.find(tmp_path, ())


def test_a_cgroup_name_cannot_climb_out_of_its_parent():
    root = cgroups.Cgroup(Path("/sys/fs/cgroup/unified/x"), "v2")
    for name in ("..", "a/b", "", ".hidden"):
        with pytest.raises(ValueError):
            root.child(name)
