"""Web users (argon2id password hashes, roles), tokens for players, and the login throttle.

Passwords are hashed with argon2-cffi's defaults (argon2id, 64 MiB, 3 passes: above OWASP's
minimum). A check costs about 0.1 s and 64 MiB: how many run at once, and who may start one,
is ``hub/security/logins.py``'s business. An unknown user is checked against a dummy hash
made at start, so its answer takes as long as a wrong password's.

Tokens are 256 random bits: a SHA-256 digest is enough to store them (nothing to brute-force),
and a lookup by digest costs microseconds on every MJPEG request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass

import argon2

from hub.security.db import ROLES, AuthDB

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD = 8
TOKEN_PREFIX = "camnet_"


class AccountError(ValueError):
    """A user or token that cannot be added, changed or removed; the message says why."""


@dataclass(frozen=True)
class Principal:
    """Who a request comes from: a user (by password or session), a token, or nobody needed."""

    name: str
    role: str
    kind: str  # "user", "token" or "open" (no users, or --no-auth)

    @property
    def admin(self) -> bool:
        return self.role == "admin"


def check_name(name: str, what: str = "user name") -> str:
    if not NAME.fullmatch(name):
        raise AccountError(f"{what} {name!r} must be 1 to 64 letters, digits, '.', '_', '@' or '-'")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    return role


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Users:
    """The web users in ``auth.db``."""

    def __init__(self, db: AuthDB) -> None:
        self.db = db
        self._hasher = argon2.PasswordHasher()
        self._dummy: str | None = None  # a wrong name costs a real check against it
        self._dummy_lock = threading.Lock()  # a burst of unknown names makes it once

    def any(self) -> bool:
        return bool(self.db.rows("SELECT EXISTS (SELECT 1 FROM users)")[0][0])

    def list(self) -> list[tuple[str, str]]:
        return [(r["name"], r["role"]) for r in self.db.rows("SELECT name, role FROM users ORDER BY name")]

    def hash_of(self, name: str) -> str | None:
        rows = self.db.rows("SELECT hash FROM users WHERE name=?", (name,))
        return str(rows[0]["hash"]) if rows else None

    def role_of(self, name: str) -> str | None:
        rows = self.db.rows("SELECT role FROM users WHERE name=?", (name,))
        return str(rows[0]["role"]) if rows else None

    def add(self, name: str, password: str, role: str = "viewer") -> None:
        check_name(name)
        check_role(role)
        if self.role_of(name) is not None:
            raise AccountError(f"user {name!r} exists; change the password with `camnet-hub user passwd {name}`")
        self.db.change(
            "INSERT INTO users (name, role, hash, created) VALUES (?, ?, ?, ?)",
            (name, role, self._hash(password), time.time()),
        )

    def passwd(self, name: str, password: str) -> None:
        """Set a new password and end the user's sessions everywhere."""
        if not self.db.change("UPDATE users SET hash=? WHERE name=?", (self._hash(password), name)):
            raise AccountError(f"no user {name!r}; see `camnet-hub user list`")
        self.db.change("DELETE FROM sessions WHERE user=?", (name,))

    def remove(self, name: str) -> None:
        if not self.db.change("DELETE FROM users WHERE name=?", (name,)):  # sessions go with it
            raise AccountError(f"no user {name!r}; see `camnet-hub user list`")

    def verify(self, name: str, password: str) -> str | None:
        """The user's role if ``password`` is theirs, else None (in the same time either way)."""
        rows = self.db.rows("SELECT hash FROM users WHERE name=?", (name,)) if NAME.fullmatch(name) else []
        stored = rows[0]["hash"] if rows else self._dummy_hash()
        try:
            self._hasher.verify(stored, password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return None
        if not rows:
            return None
        if self._hasher.check_needs_rehash(stored):  # argon2-cffi raised its defaults
            self.db.change("UPDATE users SET hash=? WHERE name=? AND hash=?", (self._hash(password), name, stored))
        return self.role_of(name)

    def _hash(self, password: str) -> str:
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
        return self._hasher.hash(password)

    def prepare(self) -> None:
        """Make the dummy hash now (at start), not in the first burst of unknown names."""
        self._dummy_hash()

    def _dummy_hash(self) -> str:
        with self._dummy_lock:
            if self._dummy is None:
                self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
            return self._dummy


class Tokens:
    """Long random secrets for clients that cannot log in (Home Assistant, VLC, Prometheus)."""

    def __init__(self, db: AuthDB) -> None:
        self.db = db

    def add(self, label: str, role: str = "viewer") -> str:
        """Store a new token and return it: the only time it is ever shown."""
        check_name(label, "token label")
        check_role(role)
        if self.db.rows("SELECT 1 FROM tokens WHERE label=?", (label,)):
            raise AccountError(f"a token labelled {label!r} exists; revoke it first or choose another label")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.db.change(
            "INSERT INTO tokens (label, role, digest, created) VALUES (?, ?, ?, ?)",
            (label, role, digest(token), time.time()),
        )
        return token

    def list(self) -> list[tuple[str, str, float]]:
        rows = self.db.rows("SELECT label, role, created FROM tokens ORDER BY label")
        return [(r["label"], r["role"], r["created"]) for r in rows]

    def revoke(self, label: str) -> None:
        if not self.db.change("DELETE FROM tokens WHERE label=?", (label,)):
            raise AccountError(f"no token labelled {label!r}; see `camnet-hub token list`")

    def check(self, token: str) -> Principal | None:
        if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
            return None
        rows = self.db.rows("SELECT label, role FROM tokens WHERE digest=?", (digest(token),))
        return Principal(rows[0]["label"], rows[0]["role"], "token") if rows else None
