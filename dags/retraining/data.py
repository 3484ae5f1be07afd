"""The pipeline's inputs: data channels and the training code, written where the Variables say.

Airflow-free and cheap to import (no network, no disk, no scikit-learn or boto3 at module
level): the DAG files import it, and the work happens when their ``prepare_data`` task calls
:func:`prepare_inputs`.

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

__all__ = ["DATASET", "SCRIPTS_DIR", "prepare_data", "prepare_inputs", "stage_source_dir", "write_object"]

DATASET = "sklearn.datasets.load_breast_cancer"
SCRIPTS_DIR = Path(__file__).resolve().parent / "scripts"
SOURCE_ARCHIVE = "sourcedir.tar.gz"

_SPLITS = {"train": 0.6, "validation": 0.2, "test": 0.2}


def prepare_inputs(data_uri: str, code_uri: str, *, s3_client: Any | None = None) -> dict[str, Any]:
    """Everything a training job of the pipeline reads: the data channels and the training code.

    :param data_uri: Where :func:`prepare_data` writes the channels.
    :param code_uri: Where :func:`stage_source_dir` writes the source archive.
    :param s3_client: As for :func:`prepare_data`; used for either URI that is ``s3://``.
    :return: :func:`prepare_data`'s summary with ``source``, the URI of the staged training code
        (the ``sagemaker_submit_directory`` hyperparameter).
    """
    summary = prepare_data(data_uri, s3_client=s3_client)
    summary["source"] = stage_source_dir(code_uri, s3_client=s3_client)
    return summary


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

    Use the result as the ``sagemaker_submit_directory`` hyperparameter. The archive is
    byte-for-byte reproducible (sorted entries, fixed owners and times), so re-running a DAG
    rewrites the same object.

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


def write_object(uri: str, body: bytes, *, s3_client: Any | None = None) -> str:
    """Write ``body`` at ``uri`` (``s3://`` or ``file://``, as the channels are written); return ``uri``."""
    _store_for(uri, s3_client).put(uri, body)
    return uri


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
