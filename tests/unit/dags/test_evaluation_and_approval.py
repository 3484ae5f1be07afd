"""dags/retraining/evaluation.py, approval.py and the approved-model example's reading of events."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from retraining import approval, evaluation

from airflow_sm_provider.gate import parse_rules

DAGS = Path(__file__).resolve().parents[3] / "dags"


def test_holdout_metrics_are_the_test_split_only():
    final = {"test:auc": 0.99, "test:logloss": 0.1, "train:auc": 1.0, "validation:auc": 0.98}
    assert evaluation.holdout_metrics(final) == {"test:auc": 0.99, "test:logloss": 0.1}


def test_the_report_is_sagemakers_model_quality_layout():
    report = json.loads(evaluation.report_bytes("job-1", {"test:auc": 0.99}))
    assert report["binary_classification_metrics"]["auc"]["value"] == 0.99
    assert report["source"] == {"training_job_name": "job-1", "split": "test"}
    assert evaluation.report_uri("s3://b/out/", "job-1") == "s3://b/out/evaluation/job-1/evaluation.json"


def test_the_gate_rules_are_valid_and_gate_holdout_metrics():
    objectives, guardrails = parse_rules(evaluation.GATE_METRICS, evaluation.GATE_GUARDRAILS)
    assert all(rule.name.startswith(evaluation.HOLDOUT_PREFIX) for rule in [*objectives, *guardrails])


@pytest.mark.parametrize(
    ("mode", "hitl", "task"),
    [
        ("policy", True, "approve_by_policy"),
        ("policy", False, "approve_by_policy"),
        ("person", True, "ask_a_person"),
        ("person", False, "wait_for_approval"),
        ("registry", True, "wait_for_approval"),
    ],
)
def test_the_approval_route(mode, hitl, task):
    assert approval.route(mode, hitl) == task


def test_an_unknown_approval_mode_is_refused():
    with pytest.raises(ValueError, match="approval must be one of"):
        approval.route("vote", True)


def test_hitl_is_detected_on_this_airflow():
    from airflow.providers.standard.version_compat import AIRFLOW_V_3_1_PLUS

    assert approval.hitl_available() is AIRFLOW_V_3_1_PLUS


def test_the_downstream_example_reads_the_extras_of_its_triggering_events():
    from retraining.assets import APPROVED_MODEL

    spec = importlib.util.spec_from_file_location(
        "example_approved", DAGS / "example_sagemaker_approved_model.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    from types import SimpleNamespace

    extra = {"model_package_arn": "arn:1", "metrics": {"test:auc": 0.99}}

    class Accessor:  # as Airflow's triggering_asset_events: indexed by the asset (unhashable on 3.0)
        def __bool__(self):
            return True

        def __getitem__(self, asset):
            if asset != APPROVED_MODEL:
                raise KeyError(asset)
            return [SimpleNamespace(extra=extra)]

    assert module.approved_versions(Accessor()) == [extra]
    assert module.approved_versions(None) == []


@pytest.mark.skipif(not approval.hitl_available(), reason="human-in-the-loop needs Airflow 3.1+")
@pytest.mark.parametrize(("chosen", "status"), [(["Approve"], "Approved"), (["Reject"], "Rejected")])
def test_a_persons_answer_is_written_to_the_registry_with_their_name(chosen, status):
    from airflow.sdk import DAG

    answers = {
        "ask_a_person": {"chosen_options": chosen, "responded_by_user": {"id": "7", "name": "alice"}},
        "register": {"model_package_arn": "arn:aws:sagemaker:us-east-1:1:model-package/g/2"},
    }

    class TI:
        def xcom_pull(self, task_ids=None, key="return_value"):
            return answers[task_ids]

    with DAG("approval_test", schedule=None):
        ask, record = approval.person_tasks("aws_default")
    assert record.upstream_task_ids == {ask.task_id}
    context = {"ti": TI(), "run_id": "manual__1"}
    assert record.render_template(record.approval_status, context) == status
    assert record.render_template(record.approval_description, context) == (
        f"{status} by alice in Airflow (human-in-the-loop, run manual__1)"
    )
    assert record.render_template(record.model_package_arn, context).endswith("model-package/g/2")


def gate_result(champion: dict | None) -> dict:
    """What the gate operator pushes, for these metrics against ``champion`` (or none)."""
    from airflow_sm_provider.gate import decide, render_table

    objectives, guardrails = parse_rules(evaluation.GATE_METRICS, evaluation.GATE_GUARDRAILS)
    challenger = {"test:logloss": 0.150054, "test:auc": 0.987103, "test:accuracy": 0.947368}
    decision = decide(challenger, champion and champion["metrics"], objectives, guardrails)
    label = f"champion v{champion['model_package_version']}" if champion else "champion (none)"
    return {
        **decision.to_dict(),
        "champion": champion,
        "table": render_table(decision, label, "challenger"),
    }


@pytest.mark.skipif(not approval.hitl_available(), reason="human-in-the-loop needs Airflow 3.1+")
@pytest.mark.parametrize(
    "champion",
    [
        None,
        {
            "model_package_version": 3,
            "metrics": {"test:logloss": 0.2, "test:auc": 0.99, "test:accuracy": 0.9},
        },
    ],
    ids=["first model", "against a champion"],
)
def test_a_person_is_shown_the_gates_table_as_markdown_the_ui_renders(champion):
    from airflow.sdk import DAG

    gate = gate_result(champion)
    arn = "arn:aws:sagemaker:us-east-1:1:model-package/sagemaker-retraining/4"
    pushed = {
        "gate": gate,
        "register": {
            "model_package_arn": arn,
            "model_package_version": 4,
            "model_package_group_name": "sagemaker-retraining",
        },
    }

    class TI:
        def xcom_pull(self, task_ids=None, key="return_value"):
            return pushed[task_ids]

    with DAG("approval_question_test", schedule=None):
        ask, _ = approval.person_tasks("aws_default")
    context = {"ti": TI(), "run_id": "manual__1"}
    assert ask.render_template(ask.subject, context) == "Approve model version 4 of sagemaker-retraining?"
    body = ask.render_template(ask.body, context)
    # A Markdown table (a paragraph, a blank line, header, alignment row, one row per metric):
    # the Required Actions page renders the body as Markdown, where a fenced block loses its lines.
    lines = body.splitlines()
    start = lines.index("|---|---|---|--:|--:|--:|---|---|") - 1
    assert lines[start - 1] == ""
    table = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[start:]]
    header, rows = table[0], table[2 : 2 + len(gate["rows"])]
    assert lines[start + 2 + len(rows)] == ""
    # the same cells as the gate's text table, which the gate logs
    text_table = [re.split(r"\s{2,}", line) for line in gate["table"].splitlines()]
    assert header == text_table[0]
    assert rows == text_table[2 : 2 + len(gate["rows"])]
    assert f"Model package: `{arn}`" in lines
    verdict = "promote the challenger" if gate["promote"] else "keep the champion"
    assert f"Gate: **{verdict}**: {gate['reason']}" in lines


@pytest.mark.skipif(not approval.hitl_available(), reason="human-in-the-loop needs Airflow 3.1+")
def test_a_person_may_take_a_week_through_the_timeout_this_airflow_has():
    """``response_timeout`` where the standard provider has it (3.2+), else ``execution_timeout``
    (3.1), which the trigger then reads as the deadline for an answer."""
    import inspect
    from datetime import timedelta

    from airflow.providers.standard.operators.hitl import HITLOperator
    from airflow.sdk import DAG

    with DAG("approval_timeout_test", schedule=None):
        ask, _ = approval.person_tasks("aws_default")
    if "response_timeout" in inspect.signature(HITLOperator.__init__).parameters:
        assert (ask.response_timeout, ask.execution_timeout) == (timedelta(days=7), None)
    else:
        assert ask.execution_timeout == timedelta(days=7)
