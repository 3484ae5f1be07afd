"""AWS-shaped errors raised by the local backend.

Every error carries the AWS error code botocore maps to ``ClientError.response["Error"]["Code"]``
and the HTTP status the real service answers with::

    LocalServiceError
     ├── ValidationError        ValidationException, 400
     ├── ResourceNotFound       ResourceNotFound, 400
     ├── ResourceInUse          ResourceInUse, 400 (duplicate name, wrong state)
     └── UnknownOperation       UnknownOperationException, 400
"""

from __future__ import annotations


class LocalServiceError(Exception):
    """Base class: an error the server turns into an AWS JSON 1.1 error response."""

    code = "InternalFailure"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_body(self) -> dict[str, str]:
        return {"__type": self.code, "message": self.message}


class ValidationError(LocalServiceError):
    code = "ValidationException"
    status = 400


class ResourceNotFound(LocalServiceError):
    code = "ResourceNotFound"
    status = 400


class ResourceInUse(LocalServiceError):
    code = "ResourceInUse"
    status = 400


class UnknownOperation(LocalServiceError):
    code = "UnknownOperationException"
    status = 400
