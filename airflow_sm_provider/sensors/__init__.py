"""Sensors for SageMaker training and tuning jobs."""

from __future__ import annotations

from airflow_sm_provider.sensors.sagemaker import SageMakerTrainingSensor, SageMakerTuningSensor

__all__ = ["SageMakerTrainingSensor", "SageMakerTuningSensor"]
