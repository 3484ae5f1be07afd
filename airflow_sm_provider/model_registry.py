"""The model registry as the operators and the gate read and write it.

- What a registered version carries in ``CustomerMetadataProperties`` (``metric:<name>``,
  ``hyperparameter:<name>``, the jobs and the DAG run that produced it), spelled once here and
  read back by the champion/challenger gate.
- :func:`latest_approved`: the group's champion, its newest Approved version.
- :func:`find_own_version`: the version an earlier attempt of this task instance registered,
  found by the identity tags every version we create carries (as jobs carry theirs).
- :func:`ensure_group`: the model package group, created if missing, idempotently.

Nothing here imports boto3 at module level.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_sm_provider import naming
from airflow_sm_provider.jobs import MODEL_PACKAGE
from airflow_sm_provider.jobs.model_package import HYPERPARAMETER_PREFIX, METRIC_PREFIX

if TYPE_CHECKING:
    import logging

    from airflow_sm_provider.hooks.sagemaker import SageMakerHook

__all__ = [
    "ensure_group",
    "find_own_version",
    "is_missing",
    "latest_approved",
    "metadata_properties",
]

APPROVAL_STATUSES = ("Approved", "Rejected", "PendingManualApproval")
#: CustomerMetadataProperties limits in the service model: 50 entries, keys 128, values 256.
MAX_ENTRIES, MAX_KEY, MAX_VALUE = 50, 128, 256
_INVALID = re.compile(r"[^\w .:/=+\-@]")
#: A retry's version was created after its DAG run was due; this much earlier allows for clock skew.
CLOCK_SLACK = timedelta(hours=1)


def _clean(text: Any, limit: int) -> str:
    return _INVALID.sub("_", str(text))[:limit]


def metadata_properties(
    *,
    metrics: dict[str, float],
    hyperparameters: dict[str, str],
    training_job_name: str | None,
    tuning_job_name: str | None,
    best_trial: str | None,
    identity: naming.TaskIdentity,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The ``CustomerMetadataProperties`` of a version: metrics, hyperparameters, jobs, DAG run."""
    properties: dict[str, str] = {
        "airflow-dag-id": identity.dag_id,
        "airflow-run-id": identity.run_id,
        "airflow-task-id": identity.task_id,
    }
    if training_job_name:
        properties["training-job"] = training_job_name
    if tuning_job_name:
        properties["tuning-job"] = tuning_job_name
    if best_trial:
        properties["best-trial"] = best_trial
    properties.update(
        {f"{METRIC_PREFIX}{name}": repr(float(value)) for name, value in sorted(metrics.items())}
    )
    properties.update(
        {f"{HYPERPARAMETER_PREFIX}{name}": value for name, value in sorted(hyperparameters.items())}
    )
    properties.update(extra or {})
    return {_clean(key, MAX_KEY): _clean(value, MAX_VALUE) for key, value in properties.items()}


def is_missing(err: BaseException) -> bool:
    """A Describe or List of a group or version that does not exist (SageMaker: ValidationException)."""
    from airflow_sm_provider.transient import error_code, is_not_found

    text = str(err).lower()
    return is_not_found(err) or (error_code(err) == "ValidationException" and "does not exist" in text)


def ensure_group(hook: SageMakerHook, name: str, description: str | None, log: logging.Logger | Any) -> str:
    """The group's ARN, creating the group if it does not exist (a concurrent creation is fine)."""
    from airflow_sm_provider.transient import error_code

    try:
        return hook.describe_model_package_group(name)["ModelPackageGroupArn"]
    except Exception as err:
        if not is_missing(err):
            raise
    request: dict[str, Any] = {"ModelPackageGroupName": name}
    if description:
        request["ModelPackageGroupDescription"] = description
    try:
        arn: str = hook.create_model_package_group(request)["ModelPackageGroupArn"]
    except Exception as err:
        # another task created it between our Describe and Create
        if error_code(err) != "ValidationException" or "already exists" not in str(err):
            raise
        return hook.describe_model_package_group(name)["ModelPackageGroupArn"]
    log.info("Created model package group %s (%s)", name, arn)
    return arn


def _versions(hook: SageMakerHook, group: str, **filters: Any) -> list[dict[str, Any]]:
    """Every version summary of ``group`` matching ``filters``, newest first."""
    summaries: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "ModelPackageGroupName": group,
        "SortBy": "CreationTime",
        "SortOrder": "Descending",
        "MaxResults": 100,
        **filters,
    }
    while True:
        page = hook.list_model_packages(**kwargs)
        summaries.extend(page.get(MODEL_PACKAGE.list_key, []))
        if not page.get("NextToken"):
            return summaries
        kwargs["NextToken"] = page["NextToken"]


def latest_approved(hook: SageMakerHook, group: str) -> dict[str, Any] | None:
    """The champion: DescribeModelPackage of the group's newest Approved version, or ``None``."""
    try:
        page = hook.list_model_packages(
            ModelPackageGroupName=group,
            ModelApprovalStatus="Approved",
            SortBy="CreationTime",
            SortOrder="Descending",
            MaxResults=1,
        )
    except Exception as err:
        if is_missing(err):
            return None
        raise
    summaries = page.get(MODEL_PACKAGE.list_key) or []
    if not summaries:
        return None
    return hook.describe(MODEL_PACKAGE, summaries[0][MODEL_PACKAGE.arn_key])


def find_own_version(
    hook: SageMakerHook, group: str, identity: naming.TaskIdentity, since: datetime | None
) -> str | None:
    """The ARN of the version this task instance registered on an earlier attempt, if any.

    Only versions created since the DAG run was due (less :data:`CLOCK_SLACK`) are looked at,
    each by its tags: usually none or one, however long the group's history.
    """
    filters = {} if since is None else {"CreationTimeAfter": since - CLOCK_SLACK}
    for summary in _versions(hook, group, **filters):
        arn = summary[MODEL_PACKAGE.arn_key]
        if naming.owned_by(hook.list_tags(arn), identity):
            return arn
    return None
