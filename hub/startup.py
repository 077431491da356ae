"""What the hub settles before it starts: its data directory, TLS files, name and bind address."""

from __future__ import annotations

import re
import socket
from pathlib import Path

from common.config import ConfigError, HubConfig


def state_directory(path: str) -> Path:
    """The data directory, created if missing (only the hub's user may read it)."""
    if not path:
        raise ConfigError("data_dir is empty: camnet-hub resolves it before starting the hub")
    directory = Path(path)
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the data directory {directory}: {exc.strerror}; pass --data-dir a writable directory"
        ) from None
    return directory


def tls(config: HubConfig) -> tuple[str, str] | None:
    if bool(config.tls_cert) != bool(config.tls_key):
        raise ConfigError("HTTPS needs both tls_cert and tls_key: pass --tls-cert FILE --tls-key FILE")
    for path in (config.tls_cert, config.tls_key):
        if path and not Path(path).is_file():
            raise ConfigError(f"TLS file {path} does not exist or is not a file; check --tls-cert / --tls-key")
    return (config.tls_cert, config.tls_key) if config.tls_cert else None


def host_name() -> str:
    """This machine's name as a hub name for MQTT topics: letters, digits, - and _."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", socket.gethostname().split(".")[0]).strip("-")[:64] or "camnet"


def zmq_host(ip: str) -> str:
    return "*" if ip in ("0.0.0.0", "", "::") else ip
