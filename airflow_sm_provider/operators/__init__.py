"""Operators for SageMaker training, hyperparameter tuning, models and the model registry."""

from __future__ import annotations

from airflow_sm_provider.operators.gate import SageMakerModelGateOperator
from airflow_sm_provider.operators.model import SageMakerCreateModelOperator
from airflow_sm_provider.operators.registry import (
    SageMakerRegisterModelVersionOperator,
    SageMakerUpdateModelApprovalOperator,
)
from airflow_sm_provider.operators.training import SageMakerTrainingOperator
from airflow_sm_provider.operators.tuning import SageMakerTuningOperator

__all__ = [
    "SageMakerCreateModelOperator",
    "SageMakerModelGateOperator",
    "SageMakerRegisterModelVersionOperator",
    "SageMakerTrainingOperator",
    "SageMakerTuningOperator",
    "SageMakerUpdateModelApprovalOperator",
]
