"""Sender keys: the hub's CURVE key pair, the allow-list of sender keys per camera, and the
ZAP authenticator that lets only listed keys through (pyzmq's "ironhouse" pattern).

Failing closed: the REP socket sets a ZAP domain and ``ZAP_ENFORCE_DOMAIN``, so when no
authenticator answers (it died, or runs on another ZeroMQ context) libzmq refuses every
handshake instead of letting any key in. The authenticator runs on the receiver's context.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import zmq
from zmq.auth.thread import ThreadAuthenticator

from common.curve import check_public_key, load_or_create
from common.protocol import ProtocolError, validate_name
from common.throttle import Throttle
from hub.security.db import AuthDB
from hub.security.users import AccountError

log = logging.getLogger(__name__)
DOMAIN = b"camnet"
RELOAD = 2.0  # seconds: `camnet-hub sender allow/revoke` reach the running hub this fast


def hub_key_file(data_dir: Path) -> Path:
    return data_dir / "keys" / "hub.key_secret"


def hub_keypair(data_dir: Path) -> tuple[bytes, bytes, bool]:
    """(public, secret, created) of the hub's key pair in the data directory."""
    return load_or_create(hub_key_file(data_dir))


class SenderKeys:
    """The allow-list in ``auth.db``: which public key may send under which camera name."""

    def __init__(self, db: AuthDB, clock: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        self._clock = clock
        self._loaded_at = -RELOAD
        self._by_key: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    def allow(self, camera: str, key: str) -> None:
        try:
            validate_name(camera)
        except ProtocolError as exc:
            raise AccountError(f"camera name: {exc.reason}") from None
        public = check_public_key(key, "the sender's public key").decode()
        self.db.change(
            "INSERT OR REPLACE INTO senders (camera, key, added) VALUES (?, ?, ?)", (camera, public, time.time())
        )

    def revoke(self, camera: str) -> None:
        if not self.db.change("DELETE FROM senders WHERE camera=?", (camera,)):
            raise AccountError(f"no sender key is allowed for camera {camera!r}; see `camnet-hub sender list`")

    def list(self) -> list[tuple[str, str]]:
        return [(r["camera"], r["key"]) for r in self.db.rows("SELECT camera, key FROM senders ORDER BY camera")]

    def cameras_of(self, key: str) -> frozenset[str]:
        """The camera names ``key`` (Z85) may send as; none if it is not allowed."""
        if self._clock() - self._loaded_at >= RELOAD:
            with self._lock:
                if self._clock() - self._loaded_at >= RELOAD:
                    by_key: dict[str, set[str]] = {}
                    for camera, public in self.list():
                        by_key.setdefault(public, set()).add(camera)
                    self._by_key = {k: frozenset(v) for k, v in by_key.items()}
                    self._loaded_at = self._clock()
        return self._by_key.get(key, frozenset())


class Authenticator:
    """The ZAP handler: a thread on the receiver's context answering each CURVE handshake."""

    def __init__(self, keys: SenderKeys, context: zmq.Context) -> None:
        self.keys = keys
        self.refused = 0
        self._auth = ThreadAuthenticator(context, log=logging.getLogger("zmq.auth"))
        self._throttle = Throttle(30.0)
        self.thread: threading.Thread | None = None  # kept after stop(): the hub watches it

    def start(self) -> None:
        self._auth.start()
        self.thread = self._auth.thread
        if self.thread is not None:
            self.thread.name = "zap"  # so that /healthz and a stack dump name it
        self._auth.configure_curve_callback(domain=DOMAIN.decode(), credentials_provider=self)

    def callback(self, domain: str, key: bytes) -> bool:
        """pyzmq's credentials-provider hook: may this Z85 public key connect at all?"""
        text = key.decode("ascii", "replace")
        if self.keys.cameras_of(text):
            return True
        self.refused += 1
        held = self._throttle.ready(text)
        if held is not None:
            log.warning(
                "refused a sender whose key is not allowed: %s%s. If it is yours, allow it for its camera "
                "on the hub: camnet-hub sender allow -- CAMERA %s",
                text,
                f" ({held} more tries since the last report)" if held else "",
                text,
            )
        return False

    def stop(self) -> None:
        self._auth.stop()


def secure(sock: zmq.Socket, public: bytes, secret: bytes) -> None:
    """Make ``sock`` a CURVE server that asks the authenticator about every client, and
    refuses all of them when no authenticator answers."""
    sock.curve_server = True
    sock.curve_publickey = public
    sock.curve_secretkey = secret
    sock.zap_domain = DOMAIN
    sock.setsockopt(zmq.ZAP_ENFORCE_DOMAIN, 1)


class SenderGuard:
    """What the receiver needs in ``--sender-auth curve``: the hub's key pair, the
    authenticator, and the check that a key sends only under the names it was allowed for."""

    def __init__(self, keys: SenderKeys, public: bytes, secret: bytes) -> None:
        self.keys = keys
        self.public, self._secret = public, secret
        self.authenticator: Authenticator | None = None

    def start(self, context: zmq.Context) -> None:
        """Start the authenticator on the receiver's own context (on another it would not count)."""
        self.authenticator = Authenticator(self.keys, context)
        self.authenticator.start()

    def secure(self, sock: zmq.Socket) -> None:
        secure(sock, self.public, self._secret)

    def check(self, key: str | None, camera: str) -> None:
        """Raise ProtocolError("auth") unless ``key`` may send as ``camera``."""
        if key is None:
            raise ProtocolError("auth", "the hub could not tell which key sent this; it requires CURVE senders")
        allowed = self.keys.cameras_of(key)
        if camera not in allowed:
            names = ", ".join(repr(c) for c in sorted(allowed)) or "no camera (it was revoked)"
            raise ProtocolError(
                "auth",
                f"this sender's key may send as {names}, not {camera!r}; send under that name, or allow the key "
                f"for this camera on the hub: camnet-hub sender allow -- {camera!r} {key}",
            )

    def stop(self) -> None:
        if self.authenticator is not None:
            self.authenticator.stop()
