"""CURVE key pairs on disk, for the hub and the senders (ZeroMQ's own encryption and
authentication; nothing here does cryptography, it only keeps keys).

The files use pyzmq's certificate format, so ``zmq.auth.load_certificate`` reads them; unlike
pyzmq's ``create_certificates``, the secret file is created with mode 0600 from the start.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import zmq
import zmq.auth
from zmq.utils import z85

KEY_LENGTH = 40  # a Z85-encoded 32-byte key


class KeyFileError(ValueError):
    """A key or key file that cannot be used; the message says which and what to do."""


def check_public_key(text: str, what: str = "key") -> bytes:
    """The Z85 public key ``text`` as bytes, or a KeyFileError explaining what a key looks like."""
    key = text.strip()
    if len(key) != KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise KeyFileError(
            f"{what} must be a 40-character Z85 public key, like the one `camnet-hub keys` or "
            f"`camnet-sender --show-key` prints; got {len(key)} characters"
        )
    try:
        z85.decode(key.encode())
    except (ValueError, KeyError):
        raise KeyFileError(f"{what} is not valid Z85 text: copy the 40 characters exactly") from None
    return key.encode()


def _certificate(public: bytes, secret: bytes | None) -> str:
    kind = "Secret" if secret else "Public"
    lines = [
        f"#   ****  Generated on {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M:%S} by camnet  ****",
        f"#   ZeroMQ CURVE **{kind}** Certificate",
        "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions." if secret else "",
        "",
        "metadata",
        "curve",
        f'    public-key = "{public.decode()}"',
    ]
    if secret:
        lines.append(f'    secret-key = "{secret.decode()}"')
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str, mode: int) -> None:
    """Write ``text`` to a new file created with ``mode`` (never briefly readable by others)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


def load_or_create(secret_file: Path) -> tuple[bytes, bytes, bool]:
    """(public key, secret key, created) of the pair kept in ``secret_file`` (``*.key_secret``),
    with its public half beside it (``*.key``); a missing pair is created."""
    if secret_file.exists():
        try:
            public, secret = zmq.auth.load_certificate(secret_file)
        except (OSError, ValueError) as exc:
            raise KeyFileError(f"cannot read the key file {secret_file}: {exc}; remove it to make a new pair") from None
        if secret is None:
            raise KeyFileError(f"{secret_file} holds no secret key; remove it to make a new pair")
        return public, secret, False
    try:
        secret_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        public, secret = zmq.curve_keypair()
        _write(secret_file, _certificate(public, secret), 0o600)
        public_file = secret_file.with_name(secret_file.name.removesuffix("_secret"))
        if public_file != secret_file:
            _write(public_file, _certificate(public, None), 0o644)
    except OSError as exc:
        raise KeyFileError(
            f"cannot create the key pair {secret_file}: {exc.strerror}; choose a writable place with --key-file"
        ) from None
    return public, secret, True
