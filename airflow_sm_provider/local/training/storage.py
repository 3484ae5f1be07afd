"""Moving job inputs and outputs between the job directory and ``file://`` or ``s3://`` URIs.

``file://`` is the embedded default (local disk, as SageMaker SDK local mode allows). ``s3://``
goes through a boto3 S3 client built from boto3's ordinary configuration, so the same code
talks to AWS, MinIO or a moto server depending on ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``
and the usual credential chain.

Prefix semantics follow SageMaker's ``S3Prefix``: every object whose key starts with the prefix
is copied. A prefix naming a "directory" (``s3://b/data/train`` for ``data/train/a.csv``) puts
``a.csv`` at the top of the channel; a prefix naming one object puts that object there; a partial
name (``data/tr``) keeps paths relative to the prefix's last ``/``.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from airflow_sm_provider.local.errors import ValidationError

SCHEMES = ("file", "s3")

_clients: dict[tuple[str | None, str | None], Any] = {}
_clients_lock = threading.Lock()


class StorageError(Exception):
    """A transfer failed; the message is fit for a training job's ``FailureReason``."""


def check_uri(uri: str, field: str) -> None:
    """Raise ``ValidationError`` naming ``field`` unless ``uri`` is a ``file://`` or ``s3://`` URI;
    a ``file://`` URI must name an absolute path (``file:///...``): ``file://name/x`` would
    otherwise resolve against the backend's working directory."""
    parsed = urlparse(uri)
    if parsed.scheme not in SCHEMES:
        raise ValidationError(
            f"{field} must be an s3:// or file:// URI (got scheme {parsed.scheme or 'none'!r}): {uri}"
        )
    if parsed.scheme == "file" and (
        parsed.netloc not in ("", "localhost") or not parsed.path.startswith("/")
    ):
        raise ValidationError(f"{field}: a file:// URI must name an absolute path, as in file:///data/train")


def join(uri: str, *parts: str) -> str:
    """Append path segments to a URI with exactly one ``/`` between them."""
    return "/".join([uri.rstrip("/"), *(part.strip("/") for part in parts)])


def _local_path(uri: str) -> Path:
    """The path a ``file://`` URI names, decoded (``%2e%2e`` is ``..``) and then normalised, so
    what is used is what a reader of the normal form expects."""
    parsed = urlparse(uri)
    host = "" if parsed.netloc == "localhost" else parsed.netloc
    return Path(os.path.normpath(unquote(host + parsed.path)))


def _split_s3(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    return parsed.netloc, parsed.path.lstrip("/")


def s3_client() -> Any:
    """A shared S3 client for the current endpoint configuration (clients are thread-safe)."""
    key = (os.environ.get("AWS_ENDPOINT_URL_S3"), os.environ.get("AWS_ENDPOINT_URL"))
    with _clients_lock:
        if key not in _clients:
            import boto3  # only jobs that touch s3:// pay for the import

            _clients[key] = boto3.session.Session().client("s3")
        return _clients[key]


def fetch_prefix(uri: str, dest: Path) -> int:
    """Copy everything under ``uri`` into ``dest``; return the number of files copied."""
    dest.mkdir(parents=True, exist_ok=True)
    try:
        if urlparse(uri).scheme == "file":
            return _fetch_local(_local_path(uri), dest)
        return _fetch_s3(uri, dest)
    except StorageError:
        raise
    except Exception as err:  # boto errors, OSError: all become a job failure
        raise StorageError(f"Could not download {uri}: {err}") from err


def _fetch_local(source: Path, dest: Path) -> int:
    if source.is_file():
        shutil.copy2(source, dest / source.name)
        return 1
    if not source.is_dir():
        raise StorageError(f"No such file or directory: {source}")
    shutil.copytree(source, dest, dirs_exist_ok=True)
    return sum(1 for path in dest.rglob("*") if path.is_file())


def _fetch_s3(uri: str, dest: Path) -> int:
    bucket, prefix = _split_s3(uri)
    base = prefix[: prefix.rfind("/") + 1]
    client = s3_client()
    count = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if key.endswith("/"):
                continue
            target = dest / _relative(key, prefix, base)
            if not target.resolve().is_relative_to(dest.resolve()):  # a key such as a/../../x
                raise StorageError(f"Refusing object {key!r}: it would land outside {dest.name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(bucket, key, str(target))
            count += 1
    if count == 0:
        raise StorageError(f"No objects found under {uri}")
    return count


def _relative(key: str, prefix: str, base: str) -> str:
    """Where an object lands: under a "directory" prefix, its path below it; else below ``base``."""
    if key == prefix:
        return key.rsplit("/", 1)[-1]
    if not prefix or prefix.endswith("/") or key[len(prefix)] == "/":
        return key[len(prefix) :].lstrip("/")
    return key[len(base) :]


def fetch_code(uri: str, dest: Path) -> None:
    """Materialise ``sagemaker_submit_directory`` (a directory, or a ``.tar.gz``) into ``dest``."""
    if not uri.endswith((".tar.gz", ".tgz")):
        fetch_prefix(uri, dest)
        return
    with tempfile.TemporaryDirectory() as tmp:
        fetch_prefix(uri, Path(tmp))
        archive = Path(tmp) / Path(urlparse(uri).path).name
        try:
            with tarfile.open(archive) as tar:
                _extract(tar, dest)
        except (tarfile.TarError, OSError) as err:
            raise StorageError(f"Could not unpack {uri}: {err}") from err


def _extract(tar: tarfile.TarFile, dest: Path) -> None:
    """Extract refusing members that would land outside ``dest`` (links, absolute paths, ``..``)."""
    if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4
        tar.extractall(dest, filter="data")
        return
    root = dest.resolve()
    for member in tar.getmembers():
        target = (dest / member.name).resolve()
        if member.issym() or member.islnk() or not target.is_relative_to(root):
            raise StorageError(f"Refusing to extract {member.name!r} outside the code directory")
    tar.extractall(dest)


def pack(directory: Path, archive: Path) -> None:
    """Write ``directory``'s contents (not the directory itself) to a gzipped tar."""
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(directory.iterdir()):
            tar.add(path, arcname=path.name)


def upload_file(path: Path, uri: str) -> None:
    """Copy one local file to ``uri`` (a full object URI, not a prefix)."""
    try:
        if urlparse(uri).scheme == "file":
            target = _local_path(uri)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        else:
            bucket, key = _split_s3(uri)
            s3_client().upload_file(str(path), bucket, key)
    except Exception as err:
        raise StorageError(f"Could not upload to {uri}: {err}") from err


def upload_tree(directory: Path, uri: str) -> None:
    """Copy every file under ``directory`` to the prefix ``uri``, keeping relative paths."""
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            upload_file(path, join(uri, path.relative_to(directory).as_posix()))
