"""The plugin's app as Airflow mounts it: who may call it, what it shows, how often it reads SageMaker.

Users are authenticated by Airflow's own ``get_user`` with real JWTs from a SimpleAuthManager
whose DAG permissions are a table (:class:`DagTableAuthManager`).
"""

from __future__ import annotations

from typing import ClassVar

import pytest
from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager
from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
from fastapi import FastAPI
from fastapi.testclient import TestClient

from airflow_sm_provider.plugins import snapshots, views
from airflow_sm_provider.plugins.sagemaker_ui import URL_PREFIX, SageMakerUIPlugin
from airflow_sm_provider.plugins.snapshots import JobRef

from .sample_jobs import FakeHook

PAGE = f"{URL_PREFIX}/dags/retraining/runs/manual__2026-01-01T00:00:00+00:00/tasks/tune"
TRAIN_PAGE = f"{URL_PREFIX}/dags/retraining/runs/manual__2026-01-01T00:00:00+00:00/tasks/train_final"
JOBS = {
    "tune": JobRef("tuning", "tune", "us-east-1", "aws_default"),
    "train_final": JobRef("training", "train-final", "us-east-1", "aws_default"),
}


class DagTableAuthManager(SimpleAuthManager):
    """Reads only: each user may read the DAGs listed for them (and, for some, not their logs)."""

    readable: ClassVar[dict[str, set[str]]] = {
        "reader": {"retraining"},
        "outsider": {"other"},
        "nologs": {"retraining"},
    }

    def is_authorized_dag(self, *, method, user, access_entity=None, details=None):
        if method != "GET" or details is None or details.id not in self.readable.get(user.username, set()):
            return False
        return access_entity is None or user.username != "nologs"


@pytest.fixture
def auth_manager(monkeypatch):
    from airflow.api_fastapi import app as airflow_app

    monkeypatch.setenv("AIRFLOW__CORE__AUTH_MANAGER", f"{__name__}.DagTableAuthManager")
    monkeypatch.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "test-only-" + "x" * 64)
    # Airflow 3.0 signs with issuer None unless one is set, which newer PyJWT refuses
    monkeypatch.setenv("AIRFLOW__API_AUTH__JWT_ISSUER", "sm-provider-tests")
    try:  # Airflow 3.1+ looks a token up in the metadata DB's revoked tokens; unit tests have no DB
        from airflow.models.revoked_token import RevokedToken
    except ImportError:
        pass
    else:
        monkeypatch.setattr(RevokedToken, "is_revoked", classmethod(lambda cls, jti, **kwargs: False))
    manager = airflow_app.create_auth_manager()
    assert isinstance(airflow_app.get_auth_manager(), DagTableAuthManager)
    return manager


@pytest.fixture
def hook(monkeypatch):
    fake = FakeHook()
    snapshots.clear_cache()
    monkeypatch.setattr(snapshots, "default_hook", lambda ref: fake)
    monkeypatch.setattr(views, "_find_job", lambda dag_id, run_id, task_id, map_index: JOBS.get(task_id))
    yield fake
    snapshots.clear_cache()


@pytest.fixture
def client(auth_manager, hook):
    """An api-server stand-in: the plugin's app mounted where Airflow mounts it."""
    root = FastAPI()
    for entry in SageMakerUIPlugin.fastapi_apps:
        root.mount(entry["url_prefix"], entry["app"])
    with TestClient(root) as test_client:
        yield test_client


def token(auth_manager, username: str) -> str:
    return auth_manager.generate_jwt(SimpleAuthManagerUser(username=username, role="viewer"))


def bearer(auth_manager, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(auth_manager, username)}"}


def test_without_a_session_the_page_is_401_and_reads_nothing(client, hook):
    response = client.get(PAGE)
    assert response.status_code == 401
    assert "tune-001" not in response.text
    assert hook.calls == []


def test_an_invalid_token_is_refused(client, hook):
    response = client.get(PAGE, headers={"Authorization": "Bearer not-a-jwt"})
    assert response.status_code in (401, 403)
    assert hook.calls == []


def test_a_user_who_may_not_read_the_dag_gets_403_and_nothing_is_read(client, auth_manager, hook):
    response = client.get(PAGE, headers=bearer(auth_manager, "outsider"))
    assert response.status_code == 403
    assert "tune-001" not in response.text
    assert hook.calls == []


def test_a_user_who_may_read_the_dag_sees_every_trial(client, auth_manager):
    response = client.get(PAGE, headers=bearer(auth_manager, "reader"))
    assert response.status_code == 200, response.text
    for name in ("tune-001", "tune-002", "tune-003"):
        assert f'data-trial="{name}"' in response.text
    assert 'class="trial best" data-trial="tune-002"' in response.text
    assert "<svg" in response.text


def test_the_ui_cookie_is_a_session_too(client, auth_manager):
    from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN

    if "cookie" not in _get_user_source():
        pytest.skip("this Airflow (3.0) reads only the Authorization header; the 401 page retries with it")
    client.cookies.set(COOKIE_NAME_JWT_TOKEN, token(auth_manager, "reader"))
    assert client.get(PAGE).status_code == 200


def test_the_401_page_retries_with_the_token_airflow_3_0_keeps_in_local_storage(client):
    response = client.get(PAGE)
    policy = response.headers["Content-Security-Policy"]
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in response.text
    assert 'localStorage.getItem("token")' in response.text


def test_values_from_sagemaker_are_escaped_and_the_page_runs_no_script(client, auth_manager):
    response = client.get(PAGE, headers=bearer(auth_manager, "reader"))
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<script" not in response.text
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_no_environment_role_or_request_is_shown(client, auth_manager):
    for page in (PAGE, TRAIN_PAGE):
        text = client.get(page, headers=bearer(auth_manager, "reader")).text
        assert "do-not-show-me" not in text
        assert "SECRET_TOKEN" not in text
        assert "secret-role" not in text


def test_ten_tabs_on_one_job_make_one_read_of_sagemaker(client, auth_manager, hook):
    headers = bearer(auth_manager, "reader")
    for _ in range(10):
        assert client.get(PAGE, headers=headers).status_code == 200
    assert hook.calls == ["describe tuning tune", "list_trials tune"]


def test_a_running_job_refreshes_and_a_finished_one_does_not(client, auth_manager, hook):
    headers = bearer(auth_manager, "reader")
    assert 'http-equiv="refresh"' not in client.get(PAGE, headers=headers).text
    hook.tuning_status = "InProgress"
    snapshots.clear_cache()
    assert 'http-equiv="refresh"' in client.get(PAGE, headers=headers).text


def test_columns_sort_by_links_and_the_sorted_one_is_marked(client, auth_manager):
    text = client.get(PAGE + "?sort=hp.eta&order=desc", headers=bearer(auth_manager, "reader")).text
    rows = [text.index(f'data-trial="{name}"') for name in ("tune-003", "tune-002", "tune-001")]
    assert rows == sorted(rows)
    assert 'class="descending" data-sort="hp.eta"' in text
    assert "?map_index=-1&amp;sort=hp.eta&amp;order=asc" in text


def test_a_training_task_shows_its_final_metrics_and_log_tail_escaped(client, auth_manager):
    response = client.get(TRAIN_PAGE, headers=bearer(auth_manager, "reader"))
    assert response.status_code == 200
    assert "validation:rmse" in response.text
    assert "&lt;b&gt;done&lt;/b&gt;" in response.text
    assert "line 99" in response.text
    assert "line 0\n" not in response.text  # only the tail


def test_a_long_log_shows_its_end(client, auth_manager, hook):
    hook.log = [f"line {n}" for n in range(6000)]
    text = client.get(TRAIN_PAGE, headers=bearer(auth_manager, "reader")).text
    assert "line 5999" in text
    assert f"line {5999 - snapshots.LOG_TAIL_LINES}\n" not in text


def test_the_log_is_left_out_for_a_user_who_may_not_read_task_logs(client, auth_manager):
    response = client.get(TRAIN_PAGE, headers=bearer(auth_manager, "nologs"))
    assert response.status_code == 200
    assert "line 99" not in response.text
    assert "may not read this task" in response.text


def test_a_task_without_a_sagemaker_job_says_so(client, auth_manager, hook):
    page = f"{URL_PREFIX}/dags/retraining/runs/r/tasks/prepare_data?map_index={{MAP_INDEX}}"
    response = client.get(page, headers=bearer(auth_manager, "reader"))
    assert response.status_code == 404
    assert "No SageMaker job" in response.text
    assert hook.calls == []


def test_no_docs_or_openapi_are_served_without_a_session(client):
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(URL_PREFIX + path).status_code == 404


def _get_user_source() -> str:
    import inspect

    from airflow.api_fastapi.core_api import security

    return inspect.getsource(security.get_user).lower()
