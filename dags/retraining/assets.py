"""The assets the retraining pipeline produces, shared with the DAGs that consume them.

- :data:`FINAL_MODEL`: an alias; each run attaches the final model's artifact URI (known only
  at run time) with extras naming its jobs, metrics and tuned hyperparameters.
- :data:`APPROVED_MODEL`: updated when a new model version is approved in the registry; its
  event's extras carry the model package ARN, version, approval status, metrics, tuned
  hyperparameters and job names (``example_sagemaker_approved_model`` is scheduled on it).
"""

from __future__ import annotations

from airflow.sdk import Asset, AssetAlias

__all__ = ["APPROVED_MODEL", "FINAL_MODEL"]

FINAL_MODEL = AssetAlias("sagemaker_retraining_final_model")
APPROVED_MODEL = Asset(
    name="sagemaker_retraining_approved_model", uri="sagemaker-retraining://approved-model"
)
