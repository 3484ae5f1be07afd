"""TuningJobCompletionCriteria: target value, best not improving, convergence."""

from __future__ import annotations

from airflow_sm_provider.local.tuning import completion


def test_not_improving_counts_trials_since_the_last_strict_improvement():
    assert completion.not_improving_count([], True) == 0
    assert completion.not_improving_count([5, 4, 4, 6, 3, 7, 8], True) == 2
    assert completion.not_improving_count([1, 2, 2, 0], False) == 2


def test_target_reached_respects_direction():
    assert completion.target_reached([3.0, 0.5], 1.0, minimize=True)
    assert not completion.target_reached([3.0, 2.0], 1.0, minimize=True)
    assert completion.target_reached([0.7, 0.95], 0.9, minimize=False)
    assert not completion.target_reached([0.7], None, minimize=False)


def test_convergence_needs_enough_trials_and_a_flat_recent_window():
    improving = [10.0 - i for i in range(12)]
    assert not completion.converged(improving, minimize=True)
    flat = [10.0, 5.0, 2.0, 1.0, 1.0] + [1.005] * 7
    assert completion.converged(flat, minimize=True)
    assert not completion.converged(flat[:9], minimize=True)  # fewer than the minimum
    assert completion.converged([3.0] * 10, minimize=True)


def test_completion_reason_for_each_criterion():
    assert completion.completion_reason(None, [1.0], True) is None
    assert "target" in completion.completion_reason({"TargetObjectiveMetricValue": 1.0}, [2.0, 0.9], True)
    criteria = {"BestObjectiveNotImproving": {"MaxNumberOfTrainingJobsNotImproving": 3}}
    assert completion.completion_reason(criteria, [1.0, 2.0, 2.0], True) is None
    assert "not improving" in completion.completion_reason(criteria, [1.0, 2.0, 2.0, 3.0], True)
    flat = [10.0, 5.0, 2.0, 1.0, 1.0] + [1.005] * 7
    enabled = {"ConvergenceDetected": {"CompleteOnConvergence": "Enabled"}}
    disabled = {"ConvergenceDetected": {"CompleteOnConvergence": "Disabled"}}
    assert completion.completion_reason(enabled, flat, True) == "convergence detected"
    assert completion.completion_reason(disabled, flat, True) is None
