"""The SageMaker API surface: errors, listing, models, tags, protocol details."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from sm_local_helpers import make_client, signed_headers

pytestmark = pytest.mark.integration

QUICK = "print('loss=0.1')\n"


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def test_duplicate_training_job_name_is_resource_in_use(sm_client, scripts, training_request):
    request = training_request(scripts.write(QUICK), name="twice")
    sm_client.create_training_job(**request)

    with pytest.raises(sm_client.exceptions.ResourceInUse):
        sm_client.create_training_job(**request)
    with pytest.raises(sm_client.exceptions.ResourceInUse):  # same ARN: names clash case-blind
        sm_client.create_training_job(**{**request, "TrainingJobName": "TWICE"})


def test_missing_training_job_is_a_validation_exception_as_in_sagemaker(sm_client):
    # Real SageMaker answers ValidationException "Requested resource not found." here, not
    # ResourceNotFound (aws/aws-sdk#165); clients written against AWS expect that.
    for call in (sm_client.describe_training_job, sm_client.stop_training_job):
        with pytest.raises(ClientError) as excinfo:
            call(TrainingJobName="nope")
        assert _error(excinfo) == ("ValidationException", "Requested resource not found.")


def test_unknown_operation_is_rejected(local_server):
    request = urllib.request.Request(
        local_server.endpoint_url,
        data=b"{}",
        method="POST",
        headers=signed_headers(local_server, "CreateEndpoint", b"{}"),
    )
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(request, timeout=5)
    assert excinfo.value.code == 400
    assert json.loads(excinfo.value.read())["__type"] == "UnknownOperationException"


def test_unknown_operation_through_botocore(sm_client):
    with pytest.raises(ClientError) as excinfo:
        sm_client.create_endpoint(EndpointName="e", EndpointConfigName="c")
    assert _error(excinfo)[0] == "UnknownOperationException"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r.update(TrainingJobName="bad_name"), "trainingJobName"),
        (
            lambda r: r["OutputDataConfig"].update(S3OutputPath="gs://bucket/out"),
            "OutputDataConfig.S3OutputPath",
        ),
        (
            lambda r: r.update(
                InputDataConfig=[
                    {
                        "ChannelName": "train",
                        "DataSource": {
                            "FileSystemDataSource": {
                                "FileSystemId": "fs-12345678",
                                "FileSystemAccessMode": "ro",
                                "FileSystemType": "EFS",
                                "DirectoryPath": "/x",
                            }
                        },
                    }
                ]
            ),
            "FileSystemDataSource",
        ),
        (
            lambda r: r.update(
                InputDataConfig=[
                    {
                        "ChannelName": "train",
                        "DataSource": {"S3DataSource": {"S3DataType": "ManifestFile", "S3Uri": "s3://b/m"}},
                    }
                ]
            ),
            "S3DataType",
        ),
        (
            lambda r: r["AlgorithmSpecification"].update(MetricDefinitions=[{"Name": "m", "Regex": "("}]),
            "MetricDefinitions[0].Regex",
        ),
    ],
)
def test_create_training_job_rules_name_the_field(sm_client, training_request, change, field):
    request = training_request("file:///tmp/code")
    change(request)

    with pytest.raises(ClientError) as excinfo:
        sm_client.create_training_job(**request)

    code, message = _error(excinfo)
    assert code == "ValidationException"
    assert field in message


def test_shape_errors_from_the_raw_protocol_name_the_field(local_server):
    def post(target: str, body: dict) -> dict:
        data = json.dumps(body).encode()
        request = urllib.request.Request(
            local_server.endpoint_url,
            data=data,
            method="POST",
            headers=signed_headers(local_server, target, data),
        )
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            urllib.request.urlopen(request, timeout=5)
        assert excinfo.value.code == 400
        return json.loads(excinfo.value.read())

    missing = post("CreateTrainingJob", {"TrainingJobName": "x"})
    assert missing["__type"] == "ValidationException" and "RoleArn" in missing["message"]
    unknown = post("DescribeTrainingJob", {"TrainingJobName": "x", "Bogus": 1})
    assert "Bogus" in unknown["message"]
    enum = post("ListTrainingJobs", {"StatusEquals": "Running"})
    assert "StatusEquals" in enum["message"] and "InProgress" in enum["message"]


def test_list_training_jobs_filters_sorts_and_paginates(
    sm_client, scripts, training_request, wait_for_status
):
    code = scripts.write(QUICK)
    names = ["alpha-1", "beta-2", "alpha-3", "gamma-4", "alpha-5"]
    for name in names:
        sm_client.create_training_job(**training_request(code, name=name))
    for name in names:
        wait_for_status(name)
    failing = training_request(scripts.write("raise SystemExit(2)"), name="alpha-fail")
    sm_client.create_training_job(**failing)
    wait_for_status("alpha-fail")

    default = sm_client.list_training_jobs()["TrainingJobSummaries"]
    assert [s["TrainingJobName"] for s in default] == [*names, "alpha-fail"]  # CreationTime, Ascending

    by_name = sm_client.list_training_jobs(NameContains="alpha", SortBy="Name", SortOrder="Descending")
    assert [s["TrainingJobName"] for s in by_name["TrainingJobSummaries"]] == [
        "alpha-fail",
        "alpha-5",
        "alpha-3",
        "alpha-1",
    ]

    failed = sm_client.list_training_jobs(StatusEquals="Failed")["TrainingJobSummaries"]
    assert [(s["TrainingJobName"], s["TrainingJobStatus"]) for s in failed] == [("alpha-fail", "Failed")]

    pages, token = [], None
    while True:
        kwargs = {"MaxResults": 4, "StatusEquals": "Completed", **({"NextToken": token} if token else {})}
        response = sm_client.list_training_jobs(**kwargs)
        pages.append([s["TrainingJobName"] for s in response["TrainingJobSummaries"]])
        token = response.get("NextToken")
        if not token:
            break
    assert pages == [names[:4], names[4:]]
    paginated = [
        s["TrainingJobName"]
        for page in sm_client.get_paginator("list_training_jobs").paginate(PaginationConfig={"PageSize": 2})
        for s in page["TrainingJobSummaries"]
    ]
    assert paginated == [*names, "alpha-fail"]

    now = datetime.now(UTC)
    hour = timedelta(hours=1)
    assert (
        len(
            sm_client.list_training_jobs(
                CreationTimeAfter=now - hour, CreationTimeBefore=now + hour, MaxResults=100
            )["TrainingJobSummaries"]
        )
        == 6
    )
    assert sm_client.list_training_jobs(CreationTimeAfter=now + hour)["TrainingJobSummaries"] == []
    assert sm_client.list_training_jobs(LastModifiedTimeBefore=now - hour)["TrainingJobSummaries"] == []
    assert sm_client.list_training_jobs(WarmPoolStatusEquals="Available")["TrainingJobSummaries"] == []


def test_list_operations_follow_sagemakers_name_and_page_size_rules(
    sm_client, scripts, training_request, wait_for_status
):
    sm_client.create_training_job(**training_request(scripts.write(QUICK), name="Mixed-Case-Job"))
    wait_for_status("Mixed-Case-Job")
    for contains in ("mixed-case", "MIXED", "Case-Job"):  # the service matches case-insensitively
        listed = sm_client.list_training_jobs(NameContains=contains)["TrainingJobSummaries"]
        assert [s["TrainingJobName"] for s in listed] == ["Mixed-Case-Job"]
    # botocore checks only the minimum client-side; the service refuses more than 100
    for call in (sm_client.list_training_jobs, sm_client.list_hyper_parameter_tuning_jobs):
        with pytest.raises(ClientError) as excinfo:
            call(MaxResults=101)
        code, message = _error(excinfo)
        assert code == "ValidationException" and "maxResults" in message


def test_bad_pagination_token_is_a_validation_error(sm_client):
    with pytest.raises(ClientError) as excinfo:
        sm_client.list_training_jobs(NextToken="not-a-token")
    assert _error(excinfo)[0] == "ValidationException"


def test_models_are_created_described_and_deleted(sm_client):
    container = {
        "Image": "local/sklearn:latest",
        "ModelDataUrl": "file:///tmp/model.tar.gz",
        "Environment": {"SAGEMAKER_PROGRAM": "inference.py"},
    }
    arn = sm_client.create_model(
        ModelName="churn",
        PrimaryContainer=container,
        ExecutionRoleArn="arn:aws:iam::000000000000:role/SageMakerRole",
        VpcConfig={"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]},
        Tags=[{"Key": "team", "Value": "ml"}],
    )["ModelArn"]
    assert arn == "arn:aws:sagemaker:us-east-1:000000000000:model/churn"

    model = sm_client.describe_model(ModelName="churn")
    assert model["ModelArn"] == arn
    assert model["PrimaryContainer"] == container
    assert model["ExecutionRoleArn"].endswith("role/SageMakerRole")
    assert model["VpcConfig"]["Subnets"] == ["subnet-1"]
    assert isinstance(model["CreationTime"], datetime)
    assert sm_client.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]

    with pytest.raises(ClientError) as excinfo:
        sm_client.create_model(ModelName="churn", PrimaryContainer=container)
    assert _error(excinfo)[0] == "ValidationException"

    sm_client.delete_model(ModelName="churn")
    for call in (sm_client.describe_model, sm_client.delete_model):
        with pytest.raises(ClientError) as excinfo:
            call(ModelName="churn")
        assert _error(excinfo) == ("ValidationException", 'Could not find model "churn".')


def test_tags_on_training_jobs(sm_client, scripts, training_request):
    request = training_request(
        scripts.write(QUICK), name="tagged", Tags=[{"Key": "dag_id", "Value": "retrain"}]
    )
    arn = sm_client.create_training_job(**request)["TrainingJobArn"]

    sm_client.add_tags(
        ResourceArn=arn, Tags=[{"Key": "run_id", "Value": "r1"}, {"Key": "dag_id", "Value": "v2"}]
    )

    assert sm_client.list_tags(ResourceArn=arn)["Tags"] == [
        {"Key": "dag_id", "Value": "v2"},
        {"Key": "run_id", "Value": "r1"},
    ]
    page = sm_client.list_tags(ResourceArn=arn, MaxResults=50)
    assert "NextToken" not in page
    missing = arn.replace("tagged", "ghost")
    with pytest.raises(ClientError) as excinfo:
        sm_client.add_tags(ResourceArn=missing, Tags=[{"Key": "k", "Value": "v"}])
    assert _error(excinfo)[0] == "ResourceNotFound"


def test_region_comes_from_the_request_signature(local_server, scripts, training_request):
    client = make_client(local_server, region="eu-west-1")

    arn = client.create_training_job(**training_request(scripts.write(QUICK), name="in-ireland"))[
        "TrainingJobArn"
    ]

    assert arn.startswith("arn:aws:sagemaker:eu-west-1:000000000000:training-job/")


def test_training_job_arn_lowercases_the_name(sm_client, scripts, training_request):
    arn = sm_client.create_training_job(**training_request(scripts.write(QUICK), name="MixedCase"))[
        "TrainingJobArn"
    ]

    assert arn.endswith(":training-job/mixedcase")
    assert sm_client.describe_training_job(TrainingJobName="MixedCase")["TrainingJobArn"] == arn


def test_timestamps_are_epoch_seconds_on_the_wire(local_server, sm_client, scripts, training_request):
    sm_client.create_training_job(**training_request(scripts.write(QUICK), name="raw"))
    data = b'{"TrainingJobName": "raw"}'
    request = urllib.request.Request(
        local_server.endpoint_url,
        data=data,
        method="POST",
        headers=signed_headers(local_server, "DescribeTrainingJob", data),
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
        body = json.loads(response.read())
    assert isinstance(body["CreationTime"], float)
