from __future__ import annotations

import pytest

from airflow_sm_provider.plugins.leaderboard import leaderboard_of, training_summary_of

from .sample_jobs import training_description, trials, tuning_description


def test_every_trial_is_a_row_with_its_tuned_hyperparameters_objective_and_duration():
    board = leaderboard_of(tuning_description(), trials())
    assert [t.name for t in board.trials] == ["tune-001", "tune-002", "tune-003"]
    first = board.trials[0]
    # SageMaker's own _tuning_objective_metric is not a tuned hyperparameter
    assert first.hyperparameters == {"eta": "0.1", "max_depth": "3"}
    assert (first.objective, first.duration_seconds, first.status) == (0.5, 180.0, "Completed")
    assert board.hyperparameter_names == ["eta", "max_depth"]
    assert board.trials[2].objective is None


def test_the_best_trial_is_the_tuning_jobs_best_training_job():
    board = leaderboard_of(tuning_description(), trials())
    assert board.best_trial == "tune-002"
    assert [t.name for t in board.trials if t.best] == ["tune-002"]


def test_status_counters_and_whether_the_job_still_runs():
    board = leaderboard_of(tuning_description("InProgress"), trials())
    assert board.running
    assert board.counters == {"Completed": 2, "NonRetryableError": 1, "InProgress": 0}
    assert not leaderboard_of(tuning_description("Completed"), trials()).running
    assert not board.truncated
    assert leaderboard_of(tuning_description(), trials()[:2]).truncated


@pytest.mark.parametrize(
    ("objective_type", "expected"),
    [("Minimize", ["tune-002", "tune-001", "tune-003"]), ("Maximize", ["tune-001", "tune-002", "tune-003"])],
)
def test_by_default_trials_are_sorted_best_first_without_objective_last(objective_type, expected):
    board = leaderboard_of(tuning_description(objective_type=objective_type), trials())
    key, descending = board.sort_order(None, None)
    assert key == "objective"
    assert [t.name for t in board.sorted_trials(key, descending)] == expected


def test_trials_sort_by_any_column_numbers_as_numbers():
    board = leaderboard_of(tuning_description(), trials())
    key, descending = board.sort_order("hp.eta", "desc")
    assert (key, descending) == ("hp.eta", True)
    assert [t.name for t in board.sorted_trials(key, descending)] == ["tune-003", "tune-002", "tune-001"]
    key, descending = board.sort_order("duration", "asc")
    assert [t.name for t in board.sorted_trials(key, descending)] == ["tune-003", "tune-001", "tune-002"]


def test_an_unknown_sort_column_sorts_by_objective():
    board = leaderboard_of(tuning_description(), trials())
    assert board.sort_order("hp.nope", "desc") == ("objective", True)
    assert board.sort_order("Environment", None) == ("objective", False)


@pytest.mark.parametrize(
    ("objective_type", "running_best"), [("Minimize", [0.5, 0.25]), ("Maximize", [0.5, 0.5])]
)
def test_the_chart_has_each_completed_trial_in_completion_order_with_the_running_best(
    objective_type, running_best
):
    board = leaderboard_of(tuning_description(objective_type=objective_type), trials())
    points = board.chart()
    assert [(p.order, p.trial, p.value) for p in points] == [(1, "tune-001", 0.5), (2, "tune-002", 0.25)]
    assert [p.running_best for p in points] == running_best


def test_a_training_summary_has_status_final_metrics_and_the_log_tail():
    summary = training_summary_of(training_description(), ["a", "b"])
    assert (summary.status, summary.running, summary.duration_seconds) == ("Completed", False, 95.0)
    assert summary.metrics == [("validation:rmse", 0.25)]
    assert summary.log_tail == ["a", "b"]
    assert training_summary_of(training_description("InProgress"), None).running
