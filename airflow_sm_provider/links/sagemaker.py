"""Extra links to a job's pages: the SageMaker console on AWS, the local backend's own pages offline.

Operators and sensors call :func:`persist_job_link` once they know the job. When the task
finishes (or defers), Airflow's task runner calls ``get_link`` on the very operator that ran and
stores the URL for the UI. ``get_link`` reads what the operator recorded on itself, so a task that
failed before it had a job shows no link and causes no lookup (an XCom read of a key that was
never pushed logs an ERROR that would hide the task's real error).

On AWS the links are console URLs, region- and partition-aware (aws, aws-cn, aws-us-gov). When
the task's SageMaker endpoint is not AWS and its connection names the local backend's console
(``local_console_url`` and ``local_console_token`` in the extra, as the backend's ``connection``
command writes them), the links open the backend's own read-only pages instead. Such a link
carries a signature of its page's path (HMAC-SHA256 keyed by the console token, the first 40 hex
digits, the backend's ``ConsoleToken.sign``), never the token: what Airflow stores opens that job's
pages only.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote, urlsplit

from airflow.sdk import BaseOperatorLink

from airflow_sm_provider.jobs import TRAINING, TUNING, JobKind

if TYPE_CHECKING:
    from airflow.sdk import Context

#: XCom key holding ``{"kind", "job_name", "region_name"}`` of the task's job.
XCOM_KEY = "sagemaker_job"
#: The same record, on the operator instance that ran (what ``get_link`` reads).
LINK_ATTRIBUTE = "_sagemaker_job_link"

CONSOLE_DOMAINS = {"aws": "aws.amazon.com", "aws-cn": "amazonaws.cn", "aws-us-gov": "amazonaws-us-gov.com"}


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def console_base(region: str) -> str:
    domain = CONSOLE_DOMAINS[partition_of(region)]
    # GovCloud and China have no regional console hosts; the commercial partition does.
    host = f"{region}.console.{domain}" if partition_of(region) == "aws" else f"console.{domain}"
    return f"https://{host}"


def job_url(kind: JobKind, region: str, job_name: str) -> str:
    """The job's page in the SageMaker console."""
    return f"{console_base(region)}/sagemaker/home?region={region}#/{kind.console_fragment}/{quote(job_name)}"


def training_job_url(region: str, job_name: str) -> str:
    return job_url(TRAINING, region, job_name)


def tuning_job_url(region: str, job_name: str) -> str:
    return job_url(TUNING, region, job_name)


def training_logs_url(region: str, job_name: str) -> str:
    group = quote("/aws/sagemaker/TrainingJobs", safe="")
    return (
        f"{console_base(region)}/cloudwatch/home?region={region}"
        f"#logsV2:log-groups/log-group/{quote(group, safe='')}$3FlogStreamNameFilter$3D{quote(job_name)}"
    )


def local_page(console_url: str, token: str, path: str) -> str:
    """A link to a page of the local backend's console, signed for that page (and those under it)."""
    page = urlsplit(console_url).path.rstrip("/") + "/" + path
    signature = hmac.new(token.encode(), page.encode(), hashlib.sha256).hexdigest()[:40]
    return f"{console_url.rstrip('/')}/{path}?sig={signature}"


def job_pages(kind: JobKind, job_name: str, hook: Any) -> dict[str, str]:
    """The URLs of the job's page and log page (where the kind has logs), by link ``page``."""
    name = quote(job_name, safe="")
    extra = hook.conn_config.extra_config or {}
    console, token = extra.get("local_console_url"), extra.get("local_console_token")
    if console and token and not hook.is_aws():
        pages = {"job": local_page(console, token, f"{kind.local_console_path}/{name}")}
        if kind.has_log_streams:
            pages["logs"] = local_page(console, token, f"{kind.local_console_path}/{name}/logs")
        return pages
    region = hook.region_name
    if not region:
        return {}
    pages = {"job": job_url(kind, region, job_name)}
    if kind.has_log_streams:
        pages["logs"] = training_logs_url(region, job_name)
    return pages


def persist_job_link(task: Any, context: Context, kind: JobKind, job_name: str, hook: Any) -> None:
    """Record the job the task's links point at: its pages on the task for ``get_link``, the job in XCom.

    Best effort: a link never fails a task.
    """
    info: dict[str, Any] = {"kind": kind.name, "job_name": job_name, "region_name": hook.region_name}
    context["ti"].xcom_push(key=XCOM_KEY, value=info)
    try:
        pages = job_pages(kind, job_name, hook)
    except Exception as err:  # noqa: BLE001 - links are a convenience; the task goes on without them
        task.log.info("No links for %s %s: %s", kind.label, job_name, err)
        pages = {}
    setattr(task, LINK_ATTRIBUTE, {**info, "pages": pages})


class _SageMakerLink(BaseOperatorLink):
    kind: ClassVar[JobKind]
    #: Which of the job's pages (:func:`job_pages`) the link opens.
    page: ClassVar[str] = "job"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        info = getattr(operator, LINK_ATTRIBUTE, None)
        if not info or info.get("kind") != self.kind.name:
            return ""
        return str(info.get("pages", {}).get(self.page, ""))


class SageMakerTrainingJobLink(_SageMakerLink):
    """The training job's page in the SageMaker console (or the local backend's)."""

    name = "SageMaker Training Job"
    kind = TRAINING


class SageMakerTuningJobLink(_SageMakerLink):
    """The hyperparameter tuning job's page in the SageMaker console (or the local backend's)."""

    name = "SageMaker Tuning Job"
    kind = TUNING


class SageMakerTrainingLogsLink(_SageMakerLink):
    """The training job's CloudWatch log streams (or its log page on the local backend)."""

    name = "SageMaker Training Logs"
    kind = TRAINING
    page = "logs"
