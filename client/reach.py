"""Where the hub is, and why it does not answer: a name that does not resolve, nothing
listening, a web server on that port (the hub's HTTP port instead of its ZeroMQ one) or a
ZeroMQ peer that stays silent. Run once per outage, never per frame."""

from __future__ import annotations

import contextlib
import socket

from common.config import ConfigError

ZMTP_SIGNATURE = b"\xff"  # every ZeroMQ peer greets with 0xFF first (ZMTP 3)


def hub_address(server_ip: str, server_port: int, port_given: bool) -> tuple[str, int]:
    """(host, port) from --server-ip, which may also be ``host:port``, ``[v6]:port`` or
    ``tcp://host:port``; refuses a port that disagrees with an explicit --server-port."""
    text = server_ip.strip()
    if text.startswith("tcp://"):
        text = text[len("tcp://") :]
    host, port = text, None
    if text.startswith("["):
        end = text.find("]")
        host, rest = text[1:end], text[end + 1 :]
        port = rest[1:] if rest.startswith(":") else None
    elif text.count(":") == 1:
        host, port = text.split(":")
    if not host or "/" in host or " " in host:
        raise ConfigError(f"server_ip {server_ip!r} is not a host name or address; write it like hub.local or 10.0.0.5")
    if port is None:
        return host, server_port
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"server_ip {server_ip!r}: {port!r} is not a port; write hub.local:5555 or use --server-port")
    if port_given and int(port) != server_port:
        raise ConfigError(f"server_ip {server_ip!r} names port {port} but server_port is {server_port}: give one")
    return host, int(port)


def why_silent(host: str, port: int, timeout: float = 1.0) -> str:
    """What stands at ``host:port``, in words for the sender's log."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"the hub's name {host!r} does not resolve ({exc.strerror}): check --server-ip"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(address)
        except TimeoutError:
            return f"{host}:{port} does not accept connections (a firewall, or the machine is down)"
        except OSError as exc:
            return (
                f"nothing listens on {host}:{port} ({exc.strerror}): is the hub running, and is {port} its --zmq-port?"
            )
        greeting = b""
        with contextlib.suppress(OSError):
            greeting = sock.recv(16)
        if greeting.startswith(ZMTP_SIGNATURE):
            return f"a ZeroMQ peer at {host}:{port} accepted the connection but did not reply: is it a camnet hub?"
        with contextlib.suppress(OSError):
            sock.sendall(b"HEAD / HTTP/1.0\r\n\r\n")
            greeting = sock.recv(16)
        if greeting.startswith(b"HTTP/"):
            return (
                f"{host}:{port} is a web server (the hub's web page?), not the hub's ZeroMQ port: "
                "use --server-port 5555 (the hub's --zmq-port)"
            )
        return f"something at {host}:{port} accepted the connection but is not a ZeroMQ hub"
