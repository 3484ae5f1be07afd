from __future__ import annotations

import types

import pytest

from airflow_sm_provider.links.sagemaker import (
    SageMakerTrainingJobLink,
    SageMakerTrainingLogsLink,
    SageMakerTuningJobLink,
    training_job_url,
    training_logs_url,
    tuning_job_url,
)


@pytest.mark.parametrize(
    ("region", "host"),
    [
        ("eu-west-1", "https://eu-west-1.console.aws.amazon.com/"),
        ("cn-north-1", "https://console.amazonaws.cn/"),
        ("us-gov-west-1", "https://console.amazonaws-us-gov.com/"),
    ],
)
def test_urls_are_region_and_partition_aware(region, host):
    for url in (
        training_job_url(region, "j-1"),
        tuning_job_url(region, "j-1"),
        training_logs_url(region, "j-1"),
    ):
        assert url.startswith(host)
        assert f"region={region}" in url
        assert "j-1" in url
    assert "#/jobs/j-1" in training_job_url(region, "j-1")
    assert "#/hyper-tuning-jobs/j-1" in tuning_job_url(region, "j-1")
    assert "/aws/sagemaker/TrainingJobs".replace("/", "%252F") in training_logs_url(region, "j-1")


@pytest.mark.parametrize(
    ("link", "kind", "expected"),
    [
        (SageMakerTrainingJobLink(), "training", training_job_url("us-east-1", "job")),
        (SageMakerTrainingLogsLink(), "training", training_logs_url("us-east-1", "job")),
        (SageMakerTuningJobLink(), "tuning", tuning_job_url("us-east-1", "job")),
        (SageMakerTuningJobLink(), "training", ""),
    ],
)
def test_links_read_the_job_the_task_recorded(mocker, link, kind, expected):
    from airflow_sm_provider.jobs import KINDS
    from airflow_sm_provider.links.sagemaker import persist_job_link

    task, ti = types.SimpleNamespace(), mocker.Mock()
    persist_job_link(task, {"ti": ti}, KINDS[kind], "job", "us-east-1")
    assert link.get_link(operator=task, ti_key="ti") == expected
    ti.xcom_push.assert_called_once_with(
        key="sagemaker_job", value={"kind": kind, "job_name": "job", "region_name": "us-east-1"}
    )


@pytest.mark.parametrize("link", [SageMakerTrainingJobLink(), SageMakerTuningJobLink()])
def test_a_task_that_failed_before_it_had_a_job_shows_no_link_and_reads_no_xcom(mocker, link):
    get_value = mocker.patch("airflow.sdk.execution_time.xcom.XCom.get_value")
    assert link.get_link(operator=types.SimpleNamespace(), ti_key="ti") == ""
    get_value.assert_not_called()
