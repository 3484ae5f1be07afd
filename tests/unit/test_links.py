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


def hook(endpoint=None, **extra):
    """What persist_job_link reads from a hook: region, connection extra, whether it is AWS."""
    from unittest import mock

    fake = mock.Mock(region_name="us-east-1")
    fake.conn_config.extra_config = extra
    fake.is_aws.return_value = endpoint is None
    return fake


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
    persist_job_link(task, {"ti": ti}, KINDS[kind], "job", hook())
    assert link.get_link(operator=task, ti_key="ti") == expected
    ti.xcom_push.assert_called_once_with(
        key="sagemaker_job", value={"kind": kind, "job_name": "job", "region_name": "us-east-1"}
    )


@pytest.mark.parametrize(
    ("link", "kind", "page"),
    [
        (SageMakerTrainingJobLink(), "training", "/console/training-jobs/my%20job"),
        (SageMakerTrainingLogsLink(), "training", "/console/training-jobs/my%20job/logs"),
        (SageMakerTuningJobLink(), "tuning", "/console/tuning-jobs/my%20job"),
    ],
)
def test_on_the_local_backend_links_open_its_console_signed_for_the_page_never_with_the_token(
    mocker, link, kind, page
):
    from airflow_sm_provider.jobs import KINDS
    from airflow_sm_provider.links.sagemaker import persist_job_link
    from airflow_sm_provider.local.console.token import ConsoleToken

    console = {"local_console_url": "http://127.0.0.1:9000/console/", "local_console_token": "tok-123"}
    task, ti = types.SimpleNamespace(), mocker.Mock()
    persist_job_link(task, {"ti": ti}, KINDS[kind], "my job", hook("http://127.0.0.1:9000", **console))
    url = link.get_link(operator=task, ti_key="ti")
    base, _, signature = url.partition("?sig=")
    assert base == f"http://127.0.0.1:9000{page}"
    assert ConsoleToken("tok-123").signs(page, signature)  # the backend accepts it for that page
    assert "tok-123" not in url and "tok-123" not in str(ti.xcom_push.call_args)


def test_a_console_in_the_extra_is_ignored_when_the_endpoint_is_aws(mocker):
    from airflow_sm_provider.jobs import TRAINING
    from airflow_sm_provider.links.sagemaker import persist_job_link

    task = types.SimpleNamespace()
    console = {"local_console_url": "http://127.0.0.1:9000/console/", "local_console_token": "t"}
    persist_job_link(task, {"ti": mocker.Mock()}, TRAINING, "job", hook(None, **console))
    assert SageMakerTrainingJobLink().get_link(operator=task, ti_key="ti") == training_job_url(
        "us-east-1", "job"
    )


@pytest.mark.parametrize("link", [SageMakerTrainingJobLink(), SageMakerTuningJobLink()])
def test_a_task_that_failed_before_it_had_a_job_shows_no_link_and_reads_no_xcom(mocker, link):
    get_value = mocker.patch("airflow.sdk.execution_time.xcom.XCom.get_value")
    assert link.get_link(operator=types.SimpleNamespace(), ti_key="ti") == ""
    get_value.assert_not_called()
