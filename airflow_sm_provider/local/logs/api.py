"""The CloudWatch Logs API as AWS JSON 1.1 (``X-Amz-Target: Logs_20140328.<Operation>``).

Requests are validated against botocore's ``logs`` model as the SageMaker ones are against
``sagemaker`` (shapes, enums, and the maximum of a number, which botocore does not check: a
``limit`` above 10,000 is refused), then handed to :class:`~.service.LogsService`; its responses
fit the model's output shapes. A bad request is an ``InvalidParameterException``, as CloudWatch
Logs answers. Requests are signed for the service ``logs``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from airflow_sm_provider.local import protocol
from airflow_sm_provider.local.errors import UnknownOperation
from airflow_sm_provider.local.logs.errors import InvalidParameter
from airflow_sm_provider.local.logs.service import LogsService

TARGET_PREFIX = "Logs_20140328."
SIGNING_NAME = "logs"

Handler = Callable[[LogsService, dict[str, Any], str], dict[str, Any]]
HANDLERS: dict[str, Handler] = {
    "DescribeLogStreams": lambda logs, params, region: logs.describe_log_streams(params, region),
    "GetLogEvents": lambda logs, params, region: logs.get_log_events(params),
    "FilterLogEvents": lambda logs, params, region: logs.filter_log_events(params),
}


@functools.lru_cache(maxsize=1)
def service_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("logs")


def is_logs_target(target: str | None) -> bool:
    return bool(target) and str(target).startswith(TARGET_PREFIX)


def parse_request(operation: str, body: bytes) -> dict[str, Any]:
    """The request's parameters, validated against the operation's input shape."""
    from botocore.validate import ParamValidator

    try:
        raw = json.loads(body or b"{}")
    except ValueError as err:
        raise InvalidParameter(f"Request body is not valid JSON: {err}") from err
    if not isinstance(raw, dict):
        raise InvalidParameter("Request body must be a JSON object")
    shape = service_model().operation_model(operation).input_shape
    errors: list[str] = []
    params = protocol.decode(raw, shape, "", errors)
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        errors.insert(0, report.generate_report())
    for name, member in shape.members.items():
        value, most = params.get(name), member.metadata.get("max")
        if member.type_name in ("integer", "long") and isinstance(value, int) and most is not None:
            if value > most:
                errors.append(
                    f"Value '{value}' at '{name}' failed to satisfy constraint: Member must have value "
                    f"less than or equal to {most}"
                )
    if errors:
        raise InvalidParameter("\n".join(errors))
    return params


def dispatch(logs: LogsService, target: str, body: bytes, region: str) -> bytes:
    """Answer one Logs request (``target`` is the whole ``X-Amz-Target``)."""
    operation = target.removeprefix(TARGET_PREFIX)
    handler = HANDLERS.get(operation)
    if handler is None:
        raise UnknownOperation(f"Operation {operation or '(none)'} is not supported by the local backend")
    return protocol.encode(handler(logs, parse_request(operation, body), region))
