"""AWS-shaped errors raised by the local backend.

Every error carries the AWS error code botocore maps to ``ClientError.response["Error"]["Code"]``
and the HTTP status the real service answers with::

    LocalServiceError
     ├── ValidationError        ValidationException, 400
     ├── ResourceNotFound       ResourceNotFound, 400
     ├── ResourceInUse          ResourceInUse, 400 (duplicate name, wrong state)
     ├── Conflict               ConflictException, 400 (a model package group that still has versions)
     ├── UnknownOperation       UnknownOperationException, 400
     ├── AccessDenied           AccessDeniedException, 403 (a Host not of this server, an Origin)
     └── AuthenticationError    400, as SageMaker and other AWS JSON 1.1 services answer
          ├── MissingAuthenticationToken   MissingAuthenticationTokenException
          ├── IncompleteSignature          IncompleteSignatureException (malformed Authorization)
          ├── InvalidSignature             InvalidSignatureException (scope, clock skew, signature)
          └── UnrecognizedClient           UnrecognizedClientException (unknown access key)
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


class Conflict(LocalServiceError):
    code = "ConflictException"
    status = 400


class UnknownOperation(LocalServiceError):
    code = "UnknownOperationException"
    status = 400


class AccessDenied(LocalServiceError):
    code = "AccessDeniedException"
    status = 403


class AuthenticationError(LocalServiceError):
    """A request whose AWS Signature Version 4 is missing or wrong."""

    status = 400


class MissingAuthenticationToken(AuthenticationError):
    code = "MissingAuthenticationTokenException"

    def __init__(self, message: str = "Request is missing Authentication Token") -> None:
        super().__init__(message)


class IncompleteSignature(AuthenticationError):
    code = "IncompleteSignatureException"


class InvalidSignature(AuthenticationError):
    code = "InvalidSignatureException"


class UnrecognizedClient(AuthenticationError):
    code = "UnrecognizedClientException"

    def __init__(self, message: str = "The security token included in the request is invalid.") -> None:
        super().__init__(message)
