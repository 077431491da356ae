"""Login sessions kept on the hub: the cookie holds only a random id, so logging out, a
password change or removing the user ends the session for good (a signed cookie could not be
taken back). Only the id's SHA-256 digest is stored."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from hub.security.db import AuthDB
from hub.security.users import Principal, digest

COOKIE = "camnet_session"
LIFETIME = 30 * 86400.0  # a phone stays logged in for a month


class Sessions:
    def __init__(self, db: AuthDB, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self._clock = clock

    def start(self, user: str) -> str:
        """A new session for ``user``; returns the cookie's value."""
        now = self._clock()
        self.db.change("DELETE FROM sessions WHERE expires < ?", (now,))
        value = secrets.token_urlsafe(32)
        self.db.change(
            "INSERT INTO sessions (digest, user, created, expires) VALUES (?, ?, ?, ?)",
            (digest(value), user, now, now + LIFETIME),
        )
        return value

    def find(self, value: str) -> Principal | None:
        """Who the session ``value`` belongs to, if it is still open."""
        if not 20 <= len(value) <= 64:
            return None
        rows = self.db.rows(
            "SELECT users.name, users.role FROM sessions JOIN users ON users.name = sessions.user "
            "WHERE sessions.digest=? AND sessions.expires >= ?",
            (digest(value), self._clock()),
        )
        return Principal(rows[0]["name"], rows[0]["role"], "user") if rows else None

    def end(self, value: str) -> None:
        self.db.change("DELETE FROM sessions WHERE digest=?", (digest(value),))
