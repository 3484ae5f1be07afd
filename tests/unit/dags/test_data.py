"""dags/retraining/data.py: the data channels and the staged training code."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from retraining import data

DAGS = Path(__file__).resolve().parents[3] / "dags"

BUCKET = "retraining-data"


def csv_rows(text: str) -> list[list[str]]:
    return [line.split(",") for line in text.splitlines()]


def channel_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def s3_objects(client, prefix: str = "") -> dict[str, bytes]:
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listing}


# --- prepare_data, file:// --------------------------------------------------------------


def test_prepare_data_writes_label_first_channels_and_reports_them(tmp_path: Path) -> None:
    summary = data.prepare_data(tmp_path.as_uri())

    assert summary["channels"] == {
        name: f"{tmp_path.as_uri()}/{name}/" for name in ("train", "validation", "test", "full")
    }
    assert summary["rows"] == {"train": 341, "validation": 114, "test": 114, "full": 455}
    assert summary["n_features"] == 30 and summary["classes"] == [0, 1]
    assert json.loads(json.dumps(summary)) == summary  # JSON-native, fit for XCom
    for name, count in summary["rows"].items():
        rows = [row for path in (tmp_path / name).iterdir() for row in csv_rows(path.read_text())]
        assert len(rows) == count
        assert all(len(row) == 31 and row[0] in ("0", "1") for row in rows)


def test_full_channel_is_train_plus_validation_as_two_files(tmp_path: Path) -> None:
    data.prepare_data(tmp_path.as_uri())
    full = channel_files(tmp_path / "full")
    assert full == {
        "train.csv": (tmp_path / "train" / "train.csv").read_bytes(),
        "validation.csv": (tmp_path / "validation" / "validation.csv").read_bytes(),
    }


def test_splits_are_disjoint_and_stratified(tmp_path: Path) -> None:
    data.prepare_data(tmp_path.as_uri())
    splits = {n: csv_rows((tmp_path / n / f"{n}.csv").read_text()) for n in ("train", "validation", "test")}
    seen = [tuple(row) for rows in splits.values() for row in rows]
    assert len(seen) == len(set(seen)) == 569
    shares = {n: sum(r[0] == "1" for r in rows) / len(rows) for n, rows in splits.items()}
    assert max(shares.values()) - min(shares.values()) < 0.02  # 357/569 positives everywhere


def test_same_seed_same_bytes_other_seed_other_split(tmp_path: Path) -> None:
    data.prepare_data((tmp_path / "a").as_uri(), seed=7)
    data.prepare_data((tmp_path / "b").as_uri(), seed=7)
    data.prepare_data((tmp_path / "c").as_uri(), seed=8)
    assert channel_files(tmp_path / "a") == channel_files(tmp_path / "b")
    assert channel_files(tmp_path / "a") != channel_files(tmp_path / "c")


def test_rerun_removes_leftovers_from_channel_dirs(tmp_path: Path) -> None:
    (tmp_path / "train" / "old").mkdir(parents=True)
    (tmp_path / "train" / "old" / "stale.csv").write_text("1,2\n")
    (tmp_path / "train" / "stale.csv").write_text("1,2\n")
    (tmp_path / "unrelated.txt").write_text("kept")
    data.prepare_data(tmp_path.as_uri())
    assert sorted(channel_files(tmp_path / "train")) == ["train.csv"]
    assert (tmp_path / "unrelated.txt").read_text() == "kept"


def test_bare_path_is_taken_as_file_uri(tmp_path: Path) -> None:
    summary = data.prepare_data(str(tmp_path / "data"))
    assert summary["channels"]["train"] == f"{(tmp_path / 'data').as_uri()}/train/"
    assert (tmp_path / "data" / "train" / "train.csv").is_file()


@pytest.mark.parametrize("uri", ["gs://bucket/data", "https://example.invalid/data", "file://otherhost/x"])
def test_unsupported_locations_are_refused(uri: str) -> None:
    with pytest.raises(ValueError, match=r"file://|scheme"):
        data.prepare_data(uri)


# --- prepare_data, s3:// ----------------------------------------------------------------


def test_prepare_data_to_s3_writes_the_same_bytes_as_to_disk(s3, tmp_path: Path) -> None:
    summary = data.prepare_data(f"s3://{BUCKET}/retraining/data/", s3_client=s3)
    data.prepare_data(tmp_path.as_uri())

    assert summary["channels"]["validation"] == f"s3://{BUCKET}/retraining/data/validation/"
    on_disk = {f"retraining/data/{key}": body for key, body in channel_files(tmp_path).items()}
    assert s3_objects(s3) == on_disk


def test_prepare_data_to_s3_clears_only_the_channel_prefixes(s3) -> None:
    s3.put_object(Bucket=BUCKET, Key="data/train/stale.csv", Body=b"1,2\n")
    s3.put_object(Bucket=BUCKET, Key="data/trainer/keep.csv", Body=b"1,2\n")
    s3.put_object(Bucket=BUCKET, Key="other/keep.csv", Body=b"1,2\n")
    data.prepare_data(f"s3://{BUCKET}/data", s3_client=s3)
    keys = set(s3_objects(s3))
    assert "data/train/stale.csv" not in keys
    assert {"data/trainer/keep.csv", "other/keep.csv", "data/train/train.csv"} <= keys


def test_prepare_data_uses_a_default_s3_client(s3) -> None:
    summary = data.prepare_data(f"s3://{BUCKET}/d")
    assert summary["rows"]["full"] == 455
    assert set(s3_objects(s3, "d/full/")) == {"d/full/train.csv", "d/full/validation.csv"}


# --- stage_source_dir -------------------------------------------------------------------


def archive_members(blob: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def test_stage_source_dir_packs_the_scripts_reproducibly(tmp_path: Path) -> None:
    uri = data.stage_source_dir((tmp_path / "code").as_uri())
    assert uri == f"{(tmp_path / 'code').as_uri()}/sourcedir.tar.gz"
    first = (tmp_path / "code" / "sourcedir.tar.gz").read_bytes()
    assert archive_members(first)["train.py"] == (DAGS / "retraining" / "scripts" / "train.py").read_bytes()
    assert data.stage_source_dir((tmp_path / "code").as_uri()) == uri
    assert (tmp_path / "code" / "sourcedir.tar.gz").read_bytes() == first
    assert gzip.decompress(first)  # a plain gzip stream, as the toolkit expects


def test_stage_source_dir_skips_bytecode(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "__pycache__").mkdir(parents=True)
    (src / "__pycache__" / "train.cpython-311.pyc").write_bytes(b"\0")
    (src / "train.py").write_text("print('hi')\n")
    (src / "lib").mkdir()
    (src / "lib" / "helpers.py").write_text("X = 1\n")
    data.stage_source_dir(tmp_path.as_uri(), source_dir=src)
    members = archive_members((tmp_path / "sourcedir.tar.gz").read_bytes())
    assert sorted(members) == ["lib/helpers.py", "train.py"]


def test_stage_source_dir_uploads_to_s3(s3) -> None:
    uri = data.stage_source_dir(f"s3://{BUCKET}/code/", s3_client=s3)
    assert uri == f"s3://{BUCKET}/code/sourcedir.tar.gz"
    assert "train.py" in archive_members(s3_objects(s3)["code/sourcedir.tar.gz"])


def test_stage_source_dir_refuses_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        data.stage_source_dir(tmp_path.as_uri(), source_dir=tmp_path / "missing")


# --- prepare_inputs, and the import itself -----------------------------------------------


def test_prepare_inputs_reports_the_channels_and_the_staged_source(tmp_path: Path) -> None:
    summary = data.prepare_inputs((tmp_path / "data").as_uri(), (tmp_path / "code").as_uri())
    assert summary["source"] == f"{(tmp_path / 'code').as_uri()}/sourcedir.tar.gz"
    assert summary["channels"]["full"] == f"{(tmp_path / 'data').as_uri()}/full/"
    assert json.loads(json.dumps(summary)) == summary
    assert (tmp_path / "code" / "sourcedir.tar.gz").is_file()


def test_prepare_inputs_writes_both_to_s3_through_the_given_client(s3) -> None:
    summary = data.prepare_inputs(f"s3://{BUCKET}/data", f"s3://{BUCKET}/code", s3_client=s3)
    assert summary["source"] == f"s3://{BUCKET}/code/sourcedir.tar.gz"
    assert {"code/sourcedir.tar.gz", "data/train/train.csv"} <= set(s3_objects(s3))


def test_import_is_light_and_side_effect_free(tmp_path: Path) -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import retraining.data; "
        "print(sorted(m for m in ('sklearn', 'numpy', 'boto3', 'botocore', 'airflow') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(DAGS)], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
    assert list(tmp_path.iterdir()) == []
