"""Helpers for the local backend's integration tests: polling with a deadline, clients, and a
check of raw SageMaker responses against botocore's output shapes.

botocore's parser silently drops keys a shape does not know, so validating the parsed response
would miss them. The hook below reads the raw JSON body, turns epoch-second timestamps into
datetimes per the shape, and runs ``ParamValidator`` on it: unknown keys, missing required
members and wrong types all fail the test that made the call.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials
from botocore.validate import ParamValidator

from airflow_sm_provider.local import credentials
from airflow_sm_provider.local.credentials import Credentials

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
VALIDATED: set[str] = set()  # operations whose successful responses were checked this session


class OutputShapeError(AssertionError):
    pass


def to_python(value: Any, shape: Any) -> Any:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {k: to_python(v, shape.members[k]) if k in shape.members else v for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [to_python(v, shape.member) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: to_python(v, shape.value) for k, v in value.items()}
    if kind == "timestamp":
        if not isinstance(value, (int, float)):
            raise OutputShapeError(f"timestamp not serialised as epoch seconds: {value!r}")
        return datetime.fromtimestamp(value, UTC)
    return value


def check_output(operation_model: Any, body: bytes) -> None:
    """Raise ``OutputShapeError`` unless ``body`` fits the operation's output shape."""
    shape = operation_model.output_shape
    payload = json.loads(body or b"{}")
    if shape is None:
        if payload:
            raise OutputShapeError(f"{operation_model.name} returns no output, got {payload}")
        return
    report = ParamValidator().validate(to_python(payload, shape), shape)
    if report.has_errors():
        raise OutputShapeError(f"{operation_model.name} response: {report.generate_report()}")


def attach_output_validation(client: Any) -> None:
    def validate(http_response: Any, model: Any, **kwargs: Any) -> None:
        if http_response.status_code == 200:
            check_output(model, http_response.content)
            VALIDATED.add(model.name)

    client.meta.events.register("after-call.sagemaker", validate)


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.02) -> Any:
    """Call ``predicate`` until it returns something truthy; fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value {value!r})")
        time.sleep(interval)


@dataclass(frozen=True)
class Endpoint:
    """A backend started as its own process (``serve``): its URL and its home's credentials."""

    endpoint_url: str
    credentials: Credentials

    @classmethod
    def of_home(cls, endpoint_url: str, home: Path) -> Endpoint:
        return cls(endpoint_url, credentials.for_home(home))


def make_client(server: Any, region: str = "us-east-1") -> Any:
    """A boto3 SageMaker client signing with ``server``'s credentials; every response shape-checked."""
    client = boto3.client(
        "sagemaker",
        endpoint_url=server.endpoint_url,
        region_name=region,
        aws_access_key_id=server.credentials.access_key_id,
        aws_secret_access_key=server.credentials.secret_access_key,
    )
    attach_output_validation(client)
    return client


def signed_headers(server: Any, operation: str, body: bytes, host: str | None = None) -> dict[str, str]:
    """The headers boto3 would send for ``operation`` with ``body``, signed for ``server``.

    ``host`` replaces the Host header before signing, as a client that reached the server
    under another name would sign it.
    """
    headers = {"X-Amz-Target": f"SageMaker.{operation}", "Content-Type": "application/x-amz-json-1.1"}
    if host is not None:
        headers["Host"] = host
    request = AWSRequest("POST", server.endpoint_url + "/", data=body, headers=headers)
    keys = BotocoreCredentials(server.credentials.access_key_id, server.credentials.secret_access_key)
    SigV4Auth(keys, "sagemaker", "us-east-1").add_auth(request)
    return dict(request.headers.items())
