"""The Airflow plugin: a "SageMaker" view on task instance pages, served by the plugin's own app.

Registered through the provider's ``get_provider_info()`` (``plugins``); nothing to configure.
Importing this module is cheap and touches no network: the app is built on its first request.

- Airflow 3.1 and later: an ``external_views`` entry with ``destination="task_instance"`` and a
  ``url_route``, so the UI shows a "SageMaker" tab on the task instance page and renders the
  page in an iframe there. Airflow fills ``{DAG_ID}``, ``{RUN_ID}``, ``{TASK_ID}`` and
  ``{MAP_INDEX}`` in its ``href``. Up to 3.3 the tab shows on every task instance; a task that
  ran no SageMaker job gets a page saying so.
- Airflow 3.0 has no external views: a global extra link, "SageMaker Leaderboard", on this
  provider's tasks opens the same page in the browser.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from airflow.plugins_manager import AirflowPlugin
from airflow.sdk import BaseOperatorLink

from airflow_sm_provider.plugins.asgi import LazyApp

#: Where Airflow mounts the app (under the api-server's base URL path).
URL_PREFIX = "/sagemaker-ui"
#: The UI route of the view (``.../tasks/<task_id>/plugin/sagemaker``).
URL_ROUTE = "sagemaker"
VIEW_NAME = "SageMaker"
LINK_NAME = "SageMaker Leaderboard"
PROVIDER_MODULE = "airflow_sm_provider."


def external_views_supported() -> bool:
    """Whether this Airflow's plugins can add views to the UI (Airflow 3.1 and later)."""
    return hasattr(AirflowPlugin, "external_views")


def base_path() -> str:
    """The path part of ``[api] base_url`` (empty when Airflow is served at the root)."""
    from airflow.configuration import conf

    base_url = conf.get("api", "base_url", fallback="") or ""
    return urlsplit(base_url).path.rstrip("/") if "://" in base_url else base_url.rstrip("/")


def page_path(dag_id: str, run_id: str, task_id: str, map_index: int | str = -1) -> str:
    """The page of one task instance (each part quoted; the placeholders of an href stay as they are)."""
    dag, run, task = (quote(str(part), safe="{}") for part in (dag_id, run_id, task_id))
    return f"{base_path()}{URL_PREFIX}/dags/{dag}/runs/{run}/tasks/{task}?map_index={map_index}"


def _create_app() -> Any:
    from airflow_sm_provider.plugins.app import create_app

    return create_app()


FASTAPI_APPS: list[dict[str, Any]] = [
    {"app": LazyApp(_create_app), "url_prefix": URL_PREFIX, "name": "SageMaker (airflow-sm-provider)"}
]


class SageMakerLeaderboardLink(BaseOperatorLink):
    """Airflow 3.0: the task's SageMaker page, on the tasks of this provider (a global link)."""

    name = LINK_NAME

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        module = getattr(operator, "_task_module", None) or getattr(operator, "task_module", None) or ""
        if not str(module).startswith(PROVIDER_MODULE):
            return ""
        return page_path(ti_key.dag_id, ti_key.run_id, ti_key.task_id, ti_key.map_index)


class SageMakerUIPlugin(AirflowPlugin):
    """Adds the SageMaker view (leaderboard, metrics, log tail) to task instance pages."""

    name = "airflow_sm_provider_ui"
    fastapi_apps = FASTAPI_APPS
    if external_views_supported():
        external_views = [
            {
                "name": VIEW_NAME,
                "href": page_path("{DAG_ID}", "{RUN_ID}", "{TASK_ID}", "{MAP_INDEX}"),
                "destination": "task_instance",
                "url_route": URL_ROUTE,
            }
        ]
    else:
        global_operator_extra_links = [SageMakerLeaderboardLink()]
