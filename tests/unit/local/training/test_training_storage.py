"""file:// transfers and the S3 prefix layout rule (S3 itself is covered by integration tests)."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from airflow_sm_provider.local.errors import ValidationError
from airflow_sm_provider.local.training import storage


@pytest.mark.parametrize(
    ("key", "prefix", "expected"),
    [
        ("data/train/a.csv", "data/train", "a.csv"),
        ("data/train/sub/b.csv", "data/train/", "sub/b.csv"),
        ("data/train.csv", "data/train.csv", "train.csv"),
        ("data/training/a.csv", "data/train", "training/a.csv"),
    ],
)
def test_where_an_s3_object_lands_in_the_channel(key, prefix, expected):
    base = prefix[: prefix.rfind("/") + 1]
    assert storage._relative(key, prefix, base) == expected


def test_check_uri_names_the_field():
    storage.check_uri("s3://b/k", "F")
    storage.check_uri("file:///tmp/x", "F")
    with pytest.raises(ValidationError, match=r"Output\.Path"):
        storage.check_uri("/tmp/x", "Output.Path")


def test_join():
    assert (
        storage.join("s3://b/out/", "job", "/output/", "model.tar.gz") == "s3://b/out/job/output/model.tar.gz"
    )


def test_fetch_a_local_directory_or_file(tmp_path: Path):
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_text("a")
    (source / "sub" / "b.txt").write_text("b")

    assert storage.fetch_prefix(f"file://{source}", tmp_path / "d1") == 2
    assert (tmp_path / "d1" / "sub" / "b.txt").read_text() == "b"
    assert storage.fetch_prefix(f"file://{source}/a.txt", tmp_path / "d2") == 1
    assert (tmp_path / "d2" / "a.txt").read_text() == "a"
    with pytest.raises(storage.StorageError, match="missing"):
        storage.fetch_prefix(f"file://{tmp_path}/missing", tmp_path / "d3")


def test_code_archive_is_unpacked_and_pack_round_trips(tmp_path: Path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "w.bin").write_bytes(b"\x00\x01")
    archive = tmp_path / "m.tar.gz"
    storage.pack(tmp_path / "model", archive)
    with tarfile.open(archive) as tar:
        assert tar.getnames() == ["w.bin"]

    storage.fetch_code(f"file://{archive}", tmp_path / "code")
    assert (tmp_path / "code" / "w.bin").read_bytes() == b"\x00\x01"


def test_upload_file_creates_parents(tmp_path: Path):
    (tmp_path / "f").write_text("x")
    storage.upload_file(tmp_path / "f", f"file://{tmp_path}/out/deep/f")
    assert (tmp_path / "out" / "deep" / "f").read_text() == "x"
