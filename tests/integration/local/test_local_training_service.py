"""The in-process interface the tuning engine drives (``TrainingService``), without HTTP."""

from __future__ import annotations

import time

import pytest

from airflow_sm_provider.local.errors import ResourceInUse, ValidationError
from airflow_sm_provider.local.store import Store
from airflow_sm_provider.local.training.service import TrainingService

pytestmark = pytest.mark.integration

TUNING_ARN = "arn:aws:sagemaker:eu-central-1:000000000000:hyper-parameter-tuning-job/tune"


@pytest.fixture
def service(tmp_path):
    training = TrainingService(Store(tmp_path / "home"), stop_grace=0.5)
    training.recover()
    yield training
    training.close()
    training.store.close()


def test_trial_lifecycle_through_the_interface(service, scripts, training_request):
    code = scripts.write("""
        import time
        for loss in (3.0, 2.0, 1.0):
            print(f"loss={loss}", flush=True)
            time.sleep(0.05)
    """)
    request = training_request(
        code,
        name="tune-001-abc",
        metrics=[{"Name": "loss", "Regex": "loss=([0-9.]+)"}],
        Tags=[{"Key": "sagemaker:tuning-job-name", "Value": "tune"}],
    )
    arn = service.create_training_job(request, tuning_job_arn=TUNING_ARN)
    request["HyperParameters"]["mutated"] = "after create"

    assert arn == "arn:aws:sagemaker:eu-central-1:000000000000:training-job/tune-001-abc"
    assert service.wait_training_job("tune-001-abc", timeout=20) is True
    described = service.describe_training_job("tune-001-abc")
    assert described["TrainingJobStatus"] == "Completed"
    assert described["TuningJobArn"] == TUNING_ARN
    assert "mutated" not in described["HyperParameters"]
    assert service.intermediate_metrics("tune-001-abc", "loss") == [3.0, 2.0, 1.0]
    assert service.intermediate_metrics("tune-001-abc", "other") == []
    summaries = service.list_training_job_summaries(["tune-001-abc", "missing"])
    assert [s["TrainingJobName"] for s in summaries] == ["tune-001-abc"]
    assert service.store.get_tags(arn) == [{"Key": "sagemaker:tuning-job-name", "Value": "tune"}]
    described["HyperParameters"]["x"] = "changed by the caller"
    assert "x" not in service.describe_training_job("tune-001-abc")["HyperParameters"]


def test_wait_times_out_on_a_running_job_and_stop_ends_it(service, scripts, training_request):
    service.create_training_job(training_request(scripts.write("import time\ntime.sleep(30)"), name="slow"))

    started = time.monotonic()
    assert service.wait_training_job("slow", timeout=0.2) is False
    assert time.monotonic() - started < 5
    service.stop_training_job("slow")
    service.stop_training_job("slow")  # stopping twice is harmless
    assert service.wait_training_job("slow", timeout=10) is True
    assert service.describe_training_job("slow")["TrainingJobStatus"] == "Stopped"


def test_errors_are_aws_shaped(service, scripts, training_request):
    request = training_request(scripts.write("pass"), name="dup")
    service.create_training_job(request)
    with pytest.raises(ResourceInUse):
        service.create_training_job(request)
    with pytest.raises(ValidationError, match="Requested resource not found"):
        service.describe_training_job("nope")
    with pytest.raises(ValidationError, match="RoleArn"):
        service.create_training_job({**request, "TrainingJobName": "other", "RoleArn": "x"})
