"""dags/sagemaker_retraining.py has the shape issue 11 asks for, with the trigger rules that make it work."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[3] / "dags"


@pytest.fixture(scope="module")
def dag():
    spec = importlib.util.spec_from_file_location("retraining_dag_shape", DAGS / "sagemaker_retraining.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


def downstream(dag, task_id):
    return dag.get_task(task_id).downstream_task_ids


def test_prepare_tune_train_evaluate_gate(dag):
    # later tasks also read tune's and train_final's results, so these are "at least" edges
    assert downstream(dag, "prepare_data") == {"tune"}
    assert "train_final" in downstream(dag, "tune")
    assert "evaluate" in downstream(dag, "train_final")
    assert "gate" in downstream(dag, "evaluate")
    # the gate branches: register (and approve) the challenger, or keep the champion
    assert downstream(dag, "gate") == {"register", "keep_champion"}


def test_register_then_one_approval_route_then_announce_then_report(dag):
    assert downstream(dag, "register") == {"choose_approval"}
    routes = downstream(dag, "choose_approval")
    assert {"approve_by_policy", "wait_for_approval"} <= routes
    assert dag.get_task("announce").upstream_task_ids >= {"approve_by_policy", "wait_for_approval"}
    assert dag.get_task("report").upstream_task_ids == {"announce", "keep_champion"}


def test_trigger_rules_let_the_skipped_branches_through(dag):
    # one approval route runs, the others are skipped; a kept champion skips the whole promote branch
    assert dag.get_task("announce").trigger_rule == "none_failed_min_one_success"
    assert dag.get_task("report").trigger_rule == "none_failed"


def test_the_person_route_exists_where_airflow_has_human_in_the_loop(dag):
    from retraining.approval import hitl_available

    assert ("ask_a_person" in dag.task_dict) is hitl_available()
    if hitl_available():
        assert downstream(dag, "ask_a_person") == {"record_decision"}
        assert downstream(dag, "record_decision") == {"announce"}


def test_the_approval_param_defaults_to_policy(dag):
    assert dag.params["approval"] == "policy"


def test_the_assets(dag):
    from retraining.assets import APPROVED_MODEL, FINAL_MODEL

    assert dag.get_task("evaluate").outlets == [FINAL_MODEL]
    assert dag.get_task("announce").outlets == [APPROVED_MODEL]


def test_an_alias_events_extra_is_hashable_where_airflow_needs_it():
    from retraining.assets import alias_extra

    extra = {"training_job_name": "t", "metrics": {"test:auc": 0.9}, "tuned_hyperparameters": {"x": "1"}}
    assert alias_extra(extra, "3.1.8") == extra == alias_extra(extra, "3.3.2")
    on_3_0 = alias_extra(extra, "3.0.6")
    frozenset(on_3_0.items())  # what Airflow 3.0's server does with it
    assert on_3_0 == {
        "training_job_name": "t",
        "metrics": '{"test:auc": 0.9}',
        "tuned_hyperparameters": '{"x": "1"}',
    }
