"""Where a finished job's model and output data go, as SageMaker lays them out.

With ``OutputDataConfig.CompressionType`` ``GZIP`` (the default) ``/opt/ml/model`` becomes
``<S3OutputPath>/<job>/output/model.tar.gz`` and ``/opt/ml/output/data`` ``output.tar.gz`` beside
it. With ``NONE`` nothing is archived: the files are uploaded as they are under
``<job>/output/model/`` (which DescribeTrainingJob reports as ``S3ModelArtifacts``) and
``<job>/output/data/``.

A job of several hosts has one such directory per host; SageMaker collects them into one
artifact, so the files of every host are merged (on a name clash the lowest host, ``algo-1``,
wins, which is why distributed scripts save the model on the master only).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from airflow_sm_provider.local.training import storage


def compressed(request: dict) -> bool:
    return (request.get("OutputDataConfig") or {}).get("CompressionType", "GZIP") != "NONE"


def prefix(request: dict, name: str) -> str:
    return storage.join(request["OutputDataConfig"]["S3OutputPath"], name, "output")


def model_uri(request: dict, name: str) -> str:
    """``ModelArtifacts.S3ModelArtifacts`` for the job."""
    if compressed(request):
        return storage.join(prefix(request, name), "model.tar.gz")
    return storage.join(prefix(request, name), "model") + "/"


def _merge(directories: Sequence[Path], into: Path) -> Path:
    if len(directories) == 1 and directories[0].is_dir():
        return directories[0]
    # the last copy wins: copy the highest host first so algo-1's files end on top
    for directory in reversed(directories):
        if directory.is_dir():
            shutil.copytree(directory, into, dirs_exist_ok=True)
    into.mkdir(parents=True, exist_ok=True)
    return into


def upload(request: dict, name: str, models: Sequence[Path], outputs: Sequence[Path], work: Path) -> None:
    """Upload the model and output data of every host (``StorageError`` on failure).

    :param models: each host's ``/opt/ml/model``, ``algo-1`` first.
    :param outputs: each host's ``/opt/ml/output/data``, in the same order.
    :param work: a directory of the job's own where archives are built.
    """
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        model = _merge(models, Path(tmp) / "model")
        data = _merge(outputs, Path(tmp) / "data")
        if not compressed(request):
            storage.upload_tree(model, storage.join(prefix(request, name), "model"))
            storage.upload_tree(data, storage.join(prefix(request, name), "data"))
            return
        for directory, archive in ((model, "model.tar.gz"), (data, "output.tar.gz")):
            local = work / archive
            storage.pack(directory, local)
            storage.upload_file(local, storage.join(prefix(request, name), archive))
