"""dags/retraining/evaluation.py, approval.py and the approved-model example's reading of events."""

from __future__ import annotations

import importlib.util
import json
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
        f"{chosen[0]} by alice in Airflow (human-in-the-loop, run manual__1)"
    )
    assert record.render_template(record.model_package_arn, context).endswith("model-package/g/2")
