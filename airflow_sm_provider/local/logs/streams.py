"""The log group and its streams, as SageMaker names them, found from the training jobs.

SageMaker writes a training job's output to the group ``/aws/sagemaker/TrainingJobs``, one stream
per instance named ``<TrainingJobName>/algo-<n>-<epoch seconds>``. Locally the epoch is the job's
creation time (it never changes, so a stream keeps its name across retries and restarts), and a
stream exists once its host has started (its journal file exists), as SageMaker creates a stream
when the container starts. Nothing is registered: the streams of a job are derived from its
description (name, creation time, hosts), so they are exactly as persistent as the job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_sm_provider.local.errors import ValidationError
from airflow_sm_provider.local.logs.errors import LogResourceNotFound
from airflow_sm_provider.local.logs.journal import JournalReader, path_for
from airflow_sm_provider.local.training import scriptmode, toolkit
from airflow_sm_provider.local.training.runner import host_layouts

TRAINING_GROUP = "/aws/sagemaker/TrainingJobs"

Describe = Callable[[str], dict[str, Any]]
ListJobs = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Stream:
    """One instance's stream: its name, when it was created (ms) and its journal."""

    name: str
    job: str
    host: str
    creation_ms: int
    journal: JournalReader


def stream_name(job: str, host: str, created_epoch_seconds: int) -> str:
    return f"{job}/{host}-{created_epoch_seconds}"


def check_group(params: dict[str, Any]) -> str:
    """The group a request names (``logGroupName`` or ``logGroupIdentifier``); only SageMaker's exists."""
    group = params.get("logGroupName") or params.get("logGroupIdentifier") or ""
    group = group.rsplit(":log-group:", 1)[-1].removesuffix(":*")  # an ARN names the group too
    if group != TRAINING_GROUP:
        raise LogResourceNotFound("The specified log group does not exist.")
    return group


class Streams:
    """The streams of every training job of one backend.

    :param jobs_dir: ``<home>/jobs``, where each job's hosts keep their journals.
    :param describe: DescribeTrainingJob (raises ``ValidationError`` for an unknown job).
    :param list_jobs: ListTrainingJobs (the training service's, paged).
    """

    def __init__(self, jobs_dir: Path, describe: Describe, list_jobs: ListJobs) -> None:
        self.jobs_dir = jobs_dir
        self._describe = describe
        self._list_jobs = list_jobs

    def of_job(self, job: str) -> list[Stream]:
        """The job's started streams, by host (none for an unknown job)."""
        try:
            description = self._describe(job)
        except ValidationError:
            return []
        created = description["CreationTime"]
        epoch = int(created.timestamp())
        layouts = host_layouts(scriptmode.Layout(self.jobs_dir / job), description)
        streams = []
        for host in toolkit.hosts(description):
            reader = JournalReader(path_for(layouts[host].root))
            if reader.exists():
                name = stream_name(job, host, epoch)
                streams.append(Stream(name, job, host, int(created.timestamp() * 1000), reader))
        return streams

    def named(self, name: str) -> Stream | None:
        job = name.split("/", 1)[0]
        return next((stream for stream in self.of_job(job) if stream.name == name), None)

    def require(self, name: str) -> Stream:
        stream = self.named(name)
        if stream is None:
            raise LogResourceNotFound("The specified log stream does not exist.")
        return stream

    def _job_names(self, prefix: str) -> Iterator[str]:
        request: dict[str, Any] = {"MaxResults": 100}
        if prefix:
            request["NameContains"] = prefix
        while True:
            page = self._list_jobs(request)
            for summary in page["TrainingJobSummaries"]:
                if summary["TrainingJobName"].startswith(prefix):
                    yield summary["TrainingJobName"]
            if not page.get("NextToken"):
                return
            request = {**request, "NextToken": page["NextToken"]}

    def matching(self, prefix: str = "") -> list[Stream]:
        """Every started stream whose name starts with ``prefix``, sorted by name."""
        if "/" in prefix:  # the job is named in full: one lookup
            candidates = self.of_job(prefix.split("/", 1)[0])
        else:
            candidates = [stream for job in self._job_names(prefix) for stream in self.of_job(job)]
        return sorted((s for s in candidates if s.name.startswith(prefix)), key=lambda s: s.name)
