"""Which names this hub answers to (against DNS rebinding), and which proxies it believes.

A page on another site can point its own name at the hub's address (DNS rebinding); the
browser then sends the attacker's name as ``Host`` and as ``Origin``. So in every mode the hub
answers only Hosts on its allow-list: loopback names, the bind address, this machine's names
and addresses, the host of ``--public-url`` and each ``--allowed-hosts`` name; a change must
come from an ``Origin`` on the same list, never merely one equal to the request's Host.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

from common.config import ConfigError


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost names (a bind address or a Host header's host)."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


WILDCARDS = ("0.0.0.0", "::", "")
DEFAULT_PORTS = {"http": 80, "https": 443}


def host_name(host: str) -> str:
    """The name of a Host header, without port, brackets or a final dot ('[::1]:8000' -> '::1')."""
    host = host.strip().lower()
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host
    elif host.count(":") == 1:
        host = host.rsplit(":", 1)[0]
    return host.rstrip(".")


def _port_of(host: str, scheme: str) -> int | None:
    """The port of a Host header (the scheme's default when it names none); None if malformed."""
    tail = host.rsplit("]", 1)[-1] if host.startswith("[") else host if host.count(":") == 1 else ""
    _, sep, port = tail.rpartition(":")
    if not sep:
        return DEFAULT_PORTS.get(scheme)
    return int(port) if port.isdigit() and int(port) < 65536 else None


def is_local_address(name: str) -> bool:
    """True if ``name`` is an IP address of this machine (the kernel lets us bind it)."""
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind((str(address), 0))
    except OSError:
        return False
    return True


class AllowedHosts:
    """The allow-list of Host names; IP literals of this machine are always on it."""

    def __init__(self, bind: str, public_url: str = "", extra: Iterable[str] = ()) -> None:
        short = socket.gethostname().split(".")[0]
        names = {socket.gethostname(), socket.getfqdn(), short, f"{short}.local", *extra}
        if bind not in WILDCARDS:
            names.add(bind)
        if public_url:
            names.add(urllib.parse.urlsplit(public_url).hostname or "")
        self.names = frozenset(host_name(n) for n in names if n)
        self._local: set[str] = set()  # IP literals found to be ours (bounded: this machine's addresses)

    def allows(self, host: str) -> bool:
        name = host_name(host)
        if not name:
            return False
        if name in self.names or name in self._local or is_loopback(name):
            return True
        if is_local_address(name):  # a bind() per request only until the address is known
            self._local.add(name)  # web threads add the same strings: a set's add is atomic
            return True
        return False

    def same_origin(self, origin: str, host: str, scheme: str) -> bool:
        """Is ``origin`` (an Origin header) this hub: an allowed name, with the request's port?"""
        parts = urllib.parse.urlsplit(origin)
        if parts.scheme not in DEFAULT_PORTS or not parts.netloc or not self.allows(parts.netloc):
            return False
        return _port_of(parts.netloc, parts.scheme) == _port_of(host, scheme)


FORWARDING = ("Forwarded", "X-Forwarded-For", "Via")  # headers a proxy or tunnel adds


class TrustedProxy:
    """WSGI middleware: ``X-Forwarded-For``/``-Proto`` are believed only from ``addresses``
    (the README's nginx in front), so the throttle sees the real client and the session cookie
    is ``Secure`` behind TLS; from anyone else they are ignored."""

    def __init__(self, app: Callable[..., Any], addresses: Iterable[str]) -> None:
        self.app = app
        try:
            self.addresses = frozenset(str(ipaddress.ip_address(a)) for a in addresses)
        except ValueError as exc:
            raise ConfigError(f"trusted_proxy: {exc}; give the proxy's IP address, like 127.0.0.1") from None
        self._fixed = ProxyFix(app, x_for=1, x_proto=1, x_host=0, x_port=0, x_prefix=0)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("REMOTE_ADDR") in self.addresses:
            return self._fixed(environ, start_response)
        return self.app(environ, start_response)
