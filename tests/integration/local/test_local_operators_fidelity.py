"""Issue 10's behaviour as a DAG author meets it: the training operator with typed specs for two
instances, managed spot with checkpoints, network isolation and a retry strategy, run with
dag.test() against the local backend."""

from __future__ import annotations

import importlib.util
import json
import tarfile
import textwrap
from pathlib import Path

import pendulum
import pytest
from sm_local_helpers import make_client

pytestmark = pytest.mark.integration

DAG_FILE = Path(__file__).parents[1] / "dags" / "sm_test_fidelity.py"  # a configured DAG bundle

SCRIPT = """
import json, os, socket
host = os.environ["SM_CURRENT_HOST"]
try:
    socket.create_connection(("127.0.0.1", int(os.environ["PORT"])), timeout=3).close()
    network = "open"
except OSError:
    network = "none"
open(os.path.join(os.environ["SM_CHECKPOINT_DIR"], host + ".ckpt"), "w").write("saved")
with open(os.path.join(os.environ["SM_MODEL_DIR"], host + ".json"), "w") as f:
    json.dump({"hosts": json.loads(os.environ["SM_HOSTS"]), "network": network}, f)
print(f"loss={int(host[-1])}")
"""


def test_the_training_operator_runs_specs_with_instances_spot_checkpoints_and_isolation(
    airflow_db, aws_default, tmp_path: Path, monkeypatch
):
    from airflow.sdk import DAG

    code, checkpoints = tmp_path / "code", tmp_path / "checkpoints"
    code.mkdir()
    (code / "train.py").write_text(textwrap.dedent(SCRIPT))
    for name, value in {
        "output": (tmp_path / "output").as_uri(),
        "checkpoints": checkpoints.as_uri(),
        "code": code.as_uri(),
        "port": aws_default.endpoint_url.rsplit(":", 1)[1],
    }.items():
        monkeypatch.setenv(f"AIRFLOW_VAR_SM_FIDELITY_{name.upper()}", value)
    spec = importlib.util.spec_from_file_location("sm_test_fidelity", DAG_FILE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = next(obj for obj in vars(module).values() if isinstance(obj, DAG))
    when = pendulum.datetime(2026, 11, 5, tz="UTC")

    run = dag.test(run_after=when, logical_date=when)

    assert run.state == "success"
    sm_client = make_client(aws_default)  # the backend the DAG's aws_default points at
    (summary,) = sm_client.list_training_jobs()["TrainingJobSummaries"]
    job = sm_client.describe_training_job(TrainingJobName=summary["TrainingJobName"])
    assert job["TrainingJobStatus"] == "Completed"
    assert (job["EnableManagedSpotTraining"], job["EnableNetworkIsolation"]) == (True, True)
    assert job["RetryStrategy"] == {"MaximumRetryAttempts": 2}
    assert job["ResourceConfig"]["InstanceCount"] == 2
    assert sorted(p.name for p in checkpoints.iterdir()) == ["algo-1.ckpt", "algo-2.ckpt"]
    assert {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]} == {"loss": 1.0}
    with tarfile.open(tmp_path / "output" / job["TrainingJobName"] / "output" / "model.tar.gz") as tar:
        reports = {m.name: json.load(tar.extractfile(m)) for m in tar.getmembers()}  # type: ignore[arg-type]
    assert reports["algo-2.json"] == {"hosts": ["algo-1", "algo-2"], "network": "none"}
