"""The plugin's FastAPI app: one HTML page per task instance, for callers who may read its DAG.

Airflow mounts plugin apps without authenticating them, so every route here depends on
``airflow.api_fastapi.core_api.security.get_user``, the dependency Airflow's own routes use
(a ``Bearer`` token; from Airflow 3.1 also the UI's ``_token`` cookie), and asks the auth manager
whether that user may read the DAG (``is_authorized_dag(method="GET")``). No user: 401; no
access: 403. The training log is shown only to users who may also read the DAG's task logs.

Airflow 3.0's UI keeps its token in the browser's local storage, not in a cookie, so a page
opened from a link arrives without credentials; the 401 page then carries a small script
(allowed by a per-response nonce, nothing else) that asks for the same page again with that
token in the ``Authorization`` header and shows it. The page itself never runs a script.
"""

from __future__ import annotations

import secrets
from typing import Any

from airflow_sm_provider.plugins.render import CONTENT_SECURITY_POLICY, render

PAGE_ROUTE = "/dags/{dag_id}/runs/{run_id}/tasks/{task_id}"

_RETRY_WITH_STORED_TOKEN = """
(function () {
  var token = null;
  try { token = window.localStorage.getItem("token"); } catch (e) { return; }
  if (!token) { return; }
  fetch(window.location.href, {headers: {"Authorization": "Bearer " + token}, credentials: "same-origin"})
    .then(function (response) {
      if (response.status === 401) { return; }
      return response.text().then(function (text) {
        document.open(); document.write(text); document.close();
      });
    });
})();
"""


def create_app() -> Any:
    """Build the FastAPI app (in the api-server, on its first request)."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails
    from airflow.api_fastapi.core_api.security import get_user
    from fastapi import Depends, FastAPI, HTTPException, Request
    from fastapi.responses import HTMLResponse

    from airflow_sm_provider.plugins.views import task_page

    # No /docs, /redoc or /openapi.json: every route of this app requires a user.
    app = FastAPI(title="SageMaker (airflow-sm-provider)", docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    @app.exception_handler(HTTPException)
    async def error_page(request: Request, error: HTTPException) -> HTMLResponse:
        if error.status_code != 401:
            page = render("message.html", running=False, heading=f"{error.status_code}", message=error.detail)
            return HTMLResponse(page, status_code=error.status_code)
        nonce = secrets.token_urlsafe(16)
        page = render("unauthenticated.html", running=False, nonce=nonce, script=_RETRY_WITH_STORED_TOKEN)
        policy = (
            f"default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; connect-src 'self'"
        )
        return HTMLResponse(
            page,
            status_code=401,
            headers={"Content-Security-Policy": policy, "WWW-Authenticate": "Bearer"},
        )

    @app.get(PAGE_ROUTE, response_class=HTMLResponse)
    def task_instance_page(
        dag_id: str,
        run_id: str,
        task_id: str,
        map_index: str = "-1",
        sort: str | None = None,
        order: str | None = None,
        # a default, not Annotated: this module's annotations are strings, and FastAPI resolves
        # them in the module's globals, where get_user (imported on first use) is not
        user: Any = Depends(get_user),  # noqa: B008
    ) -> HTMLResponse:
        auth_manager = get_auth_manager()
        details = DagDetails(id=dag_id)
        if not auth_manager.is_authorized_dag(method="GET", details=details, user=user):
            raise HTTPException(403, f"You may not read DAG {dag_id}.")
        may_read_logs = auth_manager.is_authorized_dag(
            method="GET", access_entity=DagAccessEntity.TASK_LOGS, details=details, user=user
        )
        status, page = task_page(
            dag_id, run_id, task_id, map_index, sort=sort, order=order, show_log=may_read_logs
        )
        return HTMLResponse(page, status_code=status)

    return app
