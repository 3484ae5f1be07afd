"""Routing of ``GET /console/...``: the token, then the page, read through the backend's services.

Each page reads what the API would answer (DescribeTrainingJob, ListTrainingJobs, the tuning
operations, GetLogEvents), bounded as the API is: the newest 100 jobs of each kind, at most
1,000 trials, the latest 100 lines per stream on a job's page and 1,000 on its log page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from airflow_sm_provider.local.console import pages
from airflow_sm_provider.local.console.html import page, tag
from airflow_sm_provider.local.console.token import ConsoleToken
from airflow_sm_provider.local.errors import LocalServiceError
from airflow_sm_provider.local.logs.streams import TRAINING_GROUP

SECURITY_HEADERS = (
    # no script at all; inline styles and SVG only; never framed, never a referrer
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'",
    ),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
)
PAGE_LINES = 100
LOG_LINES = 1000
MAX_TRIAL_PAGES = 10


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


class NotFound(Exception):
    pass


def _message(status: int, title: str, text: str) -> Response:
    return Response(status, page(title, tag("p", text)))


class Console:
    """The read-only console of one backend.

    :param backend: the :class:`~airflow_sm_provider.local.backend.LocalBackend` it shows.
    :param token: the home's console token.
    """

    def __init__(self, backend: Any, token: ConsoleToken) -> None:
        self.backend = backend
        self.token = token

    def handle(self, target: str, cookie: str | None) -> Response:
        """Answer ``GET target`` (a path under ``/console``) for a request with ``cookie``."""
        response = self._handle(target, cookie)
        if response.body:
            response.headers.append(("Content-Type", "text/html; charset=utf-8"))
        response.headers.extend(SECURITY_HEADERS)
        return response

    def _handle(self, target: str, cookie: str | None) -> Response:
        parts = urlsplit(target)
        query = parse_qs(parts.query)
        if parts.path == "/console":  # the cookie is scoped to /console/
            return Response(
                308, headers=[("Location", "/console/" + (f"?{parts.query}" if parts.query else ""))]
            )
        if "token" in query:
            if not self.token.matches(query["token"][0]):
                return self._refused()
            rest = urlencode([(k, v) for k, values in query.items() if k != "token" for v in values])
            # drop the token from the address bar and history; the cookie carries it from now on
            location = parts.path + (f"?{rest}" if rest else "")
            return Response(303, headers=[("Location", location), ("Set-Cookie", self.token.set_cookie())])
        if "sig" in query:  # a link Airflow shows: this job's pages only
            if not self.token.signs(parts.path, query["sig"][0]):
                return self._refused()
            rest = urlencode([(k, v) for k, values in query.items() if k != "sig" for v in values])
            location = parts.path + (f"?{rest}" if rest else "")
            headers = [("Location", location), ("Set-Cookie", self.token.page_cookie(parts.path))]
            return Response(303, headers=headers)
        if not (self.token.from_cookie(cookie) or self.token.opens(cookie, parts.path)):
            return self._refused()
        try:
            return Response(200, self._route(parts.path, query))
        except NotFound:
            return _message(404, "Not found", "No such page or job on this backend.")

    @staticmethod
    def _refused() -> Response:
        return _message(
            401,
            "Console token required",
            "Open this console from a link that carries its token (the links Airflow shows for "
            "tasks on this backend), or from the local_console_url and local_console_token that "
            "'python -m airflow_sm_provider.local connection' prints.",
        )

    def _route(self, path: str, query: dict[str, list[str]]) -> bytes:
        segments = [unquote(s) for s in path.removeprefix("/console/").split("/")]
        if segments == [""]:
            return self._jobs()
        if len(segments) == 2 and segments[0] == "training-jobs" and segments[1]:
            return self._training_job(segments[1])
        if len(segments) == 3 and segments[0] == "training-jobs" and segments[2] == "logs":
            return self._training_logs(segments[1], query)
        if len(segments) == 2 and segments[0] == "tuning-jobs" and segments[1]:
            return self._tuning_job(segments[1])
        raise NotFound()

    # pages -----------------------------------------------------------------------------------
    def _jobs(self) -> bytes:
        newest = {"MaxResults": 100, "SortBy": "CreationTime", "SortOrder": "Descending"}
        training = self.backend.training.list_training_jobs(newest)["TrainingJobSummaries"]
        tuning, note = [], None
        try:
            tuning = self.backend.tuning.list(newest)["HyperParameterTuningJobSummaries"]
        except LocalServiceError as err:
            note = err.message
        return pages.jobs_list(training, tuning, note)

    def _training_job(self, name: str) -> bytes:
        try:
            job = self.backend.training.describe_training_job(name)
        except LocalServiceError:
            raise NotFound() from None
        definitions = (job.get("AlgorithmSpecification") or {}).get("MetricDefinitions") or []
        metrics = {
            d["Name"]: self.backend.training.intermediate_metrics(name, d["Name"])[-500:] for d in definitions
        }
        return pages.training_job(job, metrics, self._tails(name, PAGE_LINES))

    def _training_logs(self, name: str, query: dict[str, list[str]]) -> bytes:
        try:
            self.backend.training.describe_training_job(name)
        except LocalServiceError:
            raise NotFound() from None
        stream = query["stream"][0] if query.get("stream") else None
        before = query["before"][0] if query.get("before") else None
        try:
            tails = self._tails(name, LOG_LINES, only=stream, before=before)
        except LocalServiceError as err:
            return page("Log", tag("p", err.message))
        return pages.training_logs(name, tails)

    def _tails(
        self, name: str, lines: int, *, only: str | None = None, before: str | None = None
    ) -> list[pages.StreamTail]:
        tails: list[pages.StreamTail] = []
        for stream in self.backend.logs.streams.of_job(name):
            if only is not None and stream.name != only:
                continue
            request: dict[str, Any] = {
                "logGroupName": TRAINING_GROUP,
                "logStreamName": stream.name,
                "limit": lines,
            }
            if before:
                request["nextToken"] = before
            response = self.backend.logs.get_log_events(request)
            events = [(e["timestamp"], e["message"]) for e in response["events"]]
            backward = response["nextBackwardToken"]
            older = backward if events and int(backward[2:]) > 0 else None
            tails.append((stream.name, events, older))
        return tails

    def _tuning_job(self, name: str) -> bytes:
        try:
            job = self.backend.tuning.describe(name)
        except LocalServiceError:
            raise NotFound() from None
        trials: list[dict[str, Any]] = []
        request: dict[str, Any] = {"HyperParameterTuningJobName": name, "MaxResults": 100}
        for _ in range(MAX_TRIAL_PAGES):
            response = self.backend.tuning.list_training_jobs(request)
            trials.extend(response["TrainingJobSummaries"])
            if not response.get("NextToken"):
                break
            request = {**request, "NextToken": response["NextToken"]}
        return pages.tuning_job(job, trials)
