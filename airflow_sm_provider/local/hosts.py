"""Which ``Host`` headers the backend answers: the defence against DNS rebinding.

A page on ``attacker.example`` can make a browser send requests to 127.0.0.1 by re-pointing its
own name there; the browser still sends ``Host: attacker.example``. So a request is answered only
when its Host names this server: the address it is bound to (plus ``localhost`` when that is a
loopback address; the loopback names when bound to every interface, 0.0.0.0 or ::) on the port
it listens on, or a name given with ``--allowed-host NAME`` (this port) or ``NAME:PORT`` (a
proxy's or a published port). Names compare case-blind; IP addresses by value.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator

DEFAULT_HTTP_PORT = 80
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def _normal(name: str) -> str:
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return name.lower()


def split_host(value: str, default_port: int, *, bare_ipv6: bool = False) -> tuple[str, int] | None:
    """``(name, port)`` of a Host header (or, with ``bare_ipv6``, a configured name), None if malformed."""
    value = value.strip()
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:] if rest else None
    elif value.count(":") > 1:  # an IPv6 address without brackets: not valid in a Host header
        if not bare_ipv6:
            return None
        try:
            return str(ipaddress.IPv6Address(value)), default_port
        except ValueError:
            return None
    else:
        name, colon, after = value.partition(":")
        port_text = after if colon else None
    if not name:
        return None
    if port_text is None:
        return _normal(name), default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return None
    return _normal(name), int(port_text)


class AllowedHosts:
    """The ``Host`` values a server bound to ``bound`` and listening on ``port`` answers.

    :param bound: the address (or name) the server is bound to.
    :param port: the port it actually listens on.
    :param names: more names, ``NAME`` (on ``port``) or ``NAME:PORT``.
    """

    def __init__(self, bound: str, port: int, names: Iterable[str] = ()) -> None:
        self.port = port
        self._allowed: set[tuple[str, int]] = {(name, port) for name in _names_for(bound)}
        for value in names:
            parsed = split_host(value, default_port=port, bare_ipv6=True)
            if parsed is None:
                raise ValueError(f"not a host name or NAME:PORT: {value!r}")
            self._allowed.add(parsed)

    def allows(self, header: str | None) -> bool:
        """Whether a request with this ``Host`` header (None: absent) is for this server."""
        if not header:
            return False
        return split_host(header, default_port=DEFAULT_HTTP_PORT) in self._allowed

    def __iter__(self) -> Iterator[str]:
        for name, port in sorted(self._allowed, key=str):
            yield f"[{name}]:{port}" if ":" in name else f"{name}:{port}"


def _names_for(bound: str) -> set[str]:
    name = _normal(bound)
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return {name, *LOOPBACK_NAMES} if name == "localhost" else {name}
    if address.is_unspecified:
        return set(LOOPBACK_NAMES)
    if address.is_loopback:
        return {name, "localhost"}
    return {name}
