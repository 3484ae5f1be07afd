"""Deterministic job names and identity tags for task instances.

A job started without an explicit name is called ``<readable prefix>-<8 hex>`` where the hash
covers (dag_id, task_id, run_id, map_index): the same task instance always derives the same
name, so a retry can find the job its earlier attempt started. When that job failed or was
stopped, the next one gets an attempt suffix (``-2``, ``-3``, ...). The tags let anyone (and
an explicit-name reattach) tell which task instance started a job.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
_INVALID = re.compile(r"[^a-zA-Z0-9]+")
_TAG_VALUE_INVALID = re.compile(r"[^\w .:/=+\-@]")
#: Room kept at the end of a derived name for an attempt suffix such as ``-12``.
SUFFIX_ROOM = 3
HASH_LENGTH = 8
TAG_TASK_INSTANCE = "airflow-task-instance"


@dataclass(frozen=True)
class TaskIdentity:
    dag_id: str
    task_id: str
    run_id: str
    map_index: int = -1

    @classmethod
    def from_context(cls, context: Any) -> TaskIdentity:
        ti = context["ti"]
        map_index = getattr(ti, "map_index", -1)
        return cls(ti.dag_id, ti.task_id, ti.run_id, -1 if map_index is None else int(map_index))

    @property
    def digest(self) -> str:
        raw = "\0".join((self.dag_id, self.task_id, self.run_id, str(self.map_index)))
        return hashlib.sha256(raw.encode()).hexdigest()

    def tags(self) -> list[dict[str, str]]:
        def clean(value: str) -> str:
            return _TAG_VALUE_INVALID.sub("_", value)[:256]

        return [
            {"Key": "airflow-dag-id", "Value": clean(self.dag_id)},
            {"Key": "airflow-task-id", "Value": clean(self.task_id)},
            {"Key": "airflow-run-id", "Value": clean(self.run_id)},
            {"Key": "airflow-map-index", "Value": str(self.map_index)},
            {"Key": TAG_TASK_INSTANCE, "Value": self.digest},
        ]


def base_name(identity: TaskIdentity, max_length: int) -> str:
    """``<dag>-<task>`` made name-safe and cut to fit, then ``-<8 hex>`` of the identity."""
    room = max_length - HASH_LENGTH - 1 - SUFFIX_ROOM
    readable = _INVALID.sub("-", f"{identity.dag_id}-{identity.task_id}").strip("-").lower()
    readable = readable[:room].rstrip("-") or "job"
    return f"{readable}-{identity.digest[:HASH_LENGTH]}"


def attempt_of(name: str, base: str) -> int | None:
    """1 for ``base``, n for ``base-n``, None for names that are not attempts of ``base``."""
    if name == base:
        return 1
    head, _, tail = name.rpartition("-")
    if head == base and tail.isdigit():
        return int(tail)
    return None


def attempt_name(base: str, attempt: int) -> str:
    return base if attempt <= 1 else f"{base}-{attempt}"


def merge_tags(existing: list[dict[str, str]] | None, extra: list[dict[str, str]]) -> list[dict[str, str]]:
    """The user's tags plus ours; ours win on a key clash (they identify the task instance)."""
    ours = {tag["Key"] for tag in extra}
    return [tag for tag in existing or [] if tag.get("Key") not in ours] + list(extra)


def owned_by(tags: list[dict[str, str]], identity: TaskIdentity) -> bool:
    return any(tag.get("Key") == TAG_TASK_INSTANCE and tag.get("Value") == identity.digest for tag in tags)
