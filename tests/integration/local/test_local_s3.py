"""s3:// channels, code and output through whatever S3 endpoint boto3 is configured for (a moto
server here)."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import tarfile

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from sm_local_helpers import wait_until

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def s3(monkeypatch, tmp_path):
    # moto in a child process: an in-process ThreadedMotoServer imports `requests`, which a test
    # helper module elsewhere in the tree can shadow when the whole suite is collected at once.
    port = _free_port()
    with open(tmp_path / "moto.log", "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client("s3", region_name="us-east-1")

    def bucket_created() -> bool:
        try:
            client.create_bucket(Bucket="ml-data")
        except EndpointConnectionError:
            return False
        return True

    try:
        wait_until(bucket_created, timeout=30, interval=0.1)
        yield client
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_s3_channel_code_and_output(s3, sm_client, training_request, wait_for_status):
    s3.put_object(Bucket="ml-data", Key="data/train/part-0.csv", Body=b"1,2\n")
    s3.put_object(Bucket="ml-data", Key="data/train/nested/part-1.csv", Body=b"3,4\n")
    s3.put_object(Bucket="ml-data", Key="data/validation/other.csv", Body=b"no\n")
    source = io.BytesIO()
    script = (
        b"import os\n"
        b"files = sorted(os.path.relpath(os.path.join(d, f), os.environ['SM_CHANNEL_TRAIN'])\n"
        b"               for d, _, fs in os.walk(os.environ['SM_CHANNEL_TRAIN']) for f in fs)\n"
        b"open(os.path.join(os.environ['SM_MODEL_DIR'], 'files.txt'), 'w').write(','.join(files))\n"
        b"print('rows=2')\n"
    )
    with tarfile.open(fileobj=source, mode="w:gz") as tar:
        info = tarfile.TarInfo("train.py")
        info.size = len(script)
        tar.addfile(info, io.BytesIO(script))
    s3.put_object(Bucket="ml-data", Key="code/sourcedir.tar.gz", Body=source.getvalue())
    request = training_request(
        "s3://ml-data/code/sourcedir.tar.gz",
        name="from-s3",
        output="s3://ml-data/models",
        metrics=[{"Name": "rows", "Regex": "rows=(\\d+)"}],
        InputDataConfig=[
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://ml-data/data/train"}
                },
            }
        ],
    )
    sm_client.create_training_job(**request)

    job = wait_for_status("from-s3")

    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert job["ModelArtifacts"]["S3ModelArtifacts"] == "s3://ml-data/models/from-s3/output/model.tar.gz"
    body = s3.get_object(Bucket="ml-data", Key="models/from-s3/output/model.tar.gz")["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        assert tar.extractfile("files.txt").read() == b"nested/part-1.csv,part-0.csv"
    assert s3.head_object(Bucket="ml-data", Key="models/from-s3/output/output.tar.gz")
    assert job["FinalMetricDataList"][0]["Value"] == 2.0


def test_missing_s3_prefix_fails_the_job(s3, sm_client, training_request, wait_for_status):
    request = training_request("s3://ml-data/nothing-here", name="no-code", output="s3://ml-data/models")
    sm_client.create_training_job(**request)

    job = wait_for_status("no-code")

    assert job["TrainingJobStatus"] == "Failed"
    assert "s3://ml-data/nothing-here" in job["FailureReason"]
