"""SQLite persistence of tuning jobs and their trials (our own tables in the backend's database).

Two tables, each row a JSON document (:mod:`.records`)::

    tuning_jobs   (name PRIMARY KEY, data)
    tuning_trials (job, number, data, PRIMARY KEY (job, number))

The live view is in memory; SQLite is written on every change and read once at startup, so a
restarted backend resumes unfinished jobs. One connection, shared by the engine's threads behind a
lock, opened with the backend's shared settings (WAL, busy timeout) so the rest of the
backend's writers and ours wait for each other instead of failing.
"""

from __future__ import annotations

import json
import pathlib
import threading
from typing import Any

from airflow_sm_provider.local.store import connect
from airflow_sm_provider.local.tuning.records import Trial, TuningJob

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tuning_jobs (name TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tuning_trials (
    job TEXT NOT NULL, number INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (job, number)
);
"""


class TuningStore:
    """Reads and writes :class:`~.records.TuningJob` and :class:`~.records.Trial` rows.

    :param path: the SQLite file (the backend's ``Store.path``).
    """

    def __init__(self, path: str | pathlib.Path) -> None:
        self._lock = threading.Lock()
        self._conn = connect(pathlib.Path(path))
        with self._lock:
            self._conn.executescript(_SCHEMA)

    def save_job(self, name: str, data: dict[str, Any]) -> None:
        """Write a job row (``TuningJob.to_json()``, taken under the service lock; not its trials)."""
        self._write("INSERT OR REPLACE INTO tuning_jobs (name, data) VALUES (?, ?)", (name, json.dumps(data)))

    def save_trial(self, job_name: str, data: dict[str, Any]) -> None:
        """Write a trial row (``Trial.to_json()``)."""
        self._write(
            "INSERT OR REPLACE INTO tuning_trials (job, number, data) VALUES (?, ?, ?)",
            (job_name, data["number"], json.dumps(data)),
        )

    def load(self) -> list[TuningJob]:
        """Every stored job with its trials, oldest first."""
        with self._lock:
            jobs = self._conn.execute("SELECT data FROM tuning_jobs").fetchall()
            trials = self._conn.execute("SELECT job, data FROM tuning_trials ORDER BY job, number").fetchall()
        by_job: dict[str, list[Trial]] = {}
        for job_name, data in trials:
            by_job.setdefault(job_name, []).append(Trial.from_json(json.loads(data)))
        loaded = []
        for (data,) in jobs:
            raw = json.loads(data)
            loaded.append(TuningJob.from_json(raw, by_job.get(raw["name"], [])))
        return sorted(loaded, key=lambda j: j.creation_time)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _write(self, sql: str, args: tuple[object, ...]) -> None:
        with self._lock:
            self._conn.execute(sql, args)
