"""Every operation the local backend serves answers with a body that fits botocore's output shape.

``sm_client`` checks each raw response body (see ``sm_local_helpers.attach_output_validation``);
this test makes sure every operation was exercised, including the tuning ones, on states where
optional members are present (a completed job with metrics, a failed one, a tuning job with a
best training job).
"""

from __future__ import annotations

import pytest
from sm_local_helpers import VALIDATED, check_output, wait_until

from airflow_sm_provider.local.handlers import HANDLERS

pytestmark = pytest.mark.integration

METRICS = [{"Name": "loss", "Regex": r"loss=([0-9.]+)"}]


def _tuning_request(name: str, definition: dict, max_jobs: int = 2) -> dict:
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": max_jobs, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": {
                "ContinuousParameterRanges": [
                    {"Name": "x", "MinValue": "0", "MaxValue": "1", "ScalingType": "Linear"}
                ]
            },
        },
        "TrainingJobDefinition": definition,
        "Tags": [{"Key": "purpose", "Value": "shape-test"}],
    }


def test_every_operation_response_fits_botocore_output_shape(
    local_server, sm_client, scripts, training_request, wait_for_status
):
    VALIDATED.clear()
    ok = training_request(
        scripts.write("import sys\nprint('loss=' + sys.argv[-1] if len(sys.argv) > 1 else 'loss=1')"),
        name="shape-ok",
        metrics=METRICS,
        Tags=[{"Key": "a", "Value": "b"}],
    )
    arn = sm_client.create_training_job(**ok)["TrainingJobArn"]
    sm_client.create_training_job(
        **training_request(scripts.write("raise SystemExit(1)"), name="shape-failed")
    )
    for name in ("shape-ok", "shape-failed"):
        wait_for_status(name)
    sm_client.create_training_job(
        **training_request(scripts.write("import time\ntime.sleep(30)"), name="shape-stop")
    )
    sm_client.stop_training_job(TrainingJobName="shape-stop")
    wait_for_status("shape-stop")
    sm_client.list_training_jobs(MaxResults=1)
    sm_client.add_tags(ResourceArn=arn, Tags=[{"Key": "c", "Value": "d"}])
    sm_client.list_tags(ResourceArn=arn)
    sm_client.create_model(ModelName="shape-model", PrimaryContainer={"Image": "img"})
    sm_client.describe_model(ModelName="shape-model")
    sm_client.delete_model(ModelName="shape-model")
    sm_client.create_model_package_group(
        ModelPackageGroupName="shape-group", ModelPackageGroupDescription="d"
    )
    sm_client.describe_model_package_group(ModelPackageGroupName="shape-group")
    sm_client.list_model_package_groups()
    package = sm_client.create_model_package(
        ModelPackageGroupName="shape-group",
        ModelPackageDescription="v1",
        InferenceSpecification={
            "Containers": [{"Image": "img", "ModelDataUrl": "s3://b/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelMetrics={
            "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": "s3://b/e"}}
        },
        CustomerMetadataProperties={"k": "v"},
    )["ModelPackageArn"]
    sm_client.update_model_package(
        ModelPackageArn=package, ModelApprovalStatus="Approved", ApprovalDescription="ok"
    )
    sm_client.describe_model_package(ModelPackageName=package)
    sm_client.list_model_packages(ModelPackageGroupName="shape-group")
    sm_client.delete_model_package(ModelPackageName=package)
    sm_client.delete_model_package_group(ModelPackageGroupName="shape-group")

    try:
        from airflow_sm_provider.local.tuning import TuningService  # noqa: F401
    except ImportError:
        pytest.skip("tuning engine not available")
    definition = {
        k: ok[k]
        for k in (
            "AlgorithmSpecification",
            "RoleArn",
            "OutputDataConfig",
            "ResourceConfig",
            "StoppingCondition",
        )
    }
    definition["StaticHyperParameters"] = ok["HyperParameters"]
    sm_client.create_hyper_parameter_tuning_job(**_tuning_request("shape-tune", definition))
    sm_client.create_hyper_parameter_tuning_job(**_tuning_request("shape-tune-stop", definition, max_jobs=10))
    sm_client.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName="shape-tune-stop")
    for name in ("shape-tune", "shape-tune-stop"):
        wait_until(
            lambda name=name: (
                sm_client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
                    "HyperParameterTuningJobStatus"
                ]
                in {"Completed", "Stopped", "Failed"}
            ),
            timeout=30,
        )
    sm_client.list_hyper_parameter_tuning_jobs()
    trials = sm_client.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="shape-tune"
    )
    for trial in trials["TrainingJobSummaries"]:
        sm_client.describe_training_job(TrainingJobName=trial["TrainingJobName"])

    assert VALIDATED >= set(HANDLERS), f"not exercised: {set(HANDLERS) - VALIDATED}"


def test_the_checker_catches_unknown_and_missing_members():
    from botocore.session import get_session

    model = get_session().get_service_model("sagemaker").operation_model("DescribeModel")
    with pytest.raises(AssertionError, match="Unknown parameter"):
        check_output(model, b'{"ModelName": "m", "ModelArn": "a", "CreationTime": 1.0, "LocalPath": "/x"}')
    with pytest.raises(AssertionError, match="ModelArn"):
        check_output(model, b'{"ModelName": "m", "CreationTime": 1.0}')
    with pytest.raises(AssertionError, match="epoch seconds"):
        check_output(model, b'{"ModelName": "m", "ModelArn": "a", "CreationTime": "2024-01-01"}')
