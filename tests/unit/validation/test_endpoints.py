from __future__ import annotations

import pytest

from airflow_sm_provider.validation import is_aws_endpoint


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "https://api.sagemaker.us-east-1.amazonaws.com",
        "https://api-fips.sagemaker.us-gov-west-1.amazonaws.com",
        "https://vpce-0abc-1234.api.sagemaker.eu-west-1.vpce.amazonaws.com",
        "https://api.sagemaker.cn-north-1.amazonaws.com.cn",
        "https://sagemaker.us-east-1.api.aws",
        "api.sagemaker.us-east-1.amazonaws.com",
        "HTTPS://API.SAGEMAKER.US-EAST-1.AMAZONAWS.COM:443/",
    ],
)
def test_aws_endpoints_are_recognised(url):
    assert is_aws_endpoint(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080",
        "http://localhost:41917",
        "http://sm-backend:8080",
        "https://sagemaker.internal.example.com",
        "https://not-amazonaws.com",
        "https://amazonaws.com.example.org",
    ],
)
def test_other_endpoints_are_not_aws(url):
    assert not is_aws_endpoint(url)
