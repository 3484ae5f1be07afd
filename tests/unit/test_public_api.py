"""The public surface, pinned exactly: adding or removing a public name is a decision, made here."""

from __future__ import annotations

import importlib

import pytest

from tests.unit.specs.test_specs_public_api import EXPECTED_ALL as SPECS

PUBLIC = {
    "airflow_sm_provider.operators": {
        "SageMakerCreateModelOperator",
        "SageMakerModelGateOperator",
        "SageMakerRegisterModelVersionOperator",
        "SageMakerTrainingOperator",
        "SageMakerTuningOperator",
        "SageMakerUpdateModelApprovalOperator",
    },
    "airflow_sm_provider.sensors": {
        "SageMakerModelApprovalSensor",
        "SageMakerTrainingSensor",
        "SageMakerTuningSensor",
    },
    "airflow_sm_provider.triggers": {
        "SageMakerJobTrigger",
        "SageMakerModelApprovalTrigger",
        "SageMakerTrainingTrigger",
        "SageMakerTuningTrigger",
    },
    "airflow_sm_provider.hooks": {"SageMakerHook"},
    "airflow_sm_provider.links": {
        "SageMakerTrainingJobLink",
        "SageMakerTrainingLogsLink",
        "SageMakerTuningJobLink",
    },
    "airflow_sm_provider.exceptions": {
        "ApiUnavailableError",
        "AwsConnectionError",
        "ConfigValidationError",
        "JobFailedError",
        "JobNameConflictError",
        "JobTimeoutError",
        "MissingMetricsError",
        "NoSuccessfulTrainingJobError",
        "SageMakerProviderError",
    },
    "airflow_sm_provider.specs": SPECS,
}


@pytest.mark.parametrize(("module", "names"), PUBLIC.items(), ids=list(PUBLIC))
def test_public_names_are_pinned(module, names):
    imported = importlib.import_module(module)
    assert set(imported.__all__) == names
    assert all(getattr(imported, name) is not None for name in names)


@pytest.mark.parametrize(
    ("trigger", "classpath"),
    [
        ("SageMakerTrainingTrigger", "airflow_sm_provider.triggers.sagemaker.SageMakerTrainingTrigger"),
        ("SageMakerTuningTrigger", "airflow_sm_provider.triggers.sagemaker.SageMakerTuningTrigger"),
        (
            "SageMakerModelApprovalTrigger",
            "airflow_sm_provider.triggers.model_package.SageMakerModelApprovalTrigger",
        ),
    ],
)
def test_trigger_classpaths_are_literal(trigger, classpath):
    from airflow_sm_provider import triggers

    assert getattr(triggers, trigger)(job_name="j").serialize()[0] == classpath


def test_extra_links_in_provider_info_are_the_public_link_classes():
    from airflow_sm_provider.get_provider_info import get_provider_info

    links = importlib.import_module("airflow_sm_provider.links")
    assert set(get_provider_info()["extra-links"]) == {
        f"{getattr(links, name).__module__}.{name}" for name in PUBLIC["airflow_sm_provider.links"]
    }


def test_the_version_is_written_once():
    from importlib.metadata import version

    import airflow_sm_provider
    from airflow_sm_provider.get_provider_info import get_provider_info

    assert get_provider_info()["versions"] == [airflow_sm_provider.__version__]
    assert version("airflow-sm-provider") == airflow_sm_provider.__version__
