"""The retraining pipeline twice on one local backend, as ``make demo`` runs it.

The first run has no champion: its model is registered and approved by policy, and the
approved-model asset is updated. The second run's gate compares against that approved champion
(read back from the registry) and decides; the registry then holds what both runs left.
"""

from __future__ import annotations

import pendulum
import pytest

from tests.integration.test_dag_tune_then_train import xcom
from tests.integration.test_dags import DAGS, load, pipeline_variables  # noqa: F401 - fixture

pytestmark = pytest.mark.integration
GROUP = "sagemaker-retraining"


def asset_events(uri: str, *runs) -> list[dict]:
    """The asset's events emitted by these DAG runs (the metadata DB is shared by other tests)."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.scalars(
            select(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .where(AssetModel.uri == uri)
            .where(AssetEvent.source_run_id.in_([run.run_id for run in runs]))
        ).all()
        return [dict(row.extra) for row in rows]


def test_two_runs_the_second_gated_against_the_first_approved_champion(
    airflow_db,
    aws_default,
    sm_client,
    pipeline_variables,  # noqa: F811
    monkeypatch,
):
    monkeypatch.syspath_prepend(str(DAGS))
    from retraining.assets import APPROVED_MODEL

    dag = load("sagemaker_retraining")
    first_at = pendulum.datetime(2026, 11, 9, tz="UTC")
    first = dag.test(run_after=first_at, logical_date=first_at)
    assert first.state == "success"

    gate = xcom(first, "gate")
    assert (gate["decision"], gate["champion"]) == ("promote", None)
    registered = xcom(first, "register")
    assert registered["model_package_version"] == 1
    version = sm_client.describe_model_package(ModelPackageName=registered["model_package_arn"])
    assert version["ModelApprovalStatus"] == "Approved"
    assert version["ApprovalDescription"].startswith("Approved by policy: sagemaker_retraining.gate passed")
    evaluated = xcom(first, "evaluate")
    metadata = version["CustomerMetadataProperties"]
    assert {k: float(metadata[f"metric:{k}"]) for k in evaluated["metrics"]} == evaluated["metrics"]
    assert metadata["tuning-job"] == xcom(first, "tune")["tuning_job_name"]
    tuned = xcom(first, "tune", "tuned_hyperparameters")
    assert {k: metadata[f"hyperparameter:{k}"] for k in tuned} == tuned
    assert version["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"] == evaluated["report_uri"]
    (final_model,) = asset_events(xcom(first, "train_final")["model_artifacts"], first)  # through the alias
    assert final_model["metrics"] == evaluated["metrics"]
    assert final_model["tuned_hyperparameters"] == xcom(first, "tune", "tuned_hyperparameters")
    assert final_model["evaluation_report_uri"] == evaluated["report_uri"]
    (announced,) = asset_events(APPROVED_MODEL.uri, first)
    assert announced["model_package_arn"] == registered["model_package_arn"]
    assert announced["approval_status"] == "Approved"
    assert announced["tuned_hyperparameters"] == tuned
    first_report = xcom(first, "report")
    assert first_report["cost_estimate"]["label"].startswith("ESTIMATE")
    assert first_report["cost_estimate"]["final_job"]["billable_seconds"] >= 0

    second_at = pendulum.datetime(2026, 11, 16, tz="UTC")
    second = dag.test(run_after=second_at, logical_date=second_at)
    assert second.state == "success"
    decision = xcom(second, "gate")
    assert decision["champion"]["model_package_arn"] == registered["model_package_arn"]
    champion_metrics = decision["champion"]["metrics"]
    assert {name: champion_metrics[name] for name in evaluated["metrics"]} == evaluated["metrics"]
    assert decision["challenger"]["metrics"] == xcom(second, "evaluate")["metrics"]
    assert "champion v1" in decision["table"]
    packages = sm_client.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]
    if decision["decision"] == "promote":
        assert len(packages) == 2 and len(asset_events(APPROVED_MODEL.uri, first, second)) == 2
    else:
        assert len(packages) == 1 and xcom(second, "keep_champion")["reason"] == decision["reason"]
    assert xcom(second, "report")["gate"]["decision"] == decision["decision"]


def test_a_rerun_of_the_same_dag_run_registers_no_second_version(
    airflow_db,
    aws_default,
    sm_client,
    pipeline_variables,  # noqa: F811
):
    dag = load("sagemaker_retraining")
    when = pendulum.datetime(2026, 11, 23, tz="UTC")
    first = dag.test(run_after=when, logical_date=when)
    arn = xcom(first, "register")["model_package_arn"]
    second = dag.test(run_after=when, logical_date=when)  # clears and re-runs the same task instances
    assert second.state == "success"
    packages = sm_client.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]
    assert [p["ModelPackageArn"] for p in packages] == [arn]
