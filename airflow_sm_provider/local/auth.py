"""AWS Signature Version 4 checked as AWS checks it, by recomputing it with botocore's signer.

The algorithm itself is botocore's (``SigV4Auth``), run over an ``AWSRequest`` rebuilt from what
was received: method, path and query, the headers the client says it signed, the body, and the
client's ``X-Amz-Date``. The two signatures are compared in constant time. The steps, in AWS's
order, and what each refuses with (all HTTP 400, as SageMaker answers):

1. no ``Authorization`` header: ``MissingAuthenticationTokenException``;
2. not ``AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``, no valid
   ``X-Amz-Date``, or ``host`` or an ``x-amz-*`` header left unsigned (so a captured request
   cannot be replayed to another operation): ``IncompleteSignatureException``;
3. a credential scope other than ``<key>/<X-Amz-Date's day>/<region>/<service>/aws4_request``,
   where the service is ``sagemaker``, or ``logs`` for a CloudWatch Logs target
   (``X-Amz-Target: Logs_20140328.*``, itself a signed header) (any well-formed region is
   accepted; it becomes the region of the ARNs): ``InvalidSignatureException``;
4. an access key other than the backend's, or a session token (the backend issues none):
   ``UnrecognizedClientException``;
5. ``X-Amz-Date`` more than 5 minutes from the server's clock: ``InvalidSignatureException``
   ("Signature expired" / "Signature not yet current");
6. a signature that differs from the recomputed one, or an ``X-Amz-Content-SHA256`` that is not
   the body's hash: ``InvalidSignatureException``.

Steps 1 to 5 need only the headers (:meth:`SigV4Verifier.check_headers`), so the server answers a
request refused there without reading its body; step 6 is :meth:`SigV4Verifier.check_signature`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials

from airflow_sm_provider.local.credentials import Credentials
from airflow_sm_provider.local.errors import (
    IncompleteSignature,
    InvalidSignature,
    MissingAuthenticationToken,
    UnrecognizedClient,
)

SERVICE = "sagemaker"
# the service other APIs on the same port are signed for, by their X-Amz-Target prefix
TARGET_SERVICES = {"Logs_20140328.": "logs"}
ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
CLOCK_SKEW = timedelta(minutes=5)
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"

# botocore's own rule for a region name: one DNS label
_REGION = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)


@dataclass(frozen=True)
class SignedRequest:
    """What an ``Authorization`` header claims, once its form, scope, key and date are checked."""

    access_key_id: str
    amz_date: str
    region: str
    signed_headers: tuple[str, ...]
    signature: str
    service: str = SERVICE


def service_for(target: str | None) -> str:
    """The service a request for ``target`` (its ``X-Amz-Target``) must be signed for."""
    for prefix, service in TARGET_SERVICES.items():
        if (target or "").startswith(prefix):
            return service
    return SERVICE


def _parameters(authorization: str) -> dict[str, str]:
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise IncompleteSignature(f"Unsupported Authorization algorithm: only {ALGORITHM} is accepted.")
    parameters: dict[str, str] = {}
    for part in rest.split(","):
        key, equals, value = part.strip().partition("=")
        if not equals:
            raise IncompleteSignature("A part of the Authorization header is not a valid key=value pair.")
        parameters[key] = value
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not parameters.get(name)]
    if missing:
        raise IncompleteSignature(
            " ".join(f"Authorization header requires '{name}' parameter." for name in missing)
        )
    return parameters


def _amz_date(headers: Message) -> tuple[str, datetime]:
    value = (headers.get("X-Amz-Date") or "").strip()
    if not value:
        raise IncompleteSignature("Authorization header requires existence of a 'X-Amz-Date' header.")
    try:
        return value, datetime.strptime(value, AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        message = "X-Amz-Date must be in ISO-8601 basic format (YYYYMMDD'T'HHMMSS'Z')."
        raise IncompleteSignature(message) from None


class SigV4Verifier:
    """Checks requests signed for ``credentials`` and the SageMaker service.

    :param credentials: the one access key this backend accepts.
    :param clock: the current time (injectable for tests).
    """

    def __init__(self, credentials: Credentials, *, clock: Callable[[], datetime] | None = None) -> None:
        self.credentials = credentials
        self._clock = clock or (lambda: datetime.now(UTC))

    def check_headers(self, headers: Message) -> SignedRequest:
        """Steps 1 to 5: everything that can be refused before the body is read."""
        authorization = headers.get("Authorization")
        if not authorization or not authorization.strip():
            raise MissingAuthenticationToken()
        parameters = _parameters(authorization)
        amz_date, when = _amz_date(headers)
        signed_headers = tuple(parameters["SignedHeaders"].split(";"))
        must_sign = {name.lower() for name in headers.keys() if name.lower().startswith("x-amz-")}
        unsigned = sorted((must_sign | {"host"}) - set(signed_headers))
        if unsigned:
            raise IncompleteSignature(
                "SignedHeaders must include host and every x-amz-* header; not signed: "
                f"{', '.join(unsigned)}."
            )
        service = service_for(headers.get("X-Amz-Target"))
        access_key_id, region = self._check_scope(parameters["Credential"], amz_date, service)
        if access_key_id != self.credentials.access_key_id or headers.get("X-Amz-Security-Token"):
            raise UnrecognizedClient()
        self._check_clock(amz_date, when)
        return SignedRequest(
            access_key_id=access_key_id,
            amz_date=amz_date,
            region=region,
            signed_headers=signed_headers,
            signature=parameters["Signature"],
            service=service,
        )

    def check_signature(
        self, signed: SignedRequest, method: str, target: str, headers: Message, body: bytes
    ) -> None:
        """Step 6: recompute the signature over the received request with botocore's signer."""
        declared_hash = headers.get("X-Amz-Content-SHA256")
        if declared_hash is not None and declared_hash != hashlib.sha256(body).hexdigest():
            raise InvalidSignature(
                "The provided 'x-amz-content-sha256' header does not match what was computed."
            )
        parts = urlsplit(target)
        # The URL's host is never used: ``host`` is a signed header, taken from the request. An
        # http URL makes botocore hash the payload, as it does when it signs for http.
        url = "http://local" + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request = AWSRequest(method=method, url=url, data=body)
        for name in signed.signed_headers:
            values = headers.get_all(name)
            if not values:
                raise InvalidSignature(_MISMATCH)
            for value in values:
                request.headers[name] = value
        request.context["timestamp"] = signed.amz_date
        signer = SigV4Auth(
            BotocoreCredentials(self.credentials.access_key_id, self.credentials.secret_access_key),
            signed.service,
            signed.region,
        )
        if signer.signed_headers(signer.headers_to_sign(request)) != ";".join(signed.signed_headers):
            raise InvalidSignature(_MISMATCH)  # it signed headers botocore never signs
        string_to_sign = signer.string_to_sign(request, signer.canonical_request(request))
        expected = signer.signature(string_to_sign, request)
        if not _SIGNATURE.fullmatch(signed.signature) or not hmac.compare_digest(
            expected.encode(), signed.signature.encode()
        ):
            raise InvalidSignature(_MISMATCH)

    @staticmethod
    def _check_scope(credential: str, amz_date: str, expected: str = SERVICE) -> tuple[str, str]:
        parts = credential.split("/")
        if len(parts) != 5:
            raise IncompleteSignature(
                "Credential must have exactly 5 slash-delimited elements, "
                "e.g. keyid/date/region/service/term."
            )
        access_key_id, day, region, service, terminator = parts
        if day != amz_date[:8]:
            raise InvalidSignature(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
                f"HTTP: '{day}' != '{amz_date[:8]}', from '{amz_date}'."
            )
        if not _REGION.fullmatch(region):
            raise InvalidSignature("Credential should be scoped to a valid region.")
        if service != expected:
            raise InvalidSignature(f"Credential should be scoped to correct service: '{expected}'.")
        if terminator != TERMINATOR:
            raise InvalidSignature(f"Credential should be scoped with a valid terminator: '{TERMINATOR}'.")
        return access_key_id, region

    def _check_clock(self, amz_date: str, when: datetime) -> None:
        now = self._clock()
        stamp = now.strftime(AMZ_DATE_FORMAT)
        if when < now - CLOCK_SKEW:
            earliest = (now - CLOCK_SKEW).strftime(AMZ_DATE_FORMAT)
            raise InvalidSignature(
                f"Signature expired: {amz_date} is now earlier than {earliest} ({stamp} - 5 min.)"
            )
        if when > now + CLOCK_SKEW:
            latest = (now + CLOCK_SKEW).strftime(AMZ_DATE_FORMAT)
            raise InvalidSignature(
                f"Signature not yet current: {amz_date} is still later than {latest} ({stamp} + 5 min.)"
            )
