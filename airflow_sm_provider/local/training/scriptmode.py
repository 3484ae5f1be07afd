"""SageMaker's script-mode container contract, laid out on local disk.

A framework container (PyTorch, sklearn, ...) receives ``/opt/ml`` and a set of ``SM_*``
environment variables from the SageMaker training toolkit, then runs
``python <sagemaker_program> --hp1 v1 --hp2 v2`` from the unpacked
``sagemaker_submit_directory``. This module builds the same thing under ``<home>/jobs/<job>/``
so an unchanged ``train.py`` runs here and in AWS.

Hyperparameter values arrive as strings; the SageMaker SDK JSON-encodes them (``'"train.py"'``,
``'0.1'``), hand-written requests often do not (``'train.py'``). Both are accepted.
"""

from __future__ import annotations

import json
import os
import posixpath
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_sm_provider.local.errors import ValidationError
from airflow_sm_provider.local.training import pipes, storage, toolkit

HOST = "algo-1"
PROGRAM = "sagemaker_program"
SUBMIT_DIR = "sagemaker_submit_directory"
OPT_ML = "/opt/ml/"
RESERVED = frozenset({"_tuning_objective_metric"})


def decode(value: str) -> Any:
    """The toolkit's view of a hyperparameter: JSON when it parses as JSON, else the string."""
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def unquote(value: str) -> str:
    """``'"train.py"'`` -> ``'train.py'``; anything that is not a JSON string is kept as given."""
    decoded = decode(value)
    return decoded if isinstance(decoded, str) else value


def user_hyperparameters(hyperparameters: dict[str, str]) -> dict[str, str]:
    """Hyperparameters meant for the script: without the toolkit's ``sagemaker_*`` keys and the
    tuning service's ``_tuning_objective_metric``, which the toolkit also keeps to itself (a
    script with a strict argparse must not see them)."""
    return {k: v for k, v in hyperparameters.items() if not k.startswith("sagemaker_") and k not in RESERVED}


def cli_value(value: Any) -> str:
    """A decoded hyperparameter as the toolkit renders it on the command line."""
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in sorted(value.items()))
    return "" if value is None else str(value)


def contained(local: str) -> str:
    """A container path as a path relative to the job's directory (``ValidationError`` if it
    would climb out of it)."""
    normal = posixpath.normpath("/" + local.lstrip("/"))
    if ".." in local.split("/"):
        raise ValidationError(f"{local!r}: a container path may not contain '..'")
    if normal.startswith(OPT_ML):
        return normal[len(OPT_ML) :]
    return "fs" + normal


@dataclass(frozen=True)
class Layout:
    """Paths of one job's ``/opt/ml`` equivalent; ``root`` is made absolute, because the script
    runs from its code directory and every ``SM_*`` path must name the same place from there."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(os.path.abspath(self.root)))

    @property
    def input(self) -> Path:
        return self.root / "input"

    @property
    def config(self) -> Path:
        return self.input / "config"

    @property
    def data(self) -> Path:
        return self.input / "data"

    @property
    def pipes(self) -> Path:
        """Where Pipe-mode channels are downloaded before they are streamed."""
        return self.input / "pipes"

    @property
    def model(self) -> Path:
        return self.root / "model"

    @property
    def output(self) -> Path:
        return self.root / "output"

    @property
    def output_data(self) -> Path:
        return self.output / "data"

    @property
    def failure(self) -> Path:
        return self.output / "failure"

    @property
    def code(self) -> Path:
        return self.root / "code"

    @property
    def log(self) -> Path:
        return self.root / "log.txt"

    @property
    def pid(self) -> Path:
        return self.root / "pid"

    def checkpoints(self, request: dict) -> Path:
        """``CheckpointConfig.LocalPath`` inside the job's directory: ``/opt/ml/x`` maps to
        ``<root>/x`` and any other absolute path to ``<root>/fs/<path>``; never the host path."""
        local = (request.get("CheckpointConfig") or {}).get("LocalPath") or "/opt/ml/checkpoints"
        return self.root / contained(local)

    def make(self, request: dict) -> None:
        for path in (
            self.config,
            self.data,
            self.model,
            self.output_data,
            self.code,
            self.output / "intermediate",
            self.checkpoints(request),
        ):
            path.mkdir(parents=True, exist_ok=True)


def write_config(layout: Layout, request: dict, host: str = HOST) -> None:
    """input/config/{hyperparameters,resourceconfig,inputdataconfig}.json as SageMaker writes them."""
    files = {
        "hyperparameters.json": request.get("HyperParameters") or {},
        "resourceconfig.json": toolkit.resource_config(request, host),
        "inputdataconfig.json": toolkit.input_data_config(request),
    }
    for name, content in files.items():
        (layout.config / name).write_text(json.dumps(content, indent=2))


def fetch_inputs(layout: Layout, request: dict, host: str = HOST) -> bool:
    """Download the code, every channel (this host's shard of a ``ShardedByS3Key`` one) and the
    checkpoints of ``CheckpointConfig.S3Uri``; True if there were checkpoints to restore.
    ``StorageError`` on failure."""
    hyperparameters = request.get("HyperParameters") or {}
    if SUBMIT_DIR in hyperparameters:
        storage.fetch_code(unquote(hyperparameters[SUBMIT_DIR]), layout.code)
    hosts = toolkit.hosts(request)
    group = toolkit.group_of(request, host).name
    for channel in request.get("InputDataConfig") or []:
        s3 = channel["DataSource"]["S3DataSource"]
        if s3.get("InstanceGroupNames") and group not in s3["InstanceGroupNames"]:
            continue  # the channel goes to the hosts of the groups it names only
        target = (layout.pipes if pipes.is_pipe(request, channel) else layout.data) / channel["ChannelName"]
        storage.fetch_prefix(s3["S3Uri"], target)
        if s3.get("S3DataDistributionType") == "ShardedByS3Key":
            shard(target, hosts.index(host), len(hosts))
    checkpoint_uri = (request.get("CheckpointConfig") or {}).get("S3Uri")
    if checkpoint_uri:
        try:
            storage.fetch_prefix(checkpoint_uri, layout.checkpoints(request))
        except storage.StorageError:
            return False  # no checkpoints yet: the usual case for a first run
        return True
    return False


def shard(directory: Path, index: int, count: int) -> None:
    """Keep this host's objects of a ShardedByS3Key channel: SageMaker gives host ``i`` of ``n``
    every ``n``-th object in key order (``1/n`` of them), so each object reaches one host."""
    files = sorted(path for path in directory.rglob("*") if path.is_file())
    for position, path in enumerate(files):
        if position % count != index:
            path.unlink()


@dataclass(frozen=True)
class Command:
    """What to execute: argv, environment, working directory."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path


def inside(code: Path, entry: str) -> bool:
    """Whether ``entry`` names a file of the submitted code (no ``..``, no link out of it)."""
    root = code.resolve()
    target = (code / entry).resolve()
    return target.is_relative_to(root) and target.is_file()


def program(request: dict) -> str | None:
    value = (request.get("HyperParameters") or {}).get(PROGRAM)
    return unquote(value) if value else None


def command(
    layout: Layout,
    request: dict,
    name: str,
    arn: str,
    host: str = HOST,
    wrapper: tuple[str, ...] = (),
    module: str | None = None,
) -> Command:
    """The script's argv and environment on ``host`` (call after ``fetch_inputs``); ``wrapper``
    goes before the interpreter (``unshare --net`` for network isolation). With ``module`` (a
    built-in algorithm) that module runs instead of ``sagemaker_program``, from the job's root."""
    hyperparameters = request.get("HyperParameters") or {}
    entry = program(request) or ""
    user_hps = user_hyperparameters(hyperparameters)
    args: list[str] = []
    decoded = {key: decode(value) for key, value in user_hps.items()}
    for key in sorted(decoded):  # the toolkit passes them sorted by name
        args += [f"--{key}", cli_value(decoded[key])]
    module_dir = unquote(hyperparameters.get(SUBMIT_DIR, "")) or str(layout.code)
    interpreter = ["/bin/sh"] if entry.endswith(".sh") else [sys.executable]
    paths = toolkit.Paths(
        model=layout.model,
        input=layout.input,
        config=layout.config,
        data=layout.data,
        output=layout.output,
        output_data=layout.output_data,
        intermediate=layout.output / "intermediate",
    )
    training_env = toolkit.training_env(
        request,
        name=name,
        host=host,
        paths=paths,
        hyperparameters=decoded,
        entry=entry,
        module_dir=module_dir,
    )
    env = dict(os.environ)
    env.update(toolkit.environment(training_env, args))
    env.update(
        {
            "PYTHONUNBUFFERED": "1",  # metrics must reach us as they are printed
            "TRAINING_JOB_NAME": name,
            "TRAINING_JOB_ARN": arn,
            "SM_CHECKPOINT_DIR": str(layout.checkpoints(request)),
        }
    )
    env.update(request.get("Environment") or {})
    if module is not None:
        return Command(argv=[*wrapper, sys.executable, "-m", module], env=env, cwd=layout.root)
    return Command(argv=[*wrapper, *interpreter, entry, *args], env=env, cwd=layout.code)
