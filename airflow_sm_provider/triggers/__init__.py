"""Triggers for deferrable SageMaker operators and sensors."""

from __future__ import annotations

from airflow_sm_provider.triggers.model_package import SageMakerModelApprovalTrigger
from airflow_sm_provider.triggers.sagemaker import (
    SageMakerJobTrigger,
    SageMakerTrainingTrigger,
    SageMakerTuningTrigger,
)

__all__ = [
    "SageMakerJobTrigger",
    "SageMakerModelApprovalTrigger",
    "SageMakerTrainingTrigger",
    "SageMakerTuningTrigger",
]
