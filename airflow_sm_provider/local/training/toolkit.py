"""What SageMaker and its training toolkit tell a training container about itself.

SageMaker writes ``/opt/ml/input/config/{hyperparameters,inputdataconfig,resourceconfig}.json``
(documented in "How Amazon SageMaker Provides Training Information"); the training toolkit
(``sagemaker-training``) reads them and exports the ``SM_*`` variables, ``SM_TRAINING_ENV``
being every property of its ``Environment`` as one JSON object. This module renders the same
documents for one host of a job, so a script reading any of them sees what it would on AWS.

Hosts: a job of N instances has hosts ``algo-1`` .. ``algo-N``; with ``InstanceGroups`` they are
numbered across the groups in request order. A homogeneous job's only group is named
``homogeneousCluster``, as the toolkit assumes.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOMOGENEOUS = "homogeneousCluster"
NETWORK_INTERFACE = "eth0"
# the sagemaker_* hyperparameters the toolkit consumes itself; any other sagemaker_* key is an
# "additional framework parameter" (SM_FRAMEWORK_PARAMS)
TOOLKIT_PARAMETERS = frozenset(
    {
        "sagemaker_program",
        "sagemaker_submit_directory",
        "sagemaker_region",
        "sagemaker_job_name",
        "sagemaker_container_log_level",
        "sagemaker_enable_cloudwatch_metrics",
        "sagemaker_s3_output",
    }
)


@dataclass(frozen=True)
class Group:
    """One instance group: its name, instance type and the hosts it was given."""

    name: str
    instance_type: str
    hosts: tuple[str, ...]

    def as_config(self) -> dict[str, Any]:
        return {
            "instance_group_name": self.name,
            "instance_type": self.instance_type,
            "hosts": list(self.hosts),
        }


def groups(request: dict) -> list[Group]:
    """The job's instance groups with their hosts (``InstanceGroups``, else one homogeneous group)."""
    resources = request.get("ResourceConfig") or {}
    declared = resources.get("InstanceGroups") or [
        {
            "InstanceGroupName": HOMOGENEOUS,
            "InstanceType": resources.get("InstanceType", "local"),
            "InstanceCount": resources.get("InstanceCount", 1),
        }
    ]
    out, number = [], 0
    for group in declared:
        hosts = tuple(f"algo-{number + i + 1}" for i in range(group["InstanceCount"]))
        number += len(hosts)
        out.append(Group(group["InstanceGroupName"], group["InstanceType"], hosts))
    return out


def hosts(request: dict) -> list[str]:
    """Every host of the job, sorted as SageMaker sorts them (``algo-2`` before ``algo-10``)."""
    names = [host for group in groups(request) for host in group.hosts]
    return sorted(names, key=lambda name: int(name.rsplit("-", 1)[1]))


def group_of(request: dict, host: str) -> Group:
    return next(group for group in groups(request) if host in group.hosts)


def resource_config(request: dict, host: str) -> dict[str, Any]:
    """``resourceconfig.json`` as seen from ``host``."""
    group = group_of(request, host)
    return {
        "current_host": host,
        "current_instance_type": group.instance_type,
        "current_group_name": group.name,
        "hosts": hosts(request),
        "instance_groups": [g.as_config() for g in groups(request)],
        "network_interface_name": NETWORK_INTERFACE,
    }


def input_mode(request: dict, channel: dict) -> str:
    """What ``inputdataconfig.json`` says: FastFile is written as ``File``, as SageMaker does."""
    mode = channel.get("InputMode") or (request.get("AlgorithmSpecification") or {}).get(
        "TrainingInputMode", "File"
    )
    return "Pipe" if mode == "Pipe" else "File"


def input_data_config(request: dict) -> dict[str, Any]:
    """``inputdataconfig.json``: per channel, ContentType (only when given), TrainingInputMode,
    S3DistributionType and RecordWrapperType."""
    out: dict[str, Any] = {}
    for channel in request.get("InputDataConfig") or []:
        s3 = (channel.get("DataSource") or {}).get("S3DataSource") or {}
        entry: dict[str, Any] = {}
        if channel.get("ContentType"):
            entry["ContentType"] = channel["ContentType"]
        entry["TrainingInputMode"] = input_mode(request, channel)
        entry["S3DistributionType"] = s3.get("S3DataDistributionType", "FullyReplicated")
        entry["RecordWrapperType"] = channel.get("RecordWrapperType", "None")
        out[channel["ChannelName"]] = entry
    return out


def env_json(value: Any) -> str:
    """JSON the way the toolkit writes ``SM_*`` variables: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _env_value(value: Any) -> str:
    return value if isinstance(value, str) else env_json(value)


@dataclass(frozen=True)
class Paths:
    """The directories one host's script is told about (absolute)."""

    model: Path
    input: Path
    config: Path
    data: Path
    output: Path
    output_data: Path
    intermediate: Path


def training_env(
    request: dict,
    *,
    name: str,
    host: str,
    paths: Paths,
    hyperparameters: dict[str, Any],
    entry: str,
    module_dir: str,
) -> dict[str, Any]:
    """``SM_TRAINING_ENV``: every property of the toolkit's ``Environment`` for ``host``."""
    every_hp = request.get("HyperParameters") or {}
    framework = {
        key: _decode(value)
        for key, value in every_hp.items()
        if key.startswith("sagemaker_") and key not in TOOLKIT_PARAMETERS
    }
    resources = resource_config(request, host)
    group = group_of(request, host)
    all_hosts = resources["hosts"]
    channels = sorted(c["ChannelName"] for c in request.get("InputDataConfig") or [])
    return {
        "additional_framework_parameters": framework,
        "channel_input_dirs": {c: str(paths.data / c) for c in channels},
        "current_host": host,
        "current_instance_group": group.name,
        "current_instance_group_hosts": list(group.hosts),
        "current_instance_type": group.instance_type,
        "distribution_hosts": [],
        "distribution_instance_groups": [],
        "framework_module": None,
        "hosts": all_hosts,
        "hyperparameters": hyperparameters,
        "input_config_dir": str(paths.config),
        "input_data_config": input_data_config(request),
        "input_dir": str(paths.input),
        "instance_groups": [g.name for g in groups(request)],
        "instance_groups_dict": {g.name: g.as_config() for g in groups(request)},
        "is_hetero": len(groups(request)) > 1,
        "is_master": host == all_hosts[0],
        "is_modelparallel_enabled": None,
        "job_name": name,
        "log_level": 20,
        "master_hostname": all_hosts[0],
        "model_dir": str(paths.model),
        "module_dir": module_dir,
        "module_name": entry.removesuffix(".py"),
        "network_interface_name": NETWORK_INTERFACE,
        "num_cpus": os.cpu_count() or 1,
        "num_gpus": 0,
        "num_neurons": 0,
        "output_data_dir": str(paths.output_data),
        "output_dir": str(paths.output),
        "output_intermediate_dir": str(paths.intermediate),
        "resource_config": resources,
        "user_entry_point": entry,
    }


def environment(env: dict[str, Any], user_args: list[str]) -> dict[str, str]:
    """The ``SM_*`` variables the toolkit exports from a training environment ``env``."""
    out = {
        "SM_HOSTS": env["hosts"],
        "SM_NETWORK_INTERFACE_NAME": env["network_interface_name"],
        "SM_HPS": env["hyperparameters"],
        "SM_USER_ENTRY_POINT": env["user_entry_point"],
        "SM_FRAMEWORK_PARAMS": env["additional_framework_parameters"],
        "SM_RESOURCE_CONFIG": env["resource_config"],
        "SM_INPUT_DATA_CONFIG": env["input_data_config"],
        "SM_OUTPUT_DATA_DIR": env["output_data_dir"],
        "SM_CHANNELS": sorted(env["channel_input_dirs"]),
        "SM_CURRENT_HOST": env["current_host"],
        "SM_CURRENT_INSTANCE_TYPE": env["current_instance_type"],
        "SM_CURRENT_INSTANCE_GROUP": env["current_instance_group"],
        "SM_CURRENT_INSTANCE_GROUP_HOSTS": env["current_instance_group_hosts"],
        "SM_INSTANCE_GROUPS": env["instance_groups"],
        "SM_INSTANCE_GROUPS_DICT": env["instance_groups_dict"],
        "SM_DISTRIBUTION_INSTANCE_GROUPS": env["distribution_instance_groups"],
        "SM_IS_HETERO": env["is_hetero"],
        "SM_MODULE_NAME": env["module_name"],
        "SM_LOG_LEVEL": env["log_level"],
        "SM_FRAMEWORK_MODULE": env["framework_module"],
        "SM_INPUT_DIR": env["input_dir"],
        "SM_INPUT_CONFIG_DIR": env["input_config_dir"],
        "SM_OUTPUT_DIR": env["output_dir"],
        "SM_NUM_CPUS": env["num_cpus"],
        "SM_NUM_GPUS": env["num_gpus"],
        "SM_MODEL_DIR": env["model_dir"],
        "SM_MODULE_DIR": env["module_dir"],
        "SM_TRAINING_ENV": env,
        "SM_USER_ARGS": user_args,
        "SM_OUTPUT_INTERMEDIATE_DIR": env["output_intermediate_dir"],
    }
    for channel, path in env["channel_input_dirs"].items():
        out[f"SM_CHANNEL_{channel.upper()}"] = path
    for key, value in env["hyperparameters"].items():
        out[f"SM_HP_{key.upper()}"] = value
    return {key: _env_value(value) for key, value in out.items()}


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value
