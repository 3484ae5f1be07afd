from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest

from airflow_sm_provider.plugins import sagemaker_ui
from airflow_sm_provider.plugins.sagemaker_ui import (
    SageMakerLeaderboardLink,
    SageMakerUIPlugin,
    external_views_supported,
    page_path,
)

PLUGIN_CLASS = "airflow_sm_provider.plugins.sagemaker_ui.SageMakerUIPlugin"


def test_airflow_finds_the_plugin_through_the_provider_info():
    from airflow.providers_manager import ProvidersManager

    assert PLUGIN_CLASS in {plugin.plugin_class for plugin in ProvidersManager().plugins}


def test_importing_the_plugin_builds_no_app_and_imports_no_aws_client():
    heavy = (
        "botocore",
        "boto3",
        "airflow_sm_provider.plugins.app",
        "airflow_sm_provider.hooks.sagemaker",
        "airflow.api_fastapi.core_api.security",
    )
    code = (
        "import sys, airflow_sm_provider.plugins.sagemaker_ui; "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_app_is_mounted_under_its_own_prefix():
    (entry,) = SageMakerUIPlugin.fastapi_apps
    assert entry["url_prefix"] == "/sagemaker-ui"
    assert entry["app"] is not None


@pytest.mark.skipif(not external_views_supported(), reason="Airflow 3.0 has no external views")
def test_airflow_3_1_and_later_show_a_view_on_the_task_instance_page():
    (view,) = SageMakerUIPlugin.external_views
    assert view["destination"] == "task_instance"
    assert view["url_route"] == "sagemaker"
    assert view["href"] == "/sagemaker-ui/dags/{DAG_ID}/runs/{RUN_ID}/tasks/{TASK_ID}?map_index={MAP_INDEX}"


def test_page_paths_quote_ids_and_follow_the_api_base_url(monkeypatch):
    assert page_path("d", "manual__2026-01-01T00:00:00+00:00", "t", 2) == (
        "/sagemaker-ui/dags/d/runs/manual__2026-01-01T00%3A00%3A00%2B00%3A00/tasks/t?map_index=2"
    )
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.example.com/team-a/")
    assert page_path("d", "r", "t").startswith("/team-a/sagemaker-ui/dags/d/")


def test_the_airflow_3_0_link_shows_only_on_this_providers_tasks():
    link = SageMakerLeaderboardLink()
    key = SimpleNamespace(dag_id="d", run_id="r", task_id="tune", map_index=-1)
    ours = SimpleNamespace(_task_module="airflow_sm_provider.operators.tuning")
    other = SimpleNamespace(_task_module="airflow.providers.standard.operators.python")
    assert link.get_link(ours, ti_key=key) == "/sagemaker-ui/dags/d/runs/r/tasks/tune?map_index=-1"
    assert link.get_link(other, ti_key=key) == ""
    assert sagemaker_ui.LINK_NAME == link.name
