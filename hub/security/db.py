"""``auth.db``: users, tokens, sessions and the sender allow-list, in the data directory.

The hub and the ``camnet-hub user|token|sender`` commands both open it, so a change made
from the shell (a new password, a revoked key) reaches the running hub through the file.
Queries are few and short: one connection behind a lock is enough.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hub.database import connect, migrate

ROLES = ("admin", "viewer")

MIGRATIONS: Sequence[str] = (
    # 1: web users and their sessions, tokens for players, CURVE keys allowed per camera
    """
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
        hash TEXT NOT NULL,
        created REAL NOT NULL
    );
    CREATE TABLE sessions (
        digest TEXT PRIMARY KEY,
        user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        created REAL NOT NULL,
        expires REAL NOT NULL
    );
    CREATE INDEX sessions_by_user ON sessions(user);
    CREATE TABLE tokens (
        label TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
        digest TEXT NOT NULL UNIQUE,
        created REAL NOT NULL
    );
    CREATE TABLE senders (
        camera TEXT PRIMARY KEY,
        key TEXT NOT NULL,
        added REAL NOT NULL
    );
    """,
)


class AuthDB:
    """The open ``auth.db``; every statement runs under one lock and commits at once."""

    FILE = "auth.db"

    def __init__(self, directory: Path) -> None:
        self.path = directory / self.FILE
        self._db = connect(self.path)
        self.path.chmod(0o600)  # password hashes: for the hub's user alone
        self._lock = threading.Lock()
        migrate(self._db, self.path, MIGRATIONS)

    def rows(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def change(self, sql: str, args: Sequence[Any] = ()) -> int:
        """Run one writing statement; returns the number of rows it changed."""
        with self._lock:
            return self._db.execute(sql, args).rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()
