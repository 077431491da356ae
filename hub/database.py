"""SQLite files in the data directory: how the hub opens them and moves their schema forward.

Each database carries its schema version (``PRAGMA user_version``); every change is a
numbered migration, run once at start inside one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path


def connect(path: Path, synchronous: str = "NORMAL") -> sqlite3.Connection:
    """A connection in WAL mode: readers never wait for the writer, nor it for them. With
    ``synchronous`` NORMAL a power cut may lose the last commits; FULL syncs every commit."""
    db = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'FULL' else 'NORMAL'}")
    db.execute("PRAGMA foreign_keys=ON")
    return db


def migrate(db: sqlite3.Connection, path: Path, migrations: Sequence[str]) -> None:
    """Run the migrations ``db`` has not had yet; refuse a file from a newer camnet."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(migrations):
        raise RuntimeError(f"{path} has schema version {version}; this camnet knows {len(migrations)}. Upgrade camnet")
    for number in range(version, len(migrations)):
        db.executescript(f"BEGIN; {migrations[number]}; PRAGMA user_version = {number + 1}; COMMIT;")
