"""Response documents: Describe and the List summaries, packed from the in-memory records.

Packing only: the rules (which trial is best, the objective's direction) are :mod:`.records`'
methods, filtering and paging are :mod:`airflow_sm_provider.local.listing`'s. Everything here
is a pure function of :mod:`.records` objects (called under the service lock), so Describe costs
no SQL. Every response is made of new containers (parts of the stored request are
deep-copied), so callers may keep or change it. Datetimes stay ``datetime`` objects; the server
serialises them.
"""

from __future__ import annotations

import copy
from typing import Any

from airflow_sm_provider.local.times import utcnow
from airflow_sm_provider.local.tuning import completion
from airflow_sm_provider.local.tuning.records import Trial, TuningJob

__all__ = ["describe", "job_summary", "objective_counters", "status_counters", "trial_summary"]


def trial_summary(job: TuningJob, trial: Trial) -> dict[str, Any]:
    """A ``HyperParameterTrainingJobSummary``."""
    summary: dict[str, Any] = {
        "TrainingJobName": trial.name,
        "TrainingJobArn": trial.arn,
        "TuningJobName": job.name,
        "CreationTime": trial.creation_time,
        "TrainingJobStatus": trial.status,
        "TunedHyperParameters": dict(trial.tuned),
        "ObjectiveStatus": trial.objective_status,
    }
    definition_name = job.definitions[trial.definition].get("DefinitionName")
    if definition_name:
        summary["TrainingJobDefinitionName"] = definition_name
    if trial.start_time:
        summary["TrainingStartTime"] = trial.start_time
    if trial.end_time:
        summary["TrainingEndTime"] = trial.end_time
    if trial.failure_reason:
        summary["FailureReason"] = trial.failure_reason
    if trial.objective_value is not None:
        goal = job.objective(trial)
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "Type": goal["Type"],
            "MetricName": goal["MetricName"],
            "Value": float(trial.objective_value),
        }
    return summary


def status_counters(job: TuningJob) -> dict[str, int]:
    """``TrainingJobStatusCounters``: a failed trial is a NonRetryableError unless it failed for an
    internal reason (RetryableError); Stopping is InProgress."""
    counters = {"Completed": 0, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 0, "Stopped": 0}
    for trial in job.trials:
        failed = "RetryableError" if trial.retryable else "NonRetryableError"
        key = {"Failed": failed, "Stopping": "InProgress"}.get(trial.status, trial.status)
        counters[key] = counters.get(key, 0) + 1
    return counters


def objective_counters(job: TuningJob) -> dict[str, int]:
    counters = {"Succeeded": 0, "Pending": 0, "Failed": 0}
    for trial in job.trials:
        counters[trial.objective_status] += 1
    return counters


def describe(job: TuningJob, overall_best: tuple[TuningJob, Trial] | None) -> dict[str, Any]:
    """The DescribeHyperParameterTuningJob response.

    :param overall_best: for a warm-start job, the best trial over this job and its parents.
    """
    config = copy.deepcopy(job.config)
    config.setdefault("TrainingJobEarlyStoppingType", "Off")
    response: dict[str, Any] = {
        "HyperParameterTuningJobName": job.name,
        "HyperParameterTuningJobArn": job.arn,
        "HyperParameterTuningJobConfig": config,
        "HyperParameterTuningJobStatus": job.status,
        "CreationTime": job.creation_time,
        "LastModifiedTime": job.last_modified_time,
        "TrainingJobStatusCounters": status_counters(job),
        "ObjectiveStatusCounters": objective_counters(job),
    }
    for key in ("TrainingJobDefinition", "TrainingJobDefinitions", "WarmStartConfig"):
        if job.request.get(key):
            response[key] = copy.deepcopy(job.request[key])
    if job.end_time:
        response["HyperParameterTuningEndTime"] = job.end_time
    best = job.best_trial()
    if best is not None:
        response["BestTrainingJob"] = trial_summary(job, best)
    if overall_best is not None:
        response["OverallBestTrainingJob"] = trial_summary(*overall_best)
    if job.failure_reason:
        response["FailureReason"] = job.failure_reason
    details: dict[str, Any] = {
        "NumberOfTrainingJobsObjectiveNotImproving": completion.not_improving_count(
            job.finished_objectives(), job.minimize
        )
    }
    if job.convergence_time:
        details["ConvergenceDetectedTime"] = job.convergence_time
    response["TuningJobCompletionDetails"] = details
    end = job.end_time or utcnow()
    response["ConsumedResources"] = {
        "RuntimeInSeconds": max(0, int((end - job.creation_time).total_seconds()))
    }
    return response


def job_summary(job: TuningJob) -> dict[str, Any]:
    """A ``HyperParameterTuningJobSummary`` (ListHyperParameterTuningJobs)."""
    summary: dict[str, Any] = {
        "HyperParameterTuningJobName": job.name,
        "HyperParameterTuningJobArn": job.arn,
        "HyperParameterTuningJobStatus": job.status,
        "Strategy": job.config["Strategy"],
        "CreationTime": job.creation_time,
        "LastModifiedTime": job.last_modified_time,
        "TrainingJobStatusCounters": status_counters(job),
        "ObjectiveStatusCounters": objective_counters(job),
        "ResourceLimits": dict(job.config["ResourceLimits"]),
    }
    if job.end_time:
        summary["HyperParameterTuningEndTime"] = job.end_time
    return summary
