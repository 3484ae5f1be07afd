"""The engine's calls into the backend's TrainingService that need care of their own.

- :func:`watch`: a daemon thread per running trial blocks in ``wait_training_job`` and wakes the
  engine the moment the trial ends, so a finished trial is told to optuna and replaced at once.
- :func:`tag`: trial tags are written after the training job exists, with a few retries: the
  backend's tag write can lose a SQLite snapshot race against concurrent writers ("database is
  locked"), and failing inside ``create_training_job`` would leave a recorded job that never starts.
- :func:`final_objective`: a finished trial's objective value, as SageMaker takes it.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from airflow_sm_provider.local.errors import LocalServiceError

log = logging.getLogger(__name__)

TAG_ATTEMPTS = 5


def watch(training: Any, name: str, wake: threading.Event, shutdown: threading.Event) -> None:
    """Set ``wake`` when training job ``name`` ends (or the service shuts down)."""

    def run() -> None:
        while not shutdown.is_set():
            try:
                if training.wait_training_job(name, 1.0):
                    break
            except LocalServiceError:
                break
        wake.set()

    threading.Thread(target=run, name=f"watch-{name}", daemon=True).start()


def tag(put_tags: Callable[[str, list[dict[str, str]]], None], arn: str, tags: list[dict[str, str]]) -> None:
    """Write ``tags`` on ``arn``, retrying a lost SQLite race; a last failure is logged, not raised."""
    for attempt in range(TAG_ATTEMPTS):
        try:
            put_tags(arn, tags)
            return
        except sqlite3.OperationalError as err:
            if attempt == TAG_ATTEMPTS - 1:
                log.warning("Could not tag training job %s: %s", arn, err)
            else:
                time.sleep(0.05 * (attempt + 1))


def final_objective(described: dict[str, Any], metric: str, intermediate: list[float]) -> float | None:
    """The objective of a finished trial: its final metric value (the last value emitted, which is
    also what an early-stopped job is judged by); None for a failed job or a non-finite value."""
    if described["TrainingJobStatus"] == "Failed":
        return None
    final = next(
        (m["Value"] for m in described.get("FinalMetricDataList") or [] if m.get("MetricName") == metric),
        None,
    )
    if final is None and intermediate:
        final = intermediate[-1]
    if final is None or not math.isfinite(float(final)):
        return None
    return float(final)
