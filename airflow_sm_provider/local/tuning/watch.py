"""A running trial seen from the engine: a watcher that wakes it, and the objective it ends with.

- :func:`watch`: a daemon thread per running trial blocks in ``wait_training_job`` and wakes the
  engine the moment the trial ends, so a finished trial is told to optuna and replaced at once.
- :func:`final_objective`: a finished trial's objective value, as SageMaker takes it.

(Trial tags are written with :func:`airflow_sm_provider.local.registry.tags.put_with_retry`.)
"""

from __future__ import annotations

import math
import threading
from typing import Any

from airflow_sm_provider.local.errors import LocalServiceError

__all__ = ["final_objective", "watch"]


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
