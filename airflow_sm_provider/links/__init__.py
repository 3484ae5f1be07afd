"""Extra links shown on the provider's tasks in the Airflow UI."""

from __future__ import annotations

from airflow_sm_provider.links.sagemaker import (
    SageMakerTrainingJobLink,
    SageMakerTrainingLogsLink,
    SageMakerTuningJobLink,
)

__all__ = ["SageMakerTrainingJobLink", "SageMakerTrainingLogsLink", "SageMakerTuningJobLink"]
