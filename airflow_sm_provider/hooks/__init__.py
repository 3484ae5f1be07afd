"""Hooks. Imported lazily by operators and triggers, so DAG parsing never pays for boto3."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["SageMakerHook"]

if TYPE_CHECKING:
    from airflow_sm_provider.hooks.sagemaker import SageMakerHook


def __getattr__(name: str) -> Any:
    if name == "SageMakerHook":
        from airflow_sm_provider.hooks.sagemaker import SageMakerHook

        return SageMakerHook
    raise AttributeError(name)
