from __future__ import annotations

import pytest

from airflow_sm_provider.validation.credentials import looks_like_credential

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD6" + "A1b2C3d4" * 20


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("anything", "AKIAIOSFODNN7EXAMPLE"),
        ("anything", "ASIAIOSFODNN7EXAMPLE"),
        ("conn", "s3://AKIAIOSFODNN7EXAMPLE:pw@host"),
        ("aws_secret_access_key", "short"),
        ("AWS-Session-Token", "anything-at-all"),
        ("AWS_ACCESS_KEY_ID", "x"),
        ("db_password", SECRET_KEY),
        ("api_key", SECRET_KEY),
        ("session_token", SESSION_TOKEN),
        ("my-secret", SECRET_KEY),
    ],
)
def test_credentials_are_recognised(key, value):
    assert looks_like_credential(key, value)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("max_tokens", "512"),
        ("token_budget", "100000"),
        ("tokenizer", "bert-base-uncased"),
        ("password_length", "16"),
        ("model_id", "AKIA"),
        ("hash", SECRET_KEY.lower()),
        ("checkpoint", SECRET_KEY),
        ("secret", "short-value-1A"),
        ("aws_secret_access_key", ""),
        ("lr", "0.1"),
        ("secret", None),
        ("prefix", "XAKIAIOSFODNN7EXAMPLEX"),
    ],
)
def test_ordinary_hyperparameters_pass(key, value):
    assert not looks_like_credential(key, value)
