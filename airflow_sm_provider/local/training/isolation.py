"""``EnableNetworkIsolation``: the training process gets a network namespace of its own.

On SageMaker an isolated container has no network at all. Here the script is started through
``unshare --net``: a new network namespace with only a loopback interface, which is down, so
every connection fails (the backend downloads inputs and uploads outputs itself, outside it).
Creating the namespace needs ``CAP_SYS_ADMIN`` (root) or unprivileged user namespaces
(``unshare --user --map-current-user --net``). Which form works is probed once, by running
``true`` in each; if none does, jobs asking for isolation are refused at create with the reason,
never run with the network silently left open.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

CANDIDATES: tuple[tuple[str, ...], ...] = (
    ("unshare", "--net"),
    ("unshare", "--user", "--map-current-user", "--net"),
    ("unshare", "--user", "--map-root-user", "--net"),
)


@dataclass(frozen=True)
class NetworkIsolation:
    """How to isolate a process (``wrapper``, put before its argv), or why it cannot be done."""

    wrapper: tuple[str, ...] | None
    reason: str = ""

    @classmethod
    def detect(cls, candidates: Sequence[tuple[str, ...]] = CANDIDATES) -> NetworkIsolation:
        """The first candidate that runs ``true`` in a new network namespace."""
        errors = []
        for candidate in candidates:
            if shutil.which(candidate[0]) is None:
                errors.append(f"{candidate[0]}: not installed")
                continue
            try:
                done = subprocess.run(
                    [*candidate, "true"], capture_output=True, text=True, timeout=10, check=False
                )
            except (OSError, subprocess.TimeoutExpired) as err:
                errors.append(f"{' '.join(candidate)}: {err}")
                continue
            if done.returncode == 0:
                return cls(wrapper=tuple(candidate))
            errors.append(f"{' '.join(candidate)}: {done.stderr.strip() or f'exit {done.returncode}'}")
        return cls(wrapper=None, reason="; ".join(errors))

    def refusal(self) -> str:
        """The message of a refused isolated job: why, and how to run without isolation."""
        return (
            "EnableNetworkIsolation: this machine cannot give the training process a network "
            f"namespace of its own ({self.reason}), so the local backend cannot enforce it. Run "
            "the backend as root or enable unprivileged user namespaces (sysctl "
            "kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0), or set "
            "EnableNetworkIsolation to false for local runs"
        )
