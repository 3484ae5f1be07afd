"""Sensors for SageMaker training and tuning jobs and model package approval."""

from __future__ import annotations

from airflow_sm_provider.sensors.model_package import SageMakerModelApprovalSensor
from airflow_sm_provider.sensors.sagemaker import SageMakerTrainingSensor, SageMakerTuningSensor

__all__ = ["SageMakerModelApprovalSensor", "SageMakerTrainingSensor", "SageMakerTuningSensor"]
