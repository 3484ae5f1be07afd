"""Data, code and metric definitions for the SageMaker retraining pipeline.

Imported by DAG files, so importing it must stay cheap and side-effect free: no network,
no disk, no scikit-learn or boto3 at module level. The work happens when a task calls a
function.

The training script is ``scripts/train.py`` beside this module (a gradient-boosted tree
classifier in SageMaker script mode). Its data is scikit-learn's bundled Wisconsin breast
cancer dataset (569 rows, 30 numeric features, binary label), which ships inside the
scikit-learn package: nothing is downloaded.

Splits written by :func:`prepare_data` (stratified, seeded):

=============  =====  ========================================================
channel        share  used by
=============  =====  ========================================================
``train``      60 %   every tuning trial
``validation`` 20 %   every tuning trial: the objective is measured here
``test``       20 %   the final run only: an untouched holdout for its metrics
``full``       80 %   the final run's ``train`` channel: train + validation, as
                      two CSV files
=============  =====  ========================================================

All locations are URIs: ``s3://bucket/prefix`` (through the given or default boto3 S3
client, so AWS, MinIO or a moto server alike) or ``file:///abs/path`` (local disk, which
the embedded local backend reads directly; a bare absolute path is taken as ``file://``).
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

__all__ = [
    "DATASET",
    "DEFAULT_HYPERPARAMETERS",
    "ENTRY_POINT",
    "HYPERPARAMETER_RANGES",
    "METRIC_DEFINITIONS",
    "OBJECTIVE_METRIC",
    "SCRIPTS_DIR",
    "input_channel",
    "prepare_data",
    "script_mode_hyperparameters",
    "stage_source_dir",
]

DATASET = "sklearn.datasets.load_breast_cancer"
SCRIPTS_DIR = Path(__file__).resolve().parent / "scripts"
ENTRY_POINT = "train.py"
SOURCE_ARCHIVE = "sourcedir.tar.gz"

_NUMBER = r"([0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"


def _metric(split: str, name: str) -> dict[str, str]:
    return {"Name": f"{split}:{name}", "Regex": f"{split}-{name}={_NUMBER}"}


# train.py prints "[stage k/n] train-logloss=0.1 validation-logloss=0.2 ..." once per
# reported boosting stage; SageMaker keeps the last match of each as the final value.
# validation:* appear in tuning trials, test:* in the final run, train:* in both.
METRIC_DEFINITIONS: list[dict[str, str]] = [
    _metric(split, name)
    for split in ("validation", "test", "train")
    for name in ("logloss", "accuracy", "auc")
]

# Log loss rather than accuracy: on 114 validation rows accuracy moves in steps of
# ~0.9 % and ties a lot, which leaves a Bayesian search nothing to model.
OBJECTIVE_METRIC: dict[str, str] = {"Type": "Minimize", "MetricName": "validation:logloss"}

# train.py's defaults, spelled as SageMaker HyperParameters (strings).
DEFAULT_HYPERPARAMETERS: dict[str, str] = {
    "n_estimators": "100",
    "max_depth": "3",
    "learning_rate": "0.1",
    "min_samples_leaf": "1",
    "subsample": "1.0",
    "random_state": "0",
}

# A search space that keeps one trial at a few seconds on 2 cores (the cost is mostly
# importing scikit-learn; 200 stages of depth 5 still fit in well under a second).
HYPERPARAMETER_RANGES: dict[str, list[dict[str, str]]] = {
    "IntegerParameterRanges": [
        {"Name": "n_estimators", "MinValue": "20", "MaxValue": "200", "ScalingType": "Auto"},
        {"Name": "max_depth", "MinValue": "2", "MaxValue": "5", "ScalingType": "Auto"},
        {"Name": "min_samples_leaf", "MinValue": "1", "MaxValue": "20", "ScalingType": "Auto"},
    ],
    "ContinuousParameterRanges": [
        {"Name": "learning_rate", "MinValue": "0.01", "MaxValue": "0.3", "ScalingType": "Logarithmic"},
        {"Name": "subsample", "MinValue": "0.5", "MaxValue": "1.0", "ScalingType": "Linear"},
    ],
    "CategoricalParameterRanges": [],
}

_SPLITS = {"train": 0.6, "validation": 0.2, "test": 0.2}


def input_channel(name: str, uri: str, *, content_type: str = "text/csv") -> dict[str, Any]:
    """One ``InputDataConfig`` entry reading every object under ``uri``."""
    return {
        "ChannelName": name,
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": uri,
                "S3DataDistributionType": "FullyReplicated",
            }
        },
        "ContentType": content_type,
        "CompressionType": "None",
        "InputMode": "File",
    }


def script_mode_hyperparameters(source_uri: str) -> dict[str, str]:
    """The hyperparameters that tell a script-mode container what to run."""
    return {"sagemaker_program": ENTRY_POINT, "sagemaker_submit_directory": source_uri}


def prepare_data(data_uri: str, *, seed: int = 0, s3_client: Any | None = None) -> dict[str, Any]:
    """Split the bundled dataset and write label-first, headerless CSV channels.

    Each channel prefix (``<data_uri>/train/`` and so on) is emptied first, so it holds
    exactly this call's files and a re-run never trains on leftovers.

    :param data_uri: ``s3://bucket/prefix`` or ``file:///abs/dir``.
    :param seed: seeds the stratified split; the same seed writes the same bytes.
    :param s3_client: a boto3 S3 client (e.g. ``S3Hook(aws_conn_id).get_conn()``);
        by default ``boto3.client("s3")``, which honours ``AWS_ENDPOINT_URL_S3``.
    :return: JSON-native summary: ``channels`` (name -> URI), ``rows`` (name -> count),
        ``n_features``, ``classes``, ``dataset``, ``seed``.
    """
    import numpy as np
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    features, labels = load_breast_cancer(return_X_y=True)
    rows = np.column_stack([labels, features])
    rest, test = train_test_split(rows, test_size=_SPLITS["test"], random_state=seed, stratify=labels)
    validation_share = _SPLITS["validation"] / (1 - _SPLITS["test"])
    train, validation = train_test_split(
        rest, test_size=validation_share, random_state=seed, stratify=rest[:, 0]
    )
    files = {
        "train": {"train.csv": train},
        "validation": {"validation.csv": validation},
        "test": {"test.csv": test},
        "full": {"train.csv": train, "validation.csv": validation},
    }
    store = _store_for(data_uri, s3_client)
    channels = {}
    for channel, contents in files.items():
        prefix = _join(data_uri, channel)
        store.clear(prefix)
        for name, block in contents.items():
            store.put(prefix + name, _to_csv(block))
        channels[channel] = prefix
    return {
        "dataset": DATASET,
        "seed": seed,
        "n_features": int(features.shape[1]),
        "classes": sorted(int(c) for c in set(labels.tolist())),
        "channels": channels,
        "rows": {channel: sum(len(b) for b in contents.values()) for channel, contents in files.items()},
    }


def stage_source_dir(
    code_uri: str, *, source_dir: str | os.PathLike[str] | None = None, s3_client: Any | None = None
) -> str:
    """Pack the training scripts as ``<code_uri>/sourcedir.tar.gz`` and return its URI.

    Use the result as the ``sagemaker_submit_directory`` hyperparameter (see
    :func:`script_mode_hyperparameters`). The archive is byte-for-byte reproducible
    (sorted entries, fixed owners and times), so re-running a DAG rewrites the same object.

    :param code_uri: ``s3://bucket/prefix`` or ``file:///abs/dir``.
    :param source_dir: the directory to pack; ``scripts/`` beside this module by default.
    :param s3_client: as for :func:`prepare_data`.
    """
    root = Path(source_dir) if source_dir is not None else SCRIPTS_DIR
    if not root.is_dir():
        raise NotADirectoryError(f"source_dir {str(root)!r} is not a directory")
    target = _join(code_uri, "") + SOURCE_ARCHIVE
    _store_for(code_uri, s3_client).put(target, _tar_gz(root))
    return target


def _to_csv(block: Any) -> bytes:
    import numpy as np

    buffer = io.BytesIO()
    formats = ["%d"] + ["%.10g"] * (block.shape[1] - 1)
    np.savetxt(buffer, block, delimiter=",", fmt=formats)
    return buffer.getvalue()


def _tar_gz(root: Path) -> bytes:
    import gzip

    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        if "__pycache__" in Path(info.name).parts or info.name.endswith(".pyc"):
            return None
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = 0
        return info

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                archive.add(path, arcname=path.relative_to(root).as_posix(), filter=clean)
    # gzip's header carries a timestamp; pin it so equal sources give equal bytes.
    return gzip.compress(raw.getvalue(), mtime=0)


def _join(uri: str, child: str) -> str:
    """``uri`` as a prefix ending in '/', plus ``child`` and a trailing '/' if given."""
    if "://" not in uri:
        uri = Path(uri).absolute().as_uri()
    base = uri.rstrip("/") + "/"
    return base + (child + "/" if child else "")


def _store_for(uri: str, s3_client: Any | None) -> _FileStore | _S3Store:
    scheme = urlparse(uri).scheme if "://" in uri else "file"
    if scheme == "file":
        return _FileStore()
    if scheme == "s3":
        return _S3Store(s3_client)
    raise ValueError(f"unsupported URI scheme {scheme!r} in {uri!r}: use s3:// or file://")


class _FileStore:
    @staticmethod
    def _path(uri: str) -> Path:
        parsed = urlparse(uri)
        if parsed.netloc not in ("", "localhost"):
            raise ValueError(f"file:// URIs must be local: {uri!r}")
        return Path(unquote(parsed.path))

    def clear(self, prefix: str) -> None:
        directory = self._path(prefix)
        if directory.is_dir():
            # Deepest first, so each directory is empty by the time it is removed.
            for path in sorted(directory.rglob("*"), reverse=True):
                if path.is_dir() and not path.is_symlink():
                    path.rmdir()
                else:
                    path.unlink()

    def put(self, uri: str, body: bytes) -> None:
        path = self._path(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)


class _S3Store:
    def __init__(self, client: Any | None) -> None:
        if client is None:
            import boto3

            client = boto3.client("s3")
        self.client = client

    @staticmethod
    def _split(uri: str) -> tuple[str, str]:
        parsed = urlparse(uri)
        if not parsed.netloc:
            raise ValueError(f"s3:// URI without a bucket: {uri!r}")
        return parsed.netloc, parsed.path.lstrip("/")

    def clear(self, prefix: str) -> None:
        bucket, key_prefix = self._split(prefix)
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=key_prefix):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                self.client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})

    def put(self, uri: str, body: bytes) -> None:
        bucket, key = self._split(uri)
        self.client.put_object(Bucket=bucket, Key=key, Body=body)
