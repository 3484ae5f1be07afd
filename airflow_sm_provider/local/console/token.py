"""Who may read the console: whoever holds the home's console token.

A browser cannot sign a link with SigV4, and the pages must not be readable by any web page
the user happens to visit, so the console has a secret of its own: ``<home>/console-token``
(generated on first use, 0600, like the credentials). A link carries it once as ``?token=``;
the console answers with a redirect to the same page without it, setting it as a cookie that is
``HttpOnly`` (no script reads it), ``SameSite=Strict`` (no other site's page or link sends it)
and scoped to ``/console/``. Tokens are compared in constant time. The Host check (no DNS
rebinding) and the refusal of any ``Origin`` happen before, in the server, as for the API.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from http.cookies import CookieError, SimpleCookie
from pathlib import Path

from airflow_sm_provider.local import home as private

FILE_NAME = "console-token"
COOKIE = "sagemaker_local_console"
#: A cookie that opens one page and the pages under it (``Path=`` that page), set from ``?sig=``.
PAGE_COOKIE = "sagemaker_local_console_page"
PATH = "/console/"


def for_home(home: Path) -> str:
    """The home's console token, generated (mode 0600) if it has none yet."""
    path = private.prepare(Path(home)) / FILE_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, private.FILE_MODE)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as stream:
            stream.write(secrets.token_urlsafe(32))
    os.chmod(path, private.FILE_MODE)
    token = path.read_text().strip()
    if not token:
        raise ValueError(f"{path} is empty; delete it to generate a new console token")
    return token


def connection_extra(console_url: str, token: str) -> dict[str, str]:
    """What an Airflow connection for the backend carries so the provider can link its pages."""
    return {"local_console_url": console_url, "local_console_token": token}


class ConsoleToken:
    """Checks a request's token (query or cookie) against the home's.

    :param token: the home's console token.
    """

    def __init__(self, token: str) -> None:
        self._token = token.encode()

    def matches(self, candidate: str | None) -> bool:
        return candidate is not None and hmac.compare_digest(candidate.encode(), self._token)

    def from_cookie(self, header: str | None) -> bool:
        """Whether the ``Cookie`` header carries the console's cookie with the token."""
        if not header:
            return False
        cookies: SimpleCookie = SimpleCookie()
        try:
            cookies.load(header)
        except CookieError:
            return False
        morsel = cookies.get(COOKIE)
        return morsel is not None and self.matches(morsel.value)

    def set_cookie(self) -> str:
        """The ``Set-Cookie`` value that lets the browser in from now on."""
        return f"{COOKIE}={self._token.decode()}; Path={PATH}; HttpOnly; SameSite=Strict"

    def sign(self, path: str) -> str:
        """The signature that opens ``path`` (as sent, percent-encoded) and the pages under it.

        Links Airflow shows carry this instead of the token, so what Airflow stores (the link
        URL, in XCom) opens one job's pages, not the whole console.
        """
        return hmac.new(self._token, path.encode(), hashlib.sha256).hexdigest()[:40]

    def signs(self, path: str, signature: str | None) -> bool:
        return signature is not None and hmac.compare_digest(signature.encode(), self.sign(path).encode())

    def page_cookie(self, path: str) -> str:
        """The ``Set-Cookie`` value that opens ``path`` and the pages under it from now on."""
        return f"{PAGE_COOKIE}={self.sign(path)}; Path={path}; HttpOnly; SameSite=Strict"

    def opens(self, header: str | None, path: str) -> bool:
        """Whether a page cookie in the ``Cookie`` header opens ``path`` (it or a page above it)."""
        values = [
            value.strip()
            for name, _, value in (item.partition("=") for item in (header or "").split(";"))
            if name.strip() == PAGE_COOKIE
        ]
        prefixes = [path[:i] for i in range(len(PATH), len(path) + 1) if i == len(path) or path[i] == "/"]
        return any(self.signs(prefix, value) for value in values for prefix in prefixes)
