"""Operators for SageMaker training, hyperparameter tuning and models."""

from __future__ import annotations

from airflow_sm_provider.operators.model import SageMakerCreateModelOperator
from airflow_sm_provider.operators.training import SageMakerTrainingOperator
from airflow_sm_provider.operators.tuning import SageMakerTuningOperator

__all__ = ["SageMakerCreateModelOperator", "SageMakerTrainingOperator", "SageMakerTuningOperator"]
