"""The access key the local backend accepts, and the Airflow connection that signs with it.

One key pair per backend, taken from (first match wins):

1. ``serve --access-key-id ID --secret-access-key SECRET`` (a secret on a command line is
   visible to other local users in ``ps``: prefer 2 or 3);
2. ``SAGEMAKER_LOCAL_ACCESS_KEY_ID`` and ``SAGEMAKER_LOCAL_SECRET_ACCESS_KEY``;
3. ``<home>/credentials.json``, generated at random the first time a home is used (mode 0600 in
   a 0700 home). Explicit credentials are never written there.

``python -m airflow_sm_provider.local connection --home DIR`` prints an ``aws`` connection
(``AIRFLOW_CONN_AWS_DEFAULT``) for them; that command is the only place the secret is printed.
The training jobs the backend runs do not inherit the two variables above.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_sm_provider.local import home as private

ACCESS_KEY_ENV = "SAGEMAKER_LOCAL_ACCESS_KEY_ID"
SECRET_KEY_ENV = "SAGEMAKER_LOCAL_SECRET_ACCESS_KEY"
FILE_NAME = "credentials.json"

# An access key id sits in the credential scope between slashes and in the Authorization header
# between '=' and '/': keep it to characters that cannot break either.
_ACCESS_KEY_ID = re.compile(r"[A-Za-z0-9_.\-]{1,128}")
_GENERATED_ID_ALPHABET = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Credentials:
    """An access key id and its secret (the secret is left out of ``repr``)."""

    access_key_id: str
    secret_access_key: str = field(repr=False)

    def __post_init__(self) -> None:
        if not _ACCESS_KEY_ID.fullmatch(self.access_key_id):
            raise ValueError("an access key id is 1 to 128 letters, digits, '_', '.' or '-'")
        if not self.secret_access_key or self.secret_access_key != self.secret_access_key.strip():
            raise ValueError("a secret access key is non-empty, without leading or trailing spaces")

    @classmethod
    def generate(cls) -> Credentials:
        """A fresh random pair, shaped like AWS's (20-character id, 40-character secret)."""
        suffix = "".join(secrets.choice(_GENERATED_ID_ALPHABET) for _ in range(13))
        return cls(access_key_id=f"SMLOCAL{suffix}", secret_access_key=secrets.token_urlsafe(30))


def for_home(home: Path) -> Credentials:
    """The credentials kept in ``home``, generated (mode 0600) if it has none yet.

    Two processes starting on a new home at once end up with the same pair: the file is
    written under a temporary name and linked into place, which fails for the later one.
    """
    path = private.prepare(Path(home)) / FILE_NAME
    if not path.exists():
        _create(path, Credentials.generate())
    os.chmod(path, private.FILE_MODE)
    try:
        document = json.loads(path.read_text())
        return Credentials(
            access_key_id=document["access_key_id"], secret_access_key=document["secret_access_key"]
        )
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(
            f"{path} is not a credentials file of the local backend; delete it to generate a new one"
        ) from err


def _create(path: Path, credentials: Credentials) -> None:
    staging = private.private_file(path.with_name(f".{FILE_NAME}.{secrets.token_hex(8)}"))
    try:
        with open(staging, "w") as stream:
            json.dump(
                {
                    "access_key_id": credentials.access_key_id,
                    "secret_access_key": credentials.secret_access_key,
                },
                stream,
            )
            stream.flush()
            os.fsync(stream.fileno())
        try:
            os.link(staging, path)
        except FileExistsError:
            pass  # another process won the race: use its credentials
    finally:
        staging.unlink()


def resolve(
    home: Path,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    environ: Mapping[str, str] = os.environ,
) -> Credentials:
    """The credentials a backend on ``home`` accepts: explicit ones, the environment's, or the home's."""
    if access_key_id or secret_access_key:
        if not (access_key_id and secret_access_key):
            raise ValueError("give both --access-key-id and --secret-access-key, or neither")
        return Credentials(access_key_id=access_key_id, secret_access_key=secret_access_key)
    from_env = environ.get(ACCESS_KEY_ENV), environ.get(SECRET_KEY_ENV)
    if any(from_env):
        if not all(from_env):
            raise ValueError(f"set both {ACCESS_KEY_ENV} and {SECRET_KEY_ENV}, or neither")
        return Credentials(access_key_id=from_env[0] or "", secret_access_key=from_env[1] or "")
    return for_home(home)


def connection(credentials: Credentials, endpoint_url: str, region: str) -> dict[str, Any]:
    """An Airflow ``aws`` connection (the JSON form of ``AIRFLOW_CONN_*``) signing with ``credentials``."""
    return {
        "conn_type": "aws",
        "login": credentials.access_key_id,
        "password": credentials.secret_access_key,
        "extra": {"region_name": region, "endpoint_url": endpoint_url},
    }
