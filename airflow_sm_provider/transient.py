"""Which AWS errors are transient: they are retried (or waited out), never fatal to a task.

botocore's retry mode already retries these inside each call; this predicate decides what a
*wait* does when a call still fails after all of botocore's attempts: keep waiting and poll
again at the next interval, instead of failing a job that is still running fine.
"""

from __future__ import annotations

import asyncio

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


def is_transient(err: BaseException) -> bool:
    """True for throttling, 5xx and connection-level failures."""
    from botocore.exceptions import ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    if isinstance(err, ClientError):
        code = err.response.get("Error", {}).get("Code", "")
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return code in THROTTLING_CODES or status >= 500
    if isinstance(err, (BotoConnectionError, HTTPClientError, asyncio.TimeoutError, ConnectionError)):
        return True
    try:
        import aiohttp
    except ImportError:  # pragma: no cover - aiobotocore always brings aiohttp
        return False
    return isinstance(err, aiohttp.ClientError)


def error_code(err: BaseException) -> str | None:
    from botocore.exceptions import ClientError

    if isinstance(err, ClientError):
        return err.response.get("Error", {}).get("Code")
    return None


def is_not_found(err: BaseException) -> bool:
    """SageMaker answers a Describe of a missing job or model with ValidationException or ResourceNotFound."""
    code = error_code(err)
    if code == "ResourceNotFound":
        return True
    text = str(err).lower()
    # DescribeTrainingJob says "Requested resource not found", DescribeModel "Could not find model"
    return code == "ValidationException" and ("not found" in text or "could not find" in text)
