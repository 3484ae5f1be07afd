"""The assets the retraining pipeline produces, shared with the DAGs that consume them.

- :data:`FINAL_MODEL`: an alias; each run attaches the final model's artifact URI (known only
  at run time) with extras naming its jobs, metrics and tuned hyperparameters.
- :data:`APPROVED_MODEL`: updated when a new model version is approved in the registry; its
  event's extras carry the model package ARN, version, approval status, metrics, tuned
  hyperparameters and job names (``example_sagemaker_approved_model`` is scheduled on it).
"""

from __future__ import annotations

import json
from typing import Any

from airflow.sdk import Asset, AssetAlias

__all__ = ["APPROVED_MODEL", "FINAL_MODEL", "alias_extra"]

FINAL_MODEL = AssetAlias("sagemaker_retraining_final_model")
APPROVED_MODEL = Asset(
    name="sagemaker_retraining_approved_model", uri="sagemaker-retraining://approved-model"
)


def alias_extra(extra: dict[str, Any], airflow_version: str | None = None) -> dict[str, Any]:
    """An asset event's extra as an event through an alias can carry it on this Airflow.

    Airflow 3.0 files an alias's events by a set of their extra's items, so every value must be
    hashable there: nested values (metrics, tuned hyperparameters) go as JSON text, and the task
    would otherwise fail after it ran. Airflow 3.1+ keeps them as they are.
    """
    if airflow_version is None:
        from airflow import __version__ as airflow_version
    major, minor = (int(part) for part in airflow_version.split(".")[:2])
    if (major, minor) >= (3, 1):
        return extra
    return {k: json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v for k, v in extra.items()}
