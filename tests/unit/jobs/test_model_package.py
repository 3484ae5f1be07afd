from __future__ import annotations

import json

import pytest

from airflow_sm_provider.jobs import MODEL_PACKAGE, Outcome, classify, package_result
from airflow_sm_provider.jobs.model_package import package_metrics
from tests.unit.registry_samples import model_package_description, package_arn


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("PendingManualApproval", Outcome.RUNNING),
        ("Approved", Outcome.SUCCEEDED),
        ("Rejected", Outcome.FAILED),
    ],
)
def test_approval_status_is_the_status(status, outcome):
    assert classify(MODEL_PACKAGE, model_package_description(2, status)).outcome is outcome


def test_a_rejection_carries_its_approval_description_as_the_reason():
    verdict = classify(MODEL_PACKAGE, model_package_description(2, "Rejected"))
    assert "Rejected by alice: worse on the holdout" in verdict.message


def test_a_rejection_without_description_says_so():
    description = model_package_description(2, "Rejected")
    del description["ApprovalDescription"]
    assert "gave no ApprovalDescription" in classify(MODEL_PACKAGE, description).message


def test_the_result_is_json_native_and_reads_the_metrics_back():
    description = model_package_description(3, "Approved", metrics={"test:auc": 0.97, "test:logloss": 0.1})
    result = package_result(description)
    assert json.loads(json.dumps(result)) == result
    assert result["model_package_arn"] == package_arn(3)
    assert result["model_package_version"] == 3
    assert result["approval_status"] == "Approved"
    assert result["metrics"] == {"test:auc": 0.97, "test:logloss": 0.1}
    assert result["model_data_url"] == "s3://bucket/model.tar.gz"


def test_metrics_someone_else_wrote_as_text_are_ignored_not_fatal():
    description = model_package_description(
        1, CustomerMetadataProperties={"metric:auc": "high", "metric:f1": "0.5"}
    )
    assert package_metrics(description) == {"f1": 0.5}


def test_the_row_says_the_poller_cannot_sweep_it_and_nothing_can_stop_it():
    assert MODEL_PACKAGE.list_sweeps is False
    assert MODEL_PACKAGE.stop_operation is None
