"""SigV4 verification: each check of auth.py against requests signed by botocore itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import Message
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials

from airflow_sm_provider.local.auth import SigV4Verifier
from airflow_sm_provider.local.credentials import Credentials
from airflow_sm_provider.local.errors import (
    IncompleteSignature,
    InvalidSignature,
    MissingAuthenticationToken,
    UnrecognizedClient,
)

KEY = Credentials("SMLOCALTESTKEY000000", "test-secret")
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
BODY = b'{"MaxResults": 5}'
HOST = "127.0.0.1:8080"


def _sign(
    body: bytes = BODY,
    *,
    key: Credentials = KEY,
    service: str = "sagemaker",
    region: str = "us-east-1",
    at: datetime = NOW,
    path: str = "/",
    extra: dict[str, str] | None = None,
) -> tuple[Message, str]:
    """Headers (as http.server parses them) of a request botocore signs, and its target."""
    request = AWSRequest(
        "POST",
        f"http://{HOST}{path}",
        data=body,
        headers={
            "X-Amz-Target": "SageMaker.ListTrainingJobs",
            "Content-Type": "application/x-amz-json-1.1",
            **(extra or {}),
        },
    )
    signer = SigV4Auth(BotocoreCredentials(key.access_key_id, key.secret_access_key), service, region)
    with mock.patch("botocore.auth.get_current_datetime", return_value=at.replace(tzinfo=None)):
        signer.add_auth(request)
    headers = Message()
    headers["Host"] = HOST
    headers["User-Agent"] = "Boto3/test"  # sent, never signed
    for name, value in request.headers.items():
        headers[name] = value
    return headers, path


def _replace(headers: Message, name: str, value: str | None) -> Message:
    del headers[name]
    if value is not None:
        headers[name] = value
    return headers


@pytest.fixture
def verifier() -> SigV4Verifier:
    return SigV4Verifier(KEY, clock=lambda: NOW)


def _verify(verifier: SigV4Verifier, headers: Message, target: str = "/", body: bytes = BODY) -> str:
    signed = verifier.check_headers(headers)
    verifier.check_signature(signed, "POST", target, headers, body)
    return signed.region


def test_a_request_botocore_signed_is_accepted_with_its_region(verifier):
    headers, target = _sign(region="eu-west-1")

    assert _verify(verifier, headers, target) == "eu-west-1"


def test_a_query_string_is_part_of_the_signature(verifier):
    headers, target = _sign(path="/?b=2&a=1")

    assert _verify(verifier, headers, target) == "us-east-1"
    with pytest.raises(InvalidSignature):
        _verify(verifier, headers, "/?b=3&a=1")


def test_no_authorization_is_a_missing_token(verifier):
    headers, _ = _sign()
    for value in (None, "", "   "):
        with pytest.raises(MissingAuthenticationToken, match="missing Authentication Token"):
            verifier.check_headers(_replace(headers, "Authorization", value))


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        ("AWS KEY:signature", "only AWS4-HMAC-SHA256"),
        ("AWS4-HMAC-SHA256 Credential", "key=value"),
        ("AWS4-HMAC-SHA256 Credential=K/20260301/us-east-1/sagemaker/aws4_request", "'SignedHeaders'"),
        (
            "AWS4-HMAC-SHA256 Credential=K/x, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0",
            "5 slash",
        ),
    ],
)
def test_a_malformed_authorization_is_an_incomplete_signature(verifier, authorization, message):
    headers, _ = _sign()

    with pytest.raises(IncompleteSignature, match=message):
        verifier.check_headers(_replace(headers, "Authorization", authorization))


@pytest.mark.parametrize("value", [None, "2026-03-01T12:00:00Z", "yesterday"])
def test_a_missing_or_malformed_date_is_an_incomplete_signature(verifier, value):
    headers, _ = _sign()

    with pytest.raises(IncompleteSignature, match="X-Amz-Date"):
        verifier.check_headers(_replace(headers, "X-Amz-Date", value))


def test_host_and_every_x_amz_header_must_be_signed(verifier):
    headers, _ = _sign()
    authorization = headers["Authorization"].replace("host;x-amz-date;x-amz-target", "host;x-amz-date")

    with pytest.raises(IncompleteSignature, match="x-amz-target"):
        verifier.check_headers(_replace(headers, "Authorization", authorization))
    headers, _ = _sign()
    headers["X-Amz-Extra"] = "added after signing"
    with pytest.raises(IncompleteSignature, match="x-amz-extra"):
        verifier.check_headers(headers)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.replace("/us-east-1/", "/US_EAST/"), "valid region"),
        (lambda a: a.replace("/sagemaker/", "/s3/"), "correct service: 'sagemaker'"),
        (lambda a: a.replace("/aws4_request", "/aws5_request"), "valid terminator"),
        (lambda a: a.replace("/20260301/", "/20260228/"), "'20260228' != '20260301'"),
    ],
)
def test_a_wrong_credential_scope_is_an_invalid_signature(verifier, change, message):
    headers, _ = _sign()

    with pytest.raises(InvalidSignature, match=message):
        verifier.check_headers(_replace(headers, "Authorization", change(headers["Authorization"])))


def test_a_scope_for_another_service_is_refused_even_if_correctly_signed(verifier):
    headers, _ = _sign(service="s3")

    with pytest.raises(InvalidSignature, match="correct service"):
        verifier.check_headers(headers)


def test_an_unknown_access_key_or_a_session_token_is_an_unrecognized_client(verifier):
    with pytest.raises(UnrecognizedClient, match="security token included in the request is invalid"):
        verifier.check_headers(_sign(key=Credentials("SOMEONEELSE", KEY.secret_access_key))[0])
    with pytest.raises(UnrecognizedClient):
        verifier.check_headers(_sign(extra={"X-Amz-Security-Token": "token"})[0])


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (
            timedelta(minutes=-5, seconds=-1),
            "Signature expired: 20260301T115459Z is now earlier than "
            "20260301T115500Z (20260301T120000Z - 5 min.)",
        ),
        (
            timedelta(minutes=5, seconds=1),
            "Signature not yet current: 20260301T120501Z is still later than "
            "20260301T120500Z (20260301T120000Z + 5 min.)",
        ),
    ],
)
def test_a_date_outside_five_minutes_is_refused_as_aws_words_it(verifier, offset, message):
    headers, _ = _sign(at=NOW + offset)

    with pytest.raises(InvalidSignature) as excinfo:
        verifier.check_headers(headers)
    assert excinfo.value.message == message


@pytest.mark.parametrize("offset", [timedelta(minutes=-5), timedelta(minutes=5)])
def test_a_date_at_the_edge_of_the_window_is_accepted(verifier, offset):
    headers, target = _sign(at=NOW + offset)

    assert _verify(verifier, headers, target)


def test_a_wrong_secret_a_changed_body_or_header_is_an_invalid_signature(verifier):
    mismatch = "signature we calculated does not match"
    headers, target = _sign(key=Credentials(KEY.access_key_id, "wrong-secret"))
    with pytest.raises(InvalidSignature, match=mismatch):
        _verify(verifier, headers, target)

    headers, target = _sign()
    with pytest.raises(InvalidSignature, match=mismatch):
        _verify(verifier, headers, target, body=b'{"MaxResults": 6}')

    headers, target = _sign()
    with pytest.raises(InvalidSignature, match=mismatch):
        _verify(verifier, _replace(headers, "X-Amz-Target", "SageMaker.DeleteModel"), target)

    headers, target = _sign()
    with pytest.raises(InvalidSignature, match=mismatch):
        _verify(verifier, _replace(headers, "Host", "localhost:8080"), target)


@pytest.mark.parametrize("signature", ["", "0" * 64, "A" * 64, "zz", "é" * 64])
def test_a_malformed_or_made_up_signature_is_refused(verifier, signature):
    headers, target = _sign()
    authorization = headers["Authorization"].rsplit("Signature=", 1)[0] + f"Signature={signature}"

    with pytest.raises((InvalidSignature, IncompleteSignature)):
        _verify(verifier, _replace(headers, "Authorization", authorization), target)


def test_a_content_hash_header_must_be_the_bodys(verifier):
    headers, target = _sign(extra={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})

    with pytest.raises(InvalidSignature, match="x-amz-content-sha256"):
        _verify(verifier, headers, target)


def test_a_signed_header_that_was_dropped_is_a_mismatch(verifier):
    headers, target = _sign()

    with pytest.raises(InvalidSignature):
        _verify(verifier, _replace(headers, "Content-Type", None), target)
