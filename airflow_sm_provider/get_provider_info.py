"""Provider metadata read by Airflow's ProvidersManager (entry point ``apache_airflow_provider``)."""

from __future__ import annotations

from typing import Any

from airflow_sm_provider import __version__


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-sm-provider",
        "name": "Amazon SageMaker (airflow-sm-provider)",
        # Connections: the standard ``aws`` connection type of apache-airflow-providers-amazon, used
        # as is. It is not listed under "connection-types": registering a type another provider owns
        # makes Airflow log a warning in every process that loads providers.
        "description": "Amazon SageMaker training, hyperparameter tuning and model registry (uses the "
        "standard `aws` connection), with an offline local SageMaker backend.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "Amazon SageMaker (airflow-sm-provider)",
                "external-doc-url": "https://aws.amazon.com/sagemaker/",
                "tags": ["aws"],
            }
        ],
        "hooks": [
            {
                "integration-name": "Amazon SageMaker (airflow-sm-provider)",
                "python-modules": ["airflow_sm_provider.hooks.sagemaker"],
            }
        ],
        "operators": [
            {
                "integration-name": "Amazon SageMaker (airflow-sm-provider)",
                "python-modules": [
                    "airflow_sm_provider.operators.training",
                    "airflow_sm_provider.operators.tuning",
                    "airflow_sm_provider.operators.model",
                    "airflow_sm_provider.operators.registry",
                    "airflow_sm_provider.operators.gate",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": "Amazon SageMaker (airflow-sm-provider)",
                "python-modules": [
                    "airflow_sm_provider.sensors.sagemaker",
                    "airflow_sm_provider.sensors.model_package",
                ],
            }
        ],
        "triggers": [
            {
                "integration-name": "Amazon SageMaker (airflow-sm-provider)",
                "python-modules": [
                    "airflow_sm_provider.triggers.sagemaker",
                    "airflow_sm_provider.triggers.model_package",
                ],
            }
        ],
        # The SageMaker view on task instance pages (airflow_sm_provider/plugins/).
        "plugins": [
            {
                "name": "airflow_sm_provider_ui",
                "plugin-class": "airflow_sm_provider.plugins.sagemaker_ui.SageMakerUIPlugin",
            }
        ],
        "extra-links": [
            "airflow_sm_provider.links.sagemaker.SageMakerTrainingJobLink",
            "airflow_sm_provider.links.sagemaker.SageMakerTuningJobLink",
            "airflow_sm_provider.links.sagemaker.SageMakerTrainingLogsLink",
        ],
    }
