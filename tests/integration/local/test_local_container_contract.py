"""The documents a training container reads (inputdataconfig.json, resourceconfig.json and the
toolkit's SM_* variables) are written as SageMaker and its training toolkit document them."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

DUMPS_ITS_CONTRACT = """
import json, os
config = os.environ["SM_INPUT_CONFIG_DIR"]
out = {name: json.load(open(os.path.join(config, name + ".json")))
       for name in ("inputdataconfig", "resourceconfig")}
out["env"] = {k: v for k, v in os.environ.items() if k.startswith("SM_")}
with open(os.path.join(os.environ["SM_MODEL_DIR"], "contract.json"), "w") as f:
    json.dump(out, f)
"""

# every property of the toolkit's Environment (sagemaker_training.environment), as SM_TRAINING_ENV
TOOLKIT_ENV_KEYS = {
    "additional_framework_parameters", "channel_input_dirs", "current_host", "current_instance_group",
    "current_instance_group_hosts", "current_instance_type", "distribution_hosts",
    "distribution_instance_groups", "framework_module", "hosts", "hyperparameters", "input_config_dir",
    "input_data_config", "input_dir", "instance_groups", "instance_groups_dict", "is_hetero", "is_master",
    "is_modelparallel_enabled", "job_name", "log_level", "master_hostname", "model_dir", "module_dir",
    "module_name", "network_interface_name", "num_cpus", "num_gpus", "num_neurons", "output_data_dir",
    "output_dir", "output_intermediate_dir", "resource_config", "user_entry_point",
}  # fmt: skip


def _channel(name: str, uri: str, **extra) -> dict:
    distribution = extra.pop("distribution", None)
    s3 = {"S3DataType": "S3Prefix", "S3Uri": uri}
    if distribution:
        s3["S3DataDistributionType"] = distribution
    return {"ChannelName": name, "DataSource": {"S3DataSource": s3}, **extra}


def _contract(tmp_path: Path, name: str) -> dict:
    with tarfile.open(tmp_path / "output" / name / "output" / "model.tar.gz") as tar:
        return json.load(tar.extractfile("contract.json"))  # type: ignore[arg-type]


def test_channel_content_type_wrapper_distribution_and_mode_reach_the_container(
    sm_client, scripts, training_request, wait_for_status, tmp_path
):
    data = tmp_path / "data"
    data.mkdir()
    (data / "rows.csv").write_text("1,0.5\n")
    request = training_request(
        scripts.write(DUMPS_ITS_CONTRACT),
        name="contract",
        hyperparameters={"sagemaker_distributed_dataparallel_enabled": "false", "epochs": "2"},
        InputDataConfig=[
            _channel("train", f"file://{data}", ContentType="text/csv", distribution="ShardedByS3Key"),
            _channel("validation", f"file://{data}", RecordWrapperType="RecordIO", InputMode="FastFile"),
        ],
    )
    request["ResourceConfig"]["InstanceType"] = "ml.m5.xlarge"
    sm_client.create_training_job(**request)

    job = wait_for_status("contract")

    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    contract = _contract(tmp_path, "contract")
    expected_channels = {
        "train": {
            "ContentType": "text/csv",
            "TrainingInputMode": "File",
            "S3DistributionType": "ShardedByS3Key",
            "RecordWrapperType": "None",
        },
        "validation": {  # FastFile is written as File, as SageMaker does
            "TrainingInputMode": "File",
            "S3DistributionType": "FullyReplicated",
            "RecordWrapperType": "RecordIO",
        },
    }
    assert contract["inputdataconfig"] == expected_channels
    env = contract["env"]
    assert json.loads(env["SM_INPUT_DATA_CONFIG"]) == expected_channels
    group = {
        "instance_group_name": "homogeneousCluster",
        "instance_type": "ml.m5.xlarge",
        "hosts": ["algo-1"],
    }
    expected_resources = {
        "current_host": "algo-1",
        "current_instance_type": "ml.m5.xlarge",
        "current_group_name": "homogeneousCluster",
        "hosts": ["algo-1"],
        "instance_groups": [group],
        "network_interface_name": "eth0",
    }
    assert contract["resourceconfig"] == expected_resources
    assert json.loads(env["SM_RESOURCE_CONFIG"]) == expected_resources
    training_env = json.loads(env["SM_TRAINING_ENV"])
    assert set(training_env) == TOOLKIT_ENV_KEYS
    assert training_env["input_data_config"] == expected_channels
    assert training_env["hyperparameters"] == {"epochs": 2}
    assert training_env["additional_framework_parameters"] == {
        "sagemaker_distributed_dataparallel_enabled": False
    }
    assert training_env["instance_groups_dict"] == {"homogeneousCluster": group}
    assert (training_env["is_master"], training_env["master_hostname"]) == (True, "algo-1")
    assert env["SM_CURRENT_INSTANCE_GROUP"] == "homogeneousCluster"
    assert json.loads(env["SM_CURRENT_INSTANCE_GROUP_HOSTS"]) == ["algo-1"]
    assert env["SM_CURRENT_INSTANCE_TYPE"] == "ml.m5.xlarge"
    assert json.loads(env["SM_FRAMEWORK_PARAMS"]) == {"sagemaker_distributed_dataparallel_enabled": False}
    assert env["SM_IS_HETERO"] == "false"
