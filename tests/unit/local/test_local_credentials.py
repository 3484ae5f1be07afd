"""The backend's access key: explicit, from the environment, or generated into its home."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

import pytest

from airflow_sm_provider.local import credentials
from airflow_sm_provider.local.credentials import Credentials


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_home_gets_a_random_key_kept_private(tmp_path):
    home = tmp_path / "home"

    first = credentials.for_home(home)

    assert first.access_key_id.startswith("SMLOCAL") and len(first.access_key_id) == 20
    assert len(first.secret_access_key) == 40
    assert (_mode(home), _mode(home / "credentials.json")) == (0o700, 0o600)
    assert credentials.for_home(home) == first
    assert credentials.for_home(tmp_path / "other") != first
    assert [p.name for p in home.iterdir()] == ["credentials.json"]  # no staging file left


def test_homes_created_at_once_agree_on_one_key(tmp_path):
    home = tmp_path / "home"
    barrier = threading.Barrier(8)
    results: list[Credentials] = []

    def load() -> None:
        barrier.wait()
        results.append(credentials.for_home(home))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(results)) == 1
    assert results[0] == credentials.for_home(home)


def test_a_loosened_credentials_file_is_tightened(tmp_path):
    credentials.for_home(tmp_path)
    (tmp_path / "credentials.json").chmod(0o644)

    credentials.for_home(tmp_path)

    assert _mode(tmp_path / "credentials.json") == 0o600


def test_a_damaged_credentials_file_is_named_not_shown(tmp_path):
    (tmp_path / "credentials.json").write_text('{"access_key_id": "K", "oops": "s3cr3t"}')

    with pytest.raises(ValueError, match=r"credentials\.json") as excinfo:
        credentials.for_home(tmp_path)
    assert "s3cr3t" not in str(excinfo.value)


def test_explicit_credentials_win_and_are_not_written(tmp_path):
    resolved = credentials.resolve(
        tmp_path / "home", "MYKEY", "my-secret", environ={"SAGEMAKER_LOCAL_ACCESS_KEY_ID": "ENVKEY"}
    )

    assert resolved == Credentials("MYKEY", "my-secret")
    assert not (tmp_path / "home").exists()


def test_environment_credentials_come_next(tmp_path):
    environ = {"SAGEMAKER_LOCAL_ACCESS_KEY_ID": "ENVKEY", "SAGEMAKER_LOCAL_SECRET_ACCESS_KEY": "env-secret"}

    assert credentials.resolve(tmp_path / "home", environ=environ) == Credentials("ENVKEY", "env-secret")
    assert not (tmp_path / "home").exists()


def test_without_either_the_homes_key_is_used(tmp_path):
    assert credentials.resolve(tmp_path / "home", environ={}) == credentials.for_home(tmp_path / "home")


@pytest.mark.parametrize(
    ("explicit", "environ"),
    [
        (("KEY", None), {}),
        ((None, "secret"), {}),
        ((None, None), {"SAGEMAKER_LOCAL_ACCESS_KEY_ID": "KEY"}),
        ((None, None), {"SAGEMAKER_LOCAL_SECRET_ACCESS_KEY": "secret"}),
    ],
)
def test_half_a_key_pair_is_an_error(tmp_path, explicit, environ):
    with pytest.raises(ValueError, match="both"):
        credentials.resolve(tmp_path, *explicit, environ=environ)


@pytest.mark.parametrize(("key", "secret"), [("", "s"), ("a/b", "s"), ("a b", "s"), ("K", ""), ("K", " s ")])
def test_malformed_credentials_are_refused(key, secret):
    with pytest.raises(ValueError):
        Credentials(key, secret)


def test_the_secret_stays_out_of_repr():
    assert "hidden-secret" not in repr(Credentials("KEY", "hidden-secret"))


def test_the_connection_signs_with_the_key_and_points_at_the_endpoint():
    connection = credentials.connection(Credentials("KEY", "secret"), "http://127.0.0.1:8080", "eu-west-1")

    assert json.loads(json.dumps(connection)) == {
        "conn_type": "aws",
        "login": "KEY",
        "password": "secret",
        "extra": {"region_name": "eu-west-1", "endpoint_url": "http://127.0.0.1:8080"},
    }
