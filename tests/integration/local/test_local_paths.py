"""Paths: a backend started with a relative ``--home`` gives its jobs absolute SM_* paths."""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path

import pytest
from sm_local_helpers import make_client, wait_until

from airflow_sm_provider.local.server import LocalServer

pytestmark = pytest.mark.integration

READS_CHANNEL_WRITES_MODEL = """
import json, os
paths = {k: v for k, v in os.environ.items() if k.startswith("SM_") and k.endswith(("_DIR", "_TRAIN"))
         and k != "SM_MODULE_DIR"}  # the toolkit gives the code URI there
rows = open(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "rows.csv")).read()
with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.json"), "w") as f:
    json.dump({"rows": rows, "paths": paths}, f)
"""


def test_relative_home_gives_the_script_absolute_paths_that_exist(
    tmp_path: Path, monkeypatch, scripts, training_request
):
    data = tmp_path / "data"
    data.mkdir()
    (data / "rows.csv").write_text("1,2\n")
    monkeypatch.chdir(tmp_path)
    with LocalServer(home="relative-home", port=0, stop_grace=1.0) as server:
        client = make_client(server)
        request = training_request(
            scripts.write(READS_CHANNEL_WRITES_MODEL),
            name="relative",
            InputDataConfig=[
                {
                    "ChannelName": "train",
                    "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"file://{data}"}},
                }
            ],
        )
        client.create_training_job(**request)
        job = wait_until(
            lambda: (
                (d := client.describe_training_job(TrainingJobName="relative"))["TrainingJobStatus"]
                in ("Completed", "Failed", "Stopped")
                and d
            )
        )
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    with tarfile.open(tmp_path / "output" / "relative" / "output" / "model.tar.gz") as tar:
        model = json.load(tar.extractfile("model.json"))  # type: ignore[arg-type]
    assert model["rows"] == "1,2\n"
    job_dir = tmp_path / "relative-home" / "jobs" / "relative"
    assert model["paths"]["SM_MODEL_DIR"] == str(job_dir / "model")
    assert model["paths"]["SM_CHANNEL_TRAIN"] == str(job_dir / "input" / "data" / "train")
    assert all(os.path.isabs(path) for path in model["paths"].values())
