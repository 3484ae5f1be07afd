"""SQLite persistence: versioned job writes, models, tags."""

from __future__ import annotations

from pathlib import Path

from airflow_sm_provider.local.store import Store


def _doc(version: int, status: str) -> dict:
    return {"name": "j", "version": version, "secondary_status": status}


def test_an_older_version_never_overwrites_a_newer_one(tmp_path: Path):
    store = Store(tmp_path)
    store.save_training_job(_doc(2, "Training"))
    store.save_training_job(_doc(1, "Downloading"))
    assert store.load_training_jobs() == [_doc(2, "Training")]
    store.save_training_job(_doc(3, "Completed"))
    assert Store(tmp_path).load_training_jobs() == [_doc(3, "Completed")]
    assert store.path == tmp_path / "state.db"


def test_tags_keep_first_insertion_order_and_overwrite_values(tmp_path: Path):
    store = Store(tmp_path)
    store.put_tags("arn:a", [{"Key": "b", "Value": "1"}, {"Key": "a", "Value": "2"}])
    store.put_tags("arn:a", [{"Key": "b", "Value": "3"}, {"Key": "c", "Value": "4"}])
    assert store.get_tags("arn:a") == [
        {"Key": "b", "Value": "3"},
        {"Key": "a", "Value": "2"},
        {"Key": "c", "Value": "4"},
    ]
    assert store.get_tags("arn:other") == []
    store.delete_tags("arn:a")
    assert store.get_tags("arn:a") == []


def test_models_are_unique_by_name(tmp_path: Path):
    store = Store(tmp_path)
    assert store.insert_model({"name": "m", "x": 1})
    assert not store.insert_model({"name": "m", "x": 2})
    store.delete_model("m")
    assert store.load_models() == []
