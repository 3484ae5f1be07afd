"""SageMakerModelGateOperator against botocore's Stubber: the champion is read from the registry."""

from __future__ import annotations

import pytest

from airflow_sm_provider.operators import SageMakerModelGateOperator
from tests.unit.operators.test_training import FakeTI, context
from tests.unit.registry_samples import NOW, model_package_description, package_arn

LIST_APPROVED = {
    "ModelPackageGroupName": "churn",
    "ModelApprovalStatus": "Approved",
    "SortBy": "CreationTime",
    "SortOrder": "Descending",
    "MaxResults": 1,
}


def gate(challenger):
    return SageMakerModelGateOperator(
        task_id="gate",
        model_package_group_name="churn",
        challenger_metrics=challenger,
        metrics={"test:logloss": {"direction": "minimize", "min_improvement": 0.001}},
        guardrails={"test:auc": {"direction": "maximize", "max_regression": 0.01}},
        promote_task_ids="register",
        keep_task_ids=["keep_champion"],
    )


def champion_is(stub, version, metrics):
    summary = {
        "ModelPackageGroupName": "churn",
        "ModelPackageVersion": version,
        "ModelPackageArn": package_arn(version),
        "CreationTime": NOW,
        "ModelPackageStatus": "Completed",
        "ModelApprovalStatus": "Approved",
    }
    stub.add_response("list_model_packages", {"ModelPackageSummaryList": [summary]}, LIST_APPROVED)
    stub.add_response(
        "describe_model_package",
        model_package_description(version, "Approved", metrics=metrics),
        {"ModelPackageName": package_arn(version)},
    )


@pytest.mark.parametrize(
    ("challenger", "decision", "branch"),
    [
        ({"test:logloss": 0.08, "test:auc": 0.99}, "promote", ["register"]),
        ({"test:logloss": 0.2, "test:auc": 0.99}, "keep", ["keep_champion"]),
    ],
)
def test_branches_on_the_comparison_with_the_latest_approved_version(
    sagemaker_stub, mocker, challenger, decision, branch
):
    champion_is(sagemaker_stub, 3, {"test:logloss": 0.1, "test:auc": 0.98})
    operator = gate(challenger)
    do_branch = mocker.patch.object(operator, "do_branch")
    ti = FakeTI(task_id="gate")
    result = operator.execute(context(ti))
    do_branch.assert_called_once_with(mocker.ANY, branch)
    # pushed before branching: skipping raises on Airflow 3, so no return value reaches XCom
    assert ti.xcom["return_value"] == result
    assert (result["decision"], result["branch"]) == (decision, branch)
    assert result["champion"] == {
        "model_package_arn": package_arn(3),
        "model_package_version": 3,
        "metrics": {"test:logloss": 0.1, "test:auc": 0.98},
    }
    assert result["challenger"] == {"metrics": challenger}
    assert [row["metric"] for row in result["rows"]] == ["test:logloss", "test:auc"]
    assert "champion v3" in result["table"].splitlines()[0]


def test_an_empty_group_has_no_champion_and_the_first_model_passes(sagemaker_stub, mocker):
    sagemaker_stub.add_response("list_model_packages", {"ModelPackageSummaryList": []}, LIST_APPROVED)
    operator = gate({"test:logloss": 0.3, "test:auc": 0.7})
    mocker.patch.object(operator, "do_branch")
    result = operator.execute(context())
    assert (result["decision"], result["champion"]) == ("promote", None)
    assert "first model" in result["reason"]


def test_a_group_that_does_not_exist_yet_has_no_champion(sagemaker_stub, mocker):
    sagemaker_stub.add_client_error(
        "list_model_packages",
        service_error_code="ValidationException",
        service_message="Group churn does not exist.",
    )
    operator = gate({"test:logloss": 0.3, "test:auc": 0.7})
    mocker.patch.object(operator, "do_branch")
    assert operator.execute(context())["decision"] == "promote"


def test_the_table_is_logged(sagemaker_stub, mocker):
    champion_is(sagemaker_stub, 1, {"test:logloss": 0.1, "test:auc": 0.98})
    log = mocker.patch.object(
        SageMakerModelGateOperator, "log", new_callable=mocker.PropertyMock
    ).return_value
    operator = gate({"test:logloss": 0.2, "test:auc": 0.98})
    mocker.patch.object(operator, "do_branch")
    result = operator.execute(context())
    log.info.assert_any_call("Champion / challenger:\n%s", result["table"])
    assert "KEEP the champion" in result["table"]


def test_a_training_result_is_read_for_its_final_metrics(sagemaker_stub, mocker):
    sagemaker_stub.add_response("list_model_packages", {"ModelPackageSummaryList": []}, LIST_APPROVED)
    operator = gate({"training_job_name": "t", "final_metrics": {"test:logloss": 0.3, "test:auc": 0.7}})
    mocker.patch.object(operator, "do_branch")
    assert operator.execute(context())["challenger"] == {"metrics": {"test:logloss": 0.3, "test:auc": 0.7}}


def test_challenger_metrics_that_are_not_a_dict_are_refused(sagemaker_stub):
    sagemaker_stub.add_response("list_model_packages", {"ModelPackageSummaryList": []}, LIST_APPROVED)
    with pytest.raises(TypeError, match="challenger_metrics must be a dict"):
        gate("{'test:auc': 0.9}").evaluate()
