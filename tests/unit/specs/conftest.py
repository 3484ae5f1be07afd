from __future__ import annotations

import botocore.session
import pytest
from botocore.validate import ParamValidator

from airflow_sm_provider import specs

ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgb-train:1.7"
_MODEL = botocore.session.get_session().get_service_model("sagemaker")


def botocore_report(request: dict, operation: str) -> str:
    """botocore's own validation report for ``request`` (empty when valid)."""
    report = ParamValidator().validate(request, _MODEL.operation_model(operation).input_shape)
    return report.generate_report()


def algorithm(**overrides) -> specs.AlgorithmSpecification:
    fields = {
        "training_image": IMAGE,
        "metric_definitions": [
            specs.MetricDefinition(name="validation:rmse", regex=r"validation-rmse=([0-9\.]+)"),
            specs.MetricDefinition(name="train:rmse", regex=r"train-rmse=([0-9\.]+)"),
        ],
    }
    fields.update(overrides)
    return specs.AlgorithmSpecification(**fields)


def settings(**overrides) -> dict:
    fields = {
        "role_arn": ROLE,
        "algorithm": algorithm(),
        "channels": [
            specs.Channel(name="train", s3_uri="s3://bucket/churn/train/", content_type="text/csv"),
            specs.Channel(name="validation", s3_uri="s3://bucket/churn/validation/", content_type="text/csv"),
        ],
        "output": specs.OutputDataConfig(s3_output_path="s3://bucket/churn/models/"),
        "resources": specs.ResourceConfig(instance_type="ml.m5.xlarge"),
        "stopping": specs.StoppingCondition(max_runtime_in_seconds=3600),
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def report():
    return botocore_report


@pytest.fixture
def build_settings():
    return settings


@pytest.fixture
def build_algorithm():
    return algorithm
