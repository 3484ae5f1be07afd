"""Headless Chromium on a logged-in Airflow page: wait for it, read its DOM, save a screenshot.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: commands
on fd 3, replies on fd 4, each a JSON message ended by a NUL byte), so no extra package is
needed. The pipe lets us do what command-line ``--screenshot`` cannot: set the auth cookie the
Airflow UI reads, wait until the page shows what we want instead of for a fixed time, and
read what the page shows (:func:`capture`'s ``extract_js``) for a test to assert on, and act on
it as a person would (:func:`open_page` and :meth:`Page.click`: a real mouse click).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Flags for a sandbox with no network besides loopback (see the machine notes): without the
# background-networking ones Chromium keeps trying Google hosts.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class DevToolsPipe:
    """A minimal DevTools protocol client over Chromium's debugging pipe."""

    def __init__(self, writer: Any, reader: Any) -> None:
        self._writer = writer
        self._reader = reader
        self._buffer = b""
        self._next_id = 0

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._writer.write(json.dumps(message).encode() + b"\0")
        self._writer.flush()
        while True:
            reply = self._read_message()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _read_message(self) -> dict:
        while b"\0" not in self._buffer:
            chunk = self._reader.read1(65536)
            if not chunk:
                raise RuntimeError("chromium closed the debugging pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)


@dataclass
class Capture:
    """What :func:`capture` saw: whether the page got ready, and what ``extract_js`` returned."""

    ready: bool
    value: Any


def screenshot(
    url: str,
    output: Path,
    *,
    cookies: list[dict[str, Any]],
    ready_js: str,
    width: int = 1600,
    height: int = 1000,
    timeout: float = 60.0,
) -> bool:
    """Load ``url`` with ``cookies`` set, wait until ``ready_js`` is true, save a PNG.

    Returns whether the page became ready before ``timeout``; the PNG is saved either way, so a
    page that never got ready can still be looked at.
    """
    return capture(
        url, output, cookies=cookies, ready_js=ready_js, width=width, height=height, timeout=timeout
    ).ready


def capture(
    url: str,
    output: Path,
    *,
    cookies: list[dict[str, Any]],
    ready_js: str,
    extract_js: str = "null",
    width: int = 1600,
    height: int = 1000,
    timeout: float = 60.0,
) -> Capture:
    """As :func:`screenshot`, then evaluate ``extract_js`` (a JSON-able value; ``None`` if it threw)."""
    with open_page(url, cookies=cookies, width=width, height=height) as page:
        ready = page.wait_for(ready_js, timeout)
        # read even a page that never got ready: what it shows explains the failure
        value = page.evaluate(extract_js)
        page.screenshot(output)
        return Capture(ready, value)


class Page:
    """One tab of a running Chromium: evaluate script, wait for a condition, click, screenshot."""

    def __init__(self, devtools: DevToolsPipe, session: str) -> None:
        self._devtools = devtools
        self._session = session

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict:
        return self._devtools.call(method, params, self._session)

    def navigate(self, url: str) -> None:
        self.call("Page.navigate", {"url": url})

    def evaluate(self, expression: str) -> Any:
        """The JSON-able value of ``expression`` (a promise is awaited; ``None`` if it threw)."""
        result = self.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}
        )
        return result.get("result", {}).get("value")

    def wait_for(self, ready_js: str, timeout: float) -> bool:
        """Poll ``ready_js`` until it is true (then let pending renders land) or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while not self.evaluate(f"Boolean({ready_js})"):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.5)
        # The check passes on the first matching frame; let pending renders and transitions land
        # (a requestAnimationFrame round trip, not a fixed wait).
        self.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        return True

    def click(self, selector: str) -> None:
        """Click the element ``selector`` finds as a person would: a real mouse press and release
        at its centre (Input events, so the page sees trusted events with coordinates)."""
        box = self.evaluate(
            f"""(() => {{
  const element = document.querySelector({json.dumps(selector)});
  if (!element) return null;
  element.scrollIntoView({{block: 'center', inline: 'center'}});
  const rect = element.getBoundingClientRect();
  return {{x: rect.left + rect.width / 2, y: rect.top + rect.height / 2}};
}})()"""
        )
        if box is None:
            raise LookupError(f"no element matches {selector!r}")
        point = {"x": box["x"], "y": box["y"]}
        self.call("Input.dispatchMouseEvent", {"type": "mouseMoved", **point})
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "button": "left", "clickCount": 1, **point})

    def screenshot(self, output: Path) -> None:
        shot = self.call("Page.captureScreenshot", {"format": "png"})
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(base64.b64decode(shot["data"]))


@contextmanager
def open_page(
    url: str, *, cookies: list[dict[str, Any]], width: int = 1600, height: int = 1000
) -> Iterator[Page]:
    """A headless Chromium with ``cookies`` set, one tab loading ``url``; closed on exit."""
    binary = chromium_path()
    if binary is None:
        raise FileNotFoundError("chromium")
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()
    with tempfile.TemporaryDirectory(prefix="sm-chromium-") as profile:
        # Chromium expects the pipe on fds 3 and 4 exactly; bash puts it there before exec. The
        # copies sit at 10 or above so that neither is itself 3 or 4 (and dash, which cannot
        # redirect such fds, is not asked to).
        high_r, high_w = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_chrome_r, from_chrome_w))
        command = [
            binary,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        process = subprocess.Popen(
            ["bash", "-c", f'exec "$@" 3<&{high_r} 4>&{high_w}', "bash", *command],
            pass_fds=(high_r, high_w),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for fd in (to_chrome_r, from_chrome_w, high_r, high_w):
            os.close(fd)
        writer = os.fdopen(to_chrome_w, "wb")
        reader = os.fdopen(from_chrome_r, "rb")
        try:
            devtools = DevToolsPipe(writer, reader)
            devtools.call("Storage.setCookies", {"cookies": cookies})
            target = devtools.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = devtools.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
                "sessionId"
            ]
            page = Page(devtools, session)
            page.call(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            )
            page.navigate(url)
            yield page
            try:
                devtools.call("Browser.close")
            except RuntimeError:
                pass
        finally:
            writer.close()
            reader.close()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
            # Renderer and zygote processes share Chromium's session; none may outlive it.
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
