"""Pipe input mode: each epoch of a channel is a named pipe carrying its objects back to back."""

from __future__ import annotations

import gzip
import json
import struct
import tarfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

READS_EPOCHS = """
import json, os, stat
data = os.environ["SM_INPUT_DIR"] + "/data"
seen = {"is_fifo": stat.S_ISFIFO(os.stat(data + "/train_0").st_mode)}
seen["epoch0"] = open(data + "/train_0", "rb").read().decode()
with open(data + "/train_1", "rb") as early:  # an epoch may be left early
    seen["epoch1_head"] = early.read(3).decode()
seen["epoch2"] = open(data + "/train_2", "rb").read().decode()
seen["wrapped"] = open(data + "/wrapped_0", "rb").read().hex()
seen["config"] = json.load(open(os.environ["SM_INPUT_CONFIG_DIR"] + "/inputdataconfig.json"))
with open(os.path.join(os.environ["SM_MODEL_DIR"], "seen.json"), "w") as f:
    json.dump(seen, f)
"""


def _channel(name: str, directory: Path, **extra) -> dict:
    source = {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"file://{directory}"}}
    return {"ChannelName": name, "DataSource": source, "InputMode": "Pipe", **extra}


def test_pipe_channels_stream_every_epoch_through_named_pipes(
    sm_client, scripts, training_request, wait_for_status, tmp_path
):
    plain, zipped = tmp_path / "plain", tmp_path / "zipped"
    plain.mkdir()
    zipped.mkdir()
    (plain / "a.txt").write_text("abc\n")
    (plain / "b.txt").write_text("def\n")
    (zipped / "one.gz").write_bytes(gzip.compress(b"hello"))
    request = training_request(
        scripts.write(READS_EPOCHS),
        name="piped",
        InputDataConfig=[
            _channel("train", plain),
            _channel("wrapped", zipped, CompressionType="Gzip", RecordWrapperType="RecordIO"),
        ],
    )
    sm_client.create_training_job(**request)

    job = wait_for_status("piped", timeout=30)

    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    with tarfile.open(tmp_path / "output" / "piped" / "output" / "model.tar.gz") as tar:
        seen = json.load(tar.extractfile("seen.json"))  # type: ignore[arg-type]
    assert seen["is_fifo"] is True
    assert seen["epoch0"] == seen["epoch2"] == "abc\ndef\n"
    assert seen["epoch1_head"] == "abc"
    record = struct.pack("<II", 0xCED7230A, 5) + b"hello" + b"\0\0\0"  # gunzipped, then wrapped
    assert bytes.fromhex(seen["wrapped"]) == record
    assert seen["config"]["train"]["TrainingInputMode"] == "Pipe"
