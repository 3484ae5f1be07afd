"""Issue 12 as a DAG author meets it: dag.test() of one DAG per mistake, against the local backend.

Each mistake fails before any job exists, naming its field and rule, or is warned about or
explained in words that name it; a successful run logs no WARNING or ERROR of ours.
"""

from __future__ import annotations

import pendulum
import pytest

from tests.integration.dags import sm_test_mistakes

pytestmark = pytest.mark.integration
WHEN = pendulum.datetime(2026, 11, 1, tz="UTC")


def run(case: str, capfd):
    result = sm_test_mistakes.CASES[case].test(run_after=WHEN, logical_date=WHEN)
    out, err = capfd.readouterr()
    return result, out + err


def jobs(sm_client):
    return sm_client.list_training_jobs(MaxResults=100)["TrainingJobSummaries"]


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("channel_name", "InputDataConfig[0].ChannelName"),
        ("duplicate_channels", "InputDataConfig[1].ChannelName"),
        ("environment_key", "Environment"),
        ("role_name", "RoleArn"),
        ("spot_without_wait", "StoppingCondition.MaxWaitTimeInSeconds"),
        ("connection", "'aws_prod_typo' (aws_conn_id) does not exist"),
    ],
)
def test_a_mistake_fails_before_any_job_naming_its_field(
    airflow_db, aws_default, sm_client, capfd, case, says
):
    result, log = run(case, capfd)
    assert result.state == "failed"
    assert says in log
    assert jobs(sm_client) == []
    assert "XCom not found" not in log  # the links stay quiet when there is no job


def test_a_metric_that_never_matched_is_a_warning_naming_it_and_the_run_succeeds(
    airflow_db, aws_default, sm_client, capfd
):
    result, log = run("missing_metric", capfd)
    assert result.state == "success"
    warnings = [line for line in log.splitlines() if "was never reported" in line]
    assert len(warnings) == 1
    assert "'validation:accuracy'" in warnings[0] and "acc=([0-9.]+)" in warnings[0]


def test_a_tuning_objective_that_no_trial_reported_is_named_with_its_regex(
    airflow_db, aws_default, sm_client, capfd
):
    result, log = run("objective_never_reported", capfd)
    assert result.state == "failed"
    assert "no trial reported the objective metric 'loss' (regex 'validation_loss=([0-9.]+)')" in log


def test_a_successful_run_logs_no_warning_or_error_of_ours(airflow_db, aws_default, sm_client, capfd):
    from tests.integration.test_dag_tune_then_train import load_dag

    result = load_dag("sm_test_tune_then_train_deferred").test(run_after=WHEN, logical_date=WHEN)
    out, err = capfd.readouterr()
    assert result.state == "success"
    ours = [
        line
        for line in (out + err).splitlines()
        if ("[warning" in line or "[error" in line) and "airflow_sm_provider" in line
    ]
    assert ours == []
    assert "XCom not found" not in out + err
