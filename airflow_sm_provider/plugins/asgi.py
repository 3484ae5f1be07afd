"""The ASGI app the plugin gives Airflow to mount: the real app is built on its first request.

Airflow imports plugins in every component (scheduler, triggerer, workers, the CLI), but only
the api-server serves requests. Building the FastAPI app there, on first use, keeps importing
the plugin cheap everywhere else: no FastAPI routes, no Airflow API modules, no boto3.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class LazyApp:
    """An ASGI app that builds the app ``factory`` returns when the first request arrives.

    :param factory: Builds the real ASGI app (called once).
    """

    def __init__(self, factory: Callable[[], ASGIApp]) -> None:
        self._factory = factory
        self._app: ASGIApp | None = None
        self._lock = threading.Lock()

    @property
    def app(self) -> ASGIApp:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = self._factory()
        return self._app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
