"""``TuningJobCompletionCriteria``: when a tuning job may finish before its budget is spent.

All functions take the objective values of the trials that reported one, in the order the trials
finished, and the objective's direction.

- ``TargetObjectiveMetricValue``: the job completes as soon as one trial's objective reaches the
  target (<= for Minimize, >= for Maximize).
- ``BestObjectiveNotImproving.MaxNumberOfTrainingJobsNotImproving`` (N): the job completes when the
  last N trials with an objective did not strictly improve the best one.
  ``TuningJobCompletionDetails.NumberOfTrainingJobsObjectiveNotImproving`` reports that count.
- ``ConvergenceDetected``: SageMaker does not publish its rule; ours is: at least
  :data:`CONVERGENCE_MIN_TRIALS` objectives, and the last ``w = max(5, n // 3)`` trials improved the
  best objective by no more than :data:`CONVERGENCE_TOLERANCE` (1 %) of the spread of all objectives
  seen. ``ConvergenceDetectedTime`` is recorded when this first holds; the job only completes on
  it when ``CompleteOnConvergence`` is ``Enabled``.
"""

from __future__ import annotations

from typing import Any

CONVERGENCE_MIN_TRIALS = 10
CONVERGENCE_TOLERANCE = 0.01


def _better(a: float, b: float, minimize: bool) -> bool:
    return a < b if minimize else a > b


def best(values: list[float], minimize: bool) -> float | None:
    """The best objective value, or None when there is none."""
    if not values:
        return None
    return min(values) if minimize else max(values)


def not_improving_count(values: list[float], minimize: bool) -> int:
    """How many trials finished since the best objective last strictly improved."""
    count = 0
    current: float | None = None
    for value in values:
        if current is None or _better(value, current, minimize):
            current = value
            count = 0
        else:
            count += 1
    return count


def target_reached(values: list[float], target: float | None, minimize: bool) -> bool:
    """True once any objective reaches ``TargetObjectiveMetricValue``."""
    if target is None or not values:
        return False
    return any(v <= target for v in values) if minimize else any(v >= target for v in values)


def converged(values: list[float], minimize: bool) -> bool:
    """The convergence rule described in the module docstring."""
    n = len(values)
    if n < CONVERGENCE_MIN_TRIALS:
        return False
    window = max(5, n // 3)
    spread = max(values) - min(values)
    if spread == 0:
        return True
    before = best(values[:-window], minimize)
    overall = best(values, minimize)
    assert before is not None and overall is not None
    improvement = (before - overall) if minimize else (overall - before)
    return improvement <= CONVERGENCE_TOLERANCE * spread


def completion_reason(criteria: dict[str, Any] | None, values: list[float], minimize: bool) -> str | None:
    """Why the job should complete now under its criteria, or None to go on searching."""
    if not criteria:
        return None
    if target_reached(values, criteria.get("TargetObjectiveMetricValue"), minimize):
        return "target objective metric value reached"
    limit = (criteria.get("BestObjectiveNotImproving") or {}).get("MaxNumberOfTrainingJobsNotImproving")
    if limit is not None and values and not_improving_count(values, minimize) >= limit:
        return f"best objective not improving for {limit} training jobs"
    detected = criteria.get("ConvergenceDetected") or {}
    if detected.get("CompleteOnConvergence") == "Enabled" and converged(values, minimize):
        return "convergence detected"
    return None
