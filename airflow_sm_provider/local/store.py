"""SQLite persistence under the backend's home directory (``<home>/state.db``).

The backend serves reads from memory and writes here only when something changes state (a job
transition, a model created or deleted, tags), so hundreds of pollers never touch the disk.
Each thread gets its own connection; WAL mode lets readers and the single writer coexist, and
other components (the tuning engine) open their own connections to the same file and create
their own tables.

A training job row is versioned: a write carrying an older ``version`` than the stored one is
ignored, so two threads racing to persist the same job cannot leave the older state on disk.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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

    :param home: the backend's home directory; created if missing.
    """

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        self.path = self.home / "state.db"
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._state = threading.Condition()
        self._active = 0  # operations in progress; close() waits for them
        self._closed = False
        with self._use() as conn:
            conn.executescript(SCHEMA)

    @contextlib.contextmanager
    def _use(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, counted as in use so ``close()`` never pulls it away mid-call."""
        with self._state:
            if self._closed:
                raise StoreClosed(f"{self.path} is closed")
            self._active += 1
        try:
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = connect(self.path)
                self._local.conn = conn
                with self._state:
                    self._all.append(conn)
            yield conn
        finally:
            with self._state:
                self._active -= 1
                self._state.notify_all()

    def close(self, timeout: float = 30.0) -> None:
        """Refuse new operations, wait for those in progress, close every connection (idempotent)."""
        with self._state:
            self._closed = True
            self._state.wait_for(lambda: self._active == 0, timeout)
            for conn in self._all:
                conn.close()
            self._all.clear()

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
