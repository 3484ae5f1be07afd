"""SQLite persistence under the backend's home directory (``<home>/state.db``).

The backend serves reads from memory and writes here only when something changes state (a job
transition, a model created or deleted, tags), so hundreds of pollers never touch the disk and
one connection, used by one thread at a time, is enough. This lock is the store's own: the
backend's in-memory state is never locked while SQLite works. WAL mode lets other components
(the tuning engine) open their own connections to the same file and keep their own tables.

A training job row is versioned: a write carrying an older ``version`` than the stored one is
ignored, so two threads racing to persist the same job cannot leave the older state on disk.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from airflow_sm_provider.local import home as private

SCHEMA = """
CREATE TABLE IF NOT EXISTS training_jobs (
    name TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS models (
    name TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS model_package_groups (
    name TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS model_packages (
    arn TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tags (
    arn TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (arn, key)
);
"""


def _dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, default=lambda v: v.timestamp() if hasattr(v, "timestamp") else str(v))


def connect(path: Path) -> sqlite3.Connection:
    """Open a connection with the settings every user of the state file should share."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


class StoreClosed(RuntimeError):
    """An operation reached the store after shutdown closed it."""


class Store:
    """The backend's tables in ``<home>/state.db``.

    :param home: the backend's home directory; created if missing, made private (0700), with
        ``state.db`` (and its WAL files) 0600: it holds every job's ``Environment``.
    """

    def __init__(self, home: Path) -> None:
        self.home = private.prepare(Path(home))
        self.path = private.private_file(self.home / "state.db")
        for companion in ("-wal", "-shm", "-journal"):  # SQLite gives new ones the database's mode
            path = self.path.with_name(self.path.name + companion)
            if path.exists():
                os.chmod(path, private.FILE_MODE)
        self._conn = connect(self.path)
        self._lock = threading.Lock()
        self._closed = False
        with self._use() as conn:
            conn.executescript(SCHEMA)

    @contextlib.contextmanager
    def _use(self) -> Iterator[sqlite3.Connection]:
        """The connection, for one operation at a time (SQLite serialises writers anyway)."""
        with self._lock:
            if self._closed:
                raise StoreClosed(f"{self.path} is closed")
            yield self._conn

    def close(self) -> None:
        """Wait for the operation in progress, refuse new ones, close the connection (idempotent)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    # training jobs ---------------------------------------------------------------------------
    def save_training_job(self, doc: dict[str, Any]) -> None:
        """Insert or update a job's document unless the stored one is newer."""
        with self._use() as conn:
            conn.execute(
                "INSERT INTO training_jobs (name, version, status, doc) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET version = excluded.version, "
                "status = excluded.status, doc = excluded.doc "
                "WHERE excluded.version >= training_jobs.version",
                (doc["name"], doc["version"], doc["secondary_status"], _dumps(doc)),
            )

    def load_training_jobs(self) -> list[dict[str, Any]]:
        with self._use() as conn:
            rows = conn.execute("SELECT doc FROM training_jobs ORDER BY rowid").fetchall()
        return [json.loads(doc) for (doc,) in rows]

    # models ----------------------------------------------------------------------------------
    def insert_model(self, doc: dict[str, Any]) -> bool:
        """Insert a model; False when the name is taken."""
        with self._use() as conn:
            try:
                conn.execute("INSERT INTO models (name, doc) VALUES (?, ?)", (doc["name"], _dumps(doc)))
            except sqlite3.IntegrityError:
                return False
        return True

    def delete_model(self, name: str) -> None:
        with self._use() as conn:
            conn.execute("DELETE FROM models WHERE name = ?", (name,))

    def load_models(self) -> list[dict[str, Any]]:
        with self._use() as conn:
            rows = conn.execute("SELECT doc FROM models ORDER BY rowid").fetchall()
        return [json.loads(doc) for (doc,) in rows]

    # model package groups and versions -------------------------------------------------------
    def save_model_package_group(self, doc: dict[str, Any]) -> None:
        """Insert or update a group, keyed by its lowercased name (as its ARN spells it)."""
        with self._use() as conn:
            conn.execute(
                "INSERT INTO model_package_groups (name, doc) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET doc = excluded.doc",
                (doc["name"].lower(), _dumps(doc)),
            )

    def delete_model_package_group(self, name: str) -> None:
        with self._use() as conn:
            conn.execute("DELETE FROM model_package_groups WHERE name = ?", (name.lower(),))

    def load_model_package_groups(self) -> list[dict[str, Any]]:
        with self._use() as conn:
            rows = conn.execute("SELECT doc FROM model_package_groups ORDER BY rowid").fetchall()
        return [json.loads(doc) for (doc,) in rows]

    def save_model_package(self, doc: dict[str, Any], group: dict[str, Any] | None = None) -> None:
        """Insert or update a package and, in the same transaction, its group (a new version
        moves the group's last version number)."""
        with self._use() as conn, conn:  # the inner ``conn`` commits the transaction
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO model_packages (arn, doc) VALUES (?, ?) "
                "ON CONFLICT(arn) DO UPDATE SET doc = excluded.doc",
                (doc["arn"], _dumps(doc)),
            )
            if group is not None:
                conn.execute(
                    "INSERT INTO model_package_groups (name, doc) VALUES (?, ?) "
                    "ON CONFLICT(name) DO UPDATE SET doc = excluded.doc",
                    (group["name"].lower(), _dumps(group)),
                )

    def delete_model_package(self, arn: str) -> None:
        with self._use() as conn:
            conn.execute("DELETE FROM model_packages WHERE arn = ?", (arn,))

    def load_model_packages(self) -> list[dict[str, Any]]:
        with self._use() as conn:
            rows = conn.execute("SELECT doc FROM model_packages ORDER BY rowid").fetchall()
        return [json.loads(doc) for (doc,) in rows]

    # tags ------------------------------------------------------------------------------------
    def put_tags(self, arn: str, tags: list[dict]) -> None:
        """Add or overwrite tags on ``arn`` (AddTags semantics: existing keys take the new value)."""
        with self._use() as conn, conn:  # the inner ``conn`` commits the transaction
            conn.execute("BEGIN IMMEDIATE")
            (start,) = conn.execute(
                "SELECT COALESCE(MAX(position), -1) + 1 FROM tags WHERE arn = ?", (arn,)
            ).fetchone()
            for offset, tag in enumerate(tags):
                conn.execute(
                    "INSERT INTO tags (arn, key, value, position) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(arn, key) DO UPDATE SET value = excluded.value",
                    (arn, tag["Key"], tag.get("Value", ""), start + offset),
                )

    def get_tags(self, arn: str) -> list[dict]:
        """Tags on ``arn`` in the order they were first added."""
        with self._use() as conn:
            rows = conn.execute(
                "SELECT key, value FROM tags WHERE arn = ? ORDER BY position", (arn,)
            ).fetchall()
        return [{"Key": key, "Value": value} for key, value in rows]

    def delete_tags(self, arn: str) -> None:
        with self._use() as conn:
            conn.execute("DELETE FROM tags WHERE arn = ?", (arn,))
