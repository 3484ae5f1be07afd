"""What the local backend refuses at CreateTrainingJob, and the uncompressed output layout."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from sm_tuning_helpers import tuning_request

pytestmark = pytest.mark.integration

WRITES_MODEL_AND_DATA = """
import os
os.makedirs(os.path.join(os.environ["SM_MODEL_DIR"], "sub"))
open(os.path.join(os.environ["SM_MODEL_DIR"], "sub", "weights.bin"), "w").write("w")
open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "report.txt"), "w").write("r")
"""


def test_compression_none_uploads_the_model_uncompressed(
    sm_client, scripts, training_request, wait_for_status, tmp_path
):
    request = training_request(scripts.write(WRITES_MODEL_AND_DATA), name="raw")
    request["OutputDataConfig"]["CompressionType"] = "NONE"
    sm_client.create_training_job(**request)

    job = wait_for_status("raw")

    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    output = tmp_path / "output" / "raw" / "output"
    assert job["ModelArtifacts"]["S3ModelArtifacts"] == f"file://{output}/model/"
    assert (output / "model" / "sub" / "weights.bin").read_text() == "w"
    assert (output / "data" / "report.txt").read_text() == "r"
    assert sorted(p.name for p in output.iterdir()) == ["data", "model"]  # no archive at all


def _refused(sm_client, request: dict) -> str:
    with pytest.raises(ClientError) as caught:
        sm_client.create_training_job(**request)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    return caught.value.response["Error"]["Message"]


def test_instance_count_zero_is_refused(sm_client, scripts, training_request):
    request = training_request(scripts.write("pass"))
    request["ResourceConfig"]["InstanceCount"] = 0

    assert "InstanceCount" in _refused(sm_client, request)


def test_algorithm_name_is_refused_instead_of_running_script_mode(sm_client, scripts, training_request):
    request = training_request(scripts.write("pass"))
    request["AlgorithmSpecification"] = {"AlgorithmName": "my-algorithm", "TrainingInputMode": "File"}

    message = _refused(sm_client, request)

    assert "AlgorithmName" in message and "TrainingImage" in message


def test_training_image_and_algorithm_name_together_are_refused(sm_client, scripts, training_request):
    request = training_request(scripts.write("pass"))
    request["AlgorithmSpecification"]["AlgorithmName"] = "my-algorithm"

    assert "not both" in _refused(sm_client, request)


def test_refused_jobs_leave_nothing_behind(sm_client, scripts, training_request, local_server):
    request = training_request(scripts.write("pass"), name="refused")
    request["ResourceConfig"]["InstanceCount"] = 0
    _refused(sm_client, request)

    assert sm_client.list_training_jobs()["TrainingJobSummaries"] == []
    assert not (Path(local_server.home) / "jobs" / "refused").exists()


def test_a_tuning_job_over_algorithm_name_or_zero_instances_is_refused_at_create(sm_client, tmp_path):
    request = tuning_request("file:///nowhere", tmp_path / "out")
    definition = request["TrainingJobDefinition"]
    definition["ResourceConfig"]["InstanceCount"] = 0
    with pytest.raises(ClientError, match="InstanceCount"):
        sm_client.create_hyper_parameter_tuning_job(**request)

    definition["ResourceConfig"]["InstanceCount"] = 1
    spec = definition["AlgorithmSpecification"]
    definition["AlgorithmSpecification"] = {**spec, "AlgorithmName": "my-algorithm"}
    del definition["AlgorithmSpecification"]["TrainingImage"]
    with pytest.raises(ClientError, match="AlgorithmName"):
        sm_client.create_hyper_parameter_tuning_job(**request)
