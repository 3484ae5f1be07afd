"""Several instances: one process per host (algo-1..algo-N) with its own /opt/ml, its own
resourceconfig.json and SM_* view, its shard of ShardedByS3Key channels and its own log; the
job fails when any host fails; InstanceGroups; a configurable instance limit."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from sm_local_helpers import make_client

from airflow_sm_provider.local.server import LocalServer
from airflow_sm_provider.local.training.options import TrainingOptions

pytestmark = pytest.mark.integration

REPORTS_ITS_HOST = """
import json, os, sys
host = os.environ["SM_CURRENT_HOST"]
config = json.load(open(os.path.join(os.environ["SM_INPUT_CONFIG_DIR"], "resourceconfig.json")))
dirs = {c: os.environ["SM_CHANNEL_" + c.upper()] for c in json.loads(os.environ["SM_CHANNELS"])}
files = {c: sorted(os.listdir(d)) for c, d in dirs.items() if os.path.isdir(d)}
report = {"config": config, "hosts": json.loads(os.environ["SM_HOSTS"]), "files": files,
          "model_dir": os.environ["SM_MODEL_DIR"], "pid": os.getpid()}
print(f"hello from {host}", flush=True)
print(f"loss={int(host.split('-')[1])}", flush=True)
with open(os.path.join(os.environ["SM_MODEL_DIR"], host + ".json"), "w") as f:
    json.dump(report, f)
if host == os.environ.get("FAIL_ON_HOST"):
    with open(os.path.join(os.environ["SM_OUTPUT_DIR"], "failure"), "w") as f:
        f.write("out of memory on this host")
    sys.exit(1)
"""


def _channel(name: str, uri: str, **s3) -> dict:
    return {
        "ChannelName": name,
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri, **s3}},
    }


@pytest.fixture
def data(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    directory.mkdir()
    for index in range(7):
        (directory / f"part-{index}.csv").write_text(str(index))
    return directory


def _models(tmp_path: Path, name: str) -> dict[str, dict]:
    with tarfile.open(tmp_path / "output" / name / "output" / "model.tar.gz") as tar:
        return {m.name: json.load(tar.extractfile(m)) for m in tar.getmembers() if m.isfile()}  # type: ignore[arg-type]


def test_three_instances_run_three_hosts_with_sharded_data(
    sm_client, scripts, training_request, wait_for_status, local_server, tmp_path, data
):
    request = training_request(
        scripts.write(REPORTS_ITS_HOST),
        name="three",
        metrics=[{"Name": "loss", "Regex": "loss=([0-9]+)"}],
        InputDataConfig=[
            _channel("shards", f"file://{data}", S3DataDistributionType="ShardedByS3Key"),
            _channel("everything", f"file://{data}"),
        ],
    )
    request["ResourceConfig"]["InstanceCount"] = 3
    sm_client.create_training_job(**request)

    job = wait_for_status("three")

    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    reports = _models(tmp_path, "three")  # every host's model directory, merged
    assert sorted(reports) == ["algo-1.json", "algo-2.json", "algo-3.json"]
    hosts = ["algo-1", "algo-2", "algo-3"]
    all_files = sorted(p.name for p in data.iterdir())
    shards = []
    for host in hosts:
        report = reports[f"{host}.json"]
        assert report["hosts"] == hosts
        assert report["config"]["current_host"] == host and report["config"]["hosts"] == hosts
        assert report["config"]["instance_groups"][0]["hosts"] == hosts
        assert report["files"]["everything"] == all_files  # FullyReplicated: every host has it all
        shards.append(report["files"]["shards"])
    assert (
        sorted(name for shard in shards for name in shard) == all_files
    )  # each object reaches exactly one host
    assert [len(shard) for shard in shards] == [3, 2, 2]
    assert len({reports[f"{h}.json"]["model_dir"] for h in hosts}) == 3  # own directories
    assert len({reports[f"{h}.json"]["pid"] for h in hosts}) == 3  # own processes
    job_dir = Path(local_server.home) / "jobs" / "three"
    for host in hosts:  # one log stream per host, and the combined one the logs command prints
        assert f"hello from {host}" in (job_dir / host / "log.txt").read_text()
        assert f"[{host}] hello from {host}" in (job_dir / "log.txt").read_text()
    assert {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]} == {"loss": 1.0}  # algo-1's


def test_the_job_fails_when_one_host_fails_with_that_hosts_reason(
    sm_client, scripts, training_request, wait_for_status
):
    request = training_request(
        scripts.write(REPORTS_ITS_HOST), name="one-bad", Environment={"FAIL_ON_HOST": "algo-2"}
    )
    request["ResourceConfig"]["InstanceCount"] = 2
    sm_client.create_training_job(**request)

    job = wait_for_status("one-bad")

    assert job["TrainingJobStatus"] == "Failed"
    assert job["FailureReason"] == "AlgorithmError: algo-2: out of memory on this host"


def test_instance_groups_number_hosts_across_groups_and_route_channels(
    sm_client, scripts, training_request, wait_for_status, tmp_path, data
):
    request = training_request(
        scripts.write(REPORTS_ITS_HOST),
        name="groups",
        InputDataConfig=[_channel("cpu-only", f"file://{data}", InstanceGroupNames=["cpu"])],
    )
    request["ResourceConfig"] = {
        "InstanceGroups": [
            {"InstanceGroupName": "gpu", "InstanceType": "ml.g5.xlarge", "InstanceCount": 1},
            {"InstanceGroupName": "cpu", "InstanceType": "ml.c5.xlarge", "InstanceCount": 2},
        ],
        "VolumeSizeInGB": 1,
    }
    sm_client.create_training_job(**request)

    job = wait_for_status("groups")

    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    reports = _models(tmp_path, "groups")
    gpu, cpu = reports["algo-1.json"]["config"], reports["algo-3.json"]["config"]
    assert (gpu["current_group_name"], gpu["current_instance_type"]) == ("gpu", "ml.g5.xlarge")
    assert (cpu["current_group_name"], cpu["current_instance_type"]) == ("cpu", "ml.c5.xlarge")
    assert cpu["instance_groups"] == [
        {"instance_group_name": "gpu", "instance_type": "ml.g5.xlarge", "hosts": ["algo-1"]},
        {"instance_group_name": "cpu", "instance_type": "ml.c5.xlarge", "hosts": ["algo-2", "algo-3"]},
    ]
    assert "cpu-only" not in reports["algo-1.json"]["files"]  # not for the gpu group
    assert reports["algo-2.json"]["files"]["cpu-only"] == sorted(p.name for p in data.iterdir())


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        ({"InstanceType": "ml.m5.large", "InstanceCount": 3, "VolumeSizeInGB": 1}, "at most 2"),
        (
            {
                "InstanceGroups": [
                    {"InstanceGroupName": "a", "InstanceType": "ml.m5.large", "InstanceCount": 2}
                ],
                "InstanceType": "ml.m5.large",
                "VolumeSizeInGB": 1,
            },
            "not both",
        ),
    ],
)
def test_more_instances_than_the_limit_and_mixed_forms_are_refused(
    tmp_path, scripts, training_request, resources, message
):
    with LocalServer(home=tmp_path / "home", port=0, training=TrainingOptions(max_instances=2)) as server:
        client = make_client(server)
        request = training_request(scripts.write("pass"), ResourceConfig=resources)
        with pytest.raises(ClientError, match=message):
            client.create_training_job(**request)
