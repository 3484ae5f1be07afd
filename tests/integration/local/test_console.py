"""The read-only console the backend serves at /console/: the token and Host checks, the pages a
task's links open (from the connection's local_console_url and local_console_token), escaping,
and no Environment value on any page."""

from __future__ import annotations

import http.client
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from sm_tuning_helpers import OBJECTIVE, tuning_request, wait_tuning

from airflow_sm_provider.local.server import LocalServer

pytestmark = pytest.mark.integration

SECRET = "env-value-never-rendered-5150"
SCRIPT = "<script>alert('x')</script>"
PRINTS = "print('a line the console shows 91b2', flush=True)\nprint('loss=0.125', flush=True)\n"


class Browser:
    """GET requests with a cookie jar of one cookie, as a browser on the backend's origin sends them."""

    def __init__(self, server: LocalServer) -> None:
        parts = urlsplit(server.endpoint_url)
        self.host, self.port = parts.hostname or "", parts.port or 80
        self.cookie: str | None = None

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        sent = dict(headers or {})
        if self.cookie:
            sent.setdefault("Cookie", self.cookie)
        connection.request("GET", path, headers=sent)
        response = connection.getresponse()
        body = response.read().decode()
        connection.close()
        return response.status, dict(response.getheaders()), body

    def open(self, url_or_path: str) -> tuple[int, dict[str, str], str]:
        """Follow a link: keep the cookie it sets, follow its redirect."""
        parts = urlsplit(url_or_path)
        status, headers, body = self.get(parts.path + (f"?{parts.query}" if parts.query else ""))
        if "Set-Cookie" in headers:
            self.cookie = headers["Set-Cookie"].split(";", 1)[0]
        if status in (303, 308):
            return self.open(headers["Location"])
        return status, headers, body


def link(server: LocalServer, *segments: str) -> str:
    """A link as the provider builds it from the connection's extra."""
    extra = server.connection()["extra"]
    path = "/".join(quote(s, safe="") for s in segments)
    return f"{extra['local_console_url']}{path}?token={extra['local_console_token']}"


@pytest.fixture
def finished_job(sm_client, training_request, scripts, wait_for_status) -> str:
    request = training_request(
        scripts.write(PRINTS),
        name="shown",
        hyperparameters={"evil": SCRIPT},
        metrics=[{"Name": "loss", "Regex": "loss=([0-9.]+)"}],
        Environment={"API_TOKEN": SECRET},
    )
    sm_client.create_training_job(**request)
    assert wait_for_status("shown")["TrainingJobStatus"] == "Completed"
    return "shown"


def test_pages_need_the_token_and_a_link_carrying_it_opens_them(local_server, finished_job):
    browser = Browser(local_server)
    for path in ("/console/", "/console/training-jobs/shown", "/console/training-jobs/shown/logs"):
        status, headers, body = browser.get(path)
        assert status == 401 and "Set-Cookie" not in headers and "shown" not in body.split("<main>")[1]
    status, headers, _ = browser.get("/console/training-jobs/shown?token=wrong")
    assert status == 401 and "Set-Cookie" not in headers

    status, headers, _ = browser.get(f"/console/training-jobs/shown?token={local_server.console_token}")
    assert status == 303 and headers["Location"] == "/console/training-jobs/shown"  # token out of the URL
    assert "HttpOnly" in headers["Set-Cookie"] and "SameSite=Strict" in headers["Set-Cookie"]

    status, headers, body = browser.open(link(local_server, "training-jobs", "shown"))
    assert status == 200 and "Completed" in body
    assert "script-src" not in headers["Content-Security-Policy"]
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["Cache-Control"] == "no-store"
    assert browser.get("/console/training-jobs/absent")[0] == 404
    assert browser.get("/console/nothing/here")[0] == 404
    assert browser.get("/console")[0] == 308


def test_a_request_for_another_host_or_from_a_page_is_refused_even_with_the_cookie(
    local_server, finished_job
):
    browser = Browser(local_server)
    assert browser.open(link(local_server))[0] == 200
    status, _, body = browser.get("/console/training-jobs/shown", {"Host": "attacker.example"})
    assert status == 403 and "shown" not in body
    status, _, body = browser.get("/console/", {"Origin": "http://attacker.example"})
    assert status == 403 and "shown" not in body
    token = local_server.console_token
    assert browser.get(f"/console/?token={token}", {"Host": f"rebound.example:{browser.port}"})[0] == 403


def test_the_training_job_and_log_pages_show_the_job_escaped_and_never_its_environment(
    local_server, finished_job
):
    browser = Browser(local_server)
    pages = [
        browser.open(link(local_server)),
        browser.open(link(local_server, "training-jobs", "shown")),
        browser.open(link(local_server, "training-jobs", "shown", "logs")),
    ]
    assert [status for status, _, _ in pages] == [200, 200, 200]
    listing, job, logs = (body for _, _, body in pages)
    assert 'href="/console/training-jobs/shown"' in listing
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in job and "<script" not in job
    assert "0.125" in job and "<svg" in job  # the final metric, and its series
    assert "a line the console shows 91b2" in job and "a line the console shows 91b2" in logs
    for body in (listing, job, logs):
        assert SECRET not in body and "API_TOKEN" not in body


def test_the_tuning_job_page_lists_every_trial_and_marks_the_best(local_server, sm_client, scripts, tmp_path):
    code = scripts.write(OBJECTIVE, name="objective.py")
    request = tuning_request(
        code, tmp_path / "out", name="console-tune", strategy="Random", max_jobs=3, parallel=3
    )
    sm_client.create_hyper_parameter_tuning_job(**request)
    described = wait_tuning(sm_client, "console-tune")
    trials = sm_client.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="console-tune"
    )["TrainingJobSummaries"]
    browser = Browser(local_server)
    status, _, body = browser.open(link(local_server, "tuning-jobs", "console-tune"))
    assert status == 200
    for trial in trials:
        assert f">{trial['TrainingJobName']}</a>" in body
        assert str(trial["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]) in body
    best = described["BestTrainingJob"]["TrainingJobName"]
    best_row = body.split('<tr class="best">', 1)[1].split("</tr>", 1)[0]
    assert f">{best}</a>" in best_row and "\u2605" in best_row
    assert body.count('<tr class="best">') == 1
    # every trial's own page loads from the leaderboard's links
    for trial in trials:
        assert browser.get(f"/console/training-jobs/{trial['TrainingJobName']}")[0] == 200


def test_the_connection_carries_the_console_url_and_token(local_server: Any):
    extra = local_server.connection()["extra"]
    assert extra["local_console_url"] == f"{local_server.endpoint_url}/console/" == local_server.console_url
    assert extra["local_console_token"] == local_server.console_token


def test_the_connection_command_prints_the_same_console_token(local_server: Any, capsys):
    import json

    from airflow_sm_provider.local.__main__ import main

    port = str(urlsplit(local_server.endpoint_url).port)
    assert main(["connection", "--home", str(local_server.home), "--port", port]) == 0
    extra = json.loads(capsys.readouterr().out)["extra"]
    assert extra["local_console_url"] == f"http://127.0.0.1:{port}/console/"
    assert extra["local_console_token"] == local_server.console_token
