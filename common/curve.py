"""CURVE key pairs on disk, for the hub and the senders (ZeroMQ's own encryption and
authentication; nothing here does cryptography, it only keeps keys).

The files use pyzmq's certificate format, so ``zmq.auth.load_certificate`` reads them; unlike
pyzmq's ``create_certificates``, the secret file is created with mode 0600 from the start.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import zmq
import zmq.auth
from zmq.utils import z85

from common.durable import atomic_write

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
        atomic_write(secret_file, _certificate(public, secret).encode("ascii"), 0o600)
        public_file = secret_file.with_name(secret_file.name.removesuffix("_secret"))
        if public_file != secret_file:
            atomic_write(public_file, _certificate(public, None).encode("ascii"), 0o644)
    except OSError as exc:
        raise KeyFileError(
            f"cannot create the key pair {secret_file}: {exc.strerror}; choose a writable place with --key-file"
        ) from None
    return public, secret, True
