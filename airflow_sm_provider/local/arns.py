"""SageMaker ARNs as the local backend forms them, and the account and region it answers for."""

from __future__ import annotations

__all__ = ["DEFAULT_ACCOUNT", "DEFAULT_REGION", "PREFIX", "kind_of", "make_arn", "region_of"]

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "000000000000"
PREFIX = "arn:aws:sagemaker:"


def make_arn(region: str, account: str, kind: str, name: str) -> str:
    """``arn:aws:sagemaker:<region>:<account>:<kind>/<name lowercased>``, as SageMaker forms them.

    SageMaker lowercases the name, so two names that differ only in case would share an ARN:
    every store refuses such a second name.
    """
    return f"{PREFIX}{region}:{account}:{kind}/{name.lower()}"


def region_of(arn: str) -> str:
    """The region field of an ARN."""
    return arn.split(":")[3]


def kind_of(arn: str) -> str:
    """The resource type of a SageMaker ARN (``training-job``, ``model``, ...)."""
    return arn.split(":", 5)[-1].split("/", 1)[0]
