"""Extra links to the AWS console: training job, tuning job and the training job's CloudWatch logs.

Operators and sensors call :func:`persist_job_link` once they know the job. When the task
finishes (or defers), Airflow's task runner calls ``get_link`` on the very operator that ran and
stores the URL for the UI. ``get_link`` reads what the operator recorded on itself, so a task that
failed before it had a job shows no link and causes no lookup (an XCom read of a key that was
never pushed logs an ERROR that would hide the task's real error). URLs are region- and
partition-aware (aws, aws-cn, aws-us-gov).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

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


def persist_job_link(
    task: Any, context: Context, kind: JobKind, job_name: str, region_name: str | None
) -> None:
    """Record which job the task's links point at: on the task for ``get_link``, in XCom for readers."""
    info = {"kind": kind.name, "job_name": job_name, "region_name": region_name}
    setattr(task, LINK_ATTRIBUTE, info)
    context["ti"].xcom_push(key=XCOM_KEY, value=info)


class _SageMakerLink(BaseOperatorLink):
    kind: ClassVar[JobKind]

    def url(self, region: str, job_name: str) -> str:
        return job_url(self.kind, region, job_name)

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        info = getattr(operator, LINK_ATTRIBUTE, None)
        if not info or info.get("kind") != self.kind.name or not info.get("region_name"):
            return ""
        return self.url(info["region_name"], info["job_name"])


class SageMakerTrainingJobLink(_SageMakerLink):
    """The training job's page in the SageMaker console."""

    name = "SageMaker Training Job"
    kind = TRAINING


class SageMakerTuningJobLink(_SageMakerLink):
    """The hyperparameter tuning job's page in the SageMaker console."""

    name = "SageMaker Tuning Job"
    kind = TUNING


class SageMakerTrainingLogsLink(_SageMakerLink):
    """The training job's CloudWatch log streams."""

    name = "SageMaker Training Logs"
    kind = TRAINING

    def url(self, region: str, job_name: str) -> str:
        return training_logs_url(region, job_name)
