"""What a job may touch (issue 13 item 2), each case of the reliability probe: file:// URIs are
absolute and normalised, the program comes from the submitted code, names fit their patterns,
and CheckpointConfig.LocalPath is the job's own directory, never the host path it names."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration


def _refused(call) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    return raised.value.response["Error"]["Message"]


@pytest.mark.parametrize("field", ["output", "channel", "code", "checkpoint"])
def test_a_file_uri_that_names_no_absolute_path_is_refused(
    sm_client, scripts, training_request, tmp_path, field
):
    code = scripts.write("pass")
    relative = "file://relprobe-netloc/x"
    request = training_request(code)
    if field == "output":
        request["OutputDataConfig"]["S3OutputPath"] = relative
    elif field == "channel":
        source = {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": relative}}
        request["InputDataConfig"] = [{"ChannelName": "train", "DataSource": source}]
    elif field == "code":
        request["HyperParameters"]["sagemaker_submit_directory"] = f'"{relative}"'
    else:
        request["CheckpointConfig"] = {"S3Uri": relative}

    message = _refused(lambda: sm_client.create_training_job(**request))

    assert "must name an absolute path" in message
    assert sm_client.list_training_jobs()["TrainingJobSummaries"] == []


def test_an_encoded_dot_dot_is_decoded_and_normalised_before_use(
    sm_client, scripts, training_request, tmp_path, wait_for_status
):
    (tmp_path / "a").mkdir()
    code = scripts.write("import os; open(os.path.join(os.environ['SM_MODEL_DIR'], 'm'), 'w')")
    request = training_request(code, name="normal", output=f"file://{tmp_path}/a/%2e%2e/landed")
    sm_client.create_training_job(**request)

    assert wait_for_status("normal")["TrainingJobStatus"] == "Completed"
    assert (tmp_path / "landed" / "normal" / "output" / "model.tar.gz").is_file()
    assert not [path for path in tmp_path.rglob("*") if "%2e" in path.name]


@pytest.mark.parametrize("program", ["ABSOLUTE", "../outside.py", "sub/../../outside.py"])
def test_a_program_outside_the_submitted_code_never_runs(
    sm_client, scripts, training_request, tmp_path, wait_for_status, program
):
    marker = tmp_path / "ran"
    outside = tmp_path / "scripts" / "outside.py"
    outside.parent.mkdir(parents=True, exist_ok=True)
    outside.write_text(f"open({str(marker)!r}, 'w')")
    request = training_request(
        scripts.write("pass"), name="outside", program=program.replace("ABSOLUTE", str(outside))
    )
    try:
        sm_client.create_training_job(**request)
    except ClientError as err:
        assert err.response["Error"]["Code"] == "ValidationException"
    else:
        assert wait_for_status("outside")["TrainingJobStatus"] == "Failed"
    assert not marker.exists()


def test_names_fit_their_patterns(sm_client, scripts, training_request, tmp_path):
    channel = {
        "ChannelName": "../../../escaped",
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"file://{tmp_path}"}},
    }
    _refused(
        lambda: sm_client.create_training_job(
            **training_request(scripts.write("pass"), InputDataConfig=[channel])
        )
    )
    _refused(lambda: sm_client.create_model(ModelName="../relprobe", PrimaryContainer={"Image": "image"}))
    assert not (tmp_path / "escaped").exists()


def test_a_checkpoint_local_path_on_the_host_is_the_jobs_own_directory(
    local_server, sm_client, scripts, training_request, tmp_path, wait_for_status
):
    host = tmp_path / "host-dir"
    host.mkdir()
    (host / "secret.txt").write_text("host secret")
    uri = tmp_path / "checkpoints"
    script = "print('trained', flush=True)"
    request = training_request(
        scripts.write(script),
        name="ckpt",
        CheckpointConfig={"S3Uri": f"file://{uri}", "LocalPath": str(host)},
    )
    sm_client.create_training_job(**request)

    assert wait_for_status("ckpt")["TrainingJobStatus"] == "Completed"
    assert not [path for path in uri.rglob("secret.txt")]
    assert (local_server.home / "jobs" / "ckpt").is_dir()
    assert sorted(path.name for path in host.iterdir()) == ["secret.txt"]
