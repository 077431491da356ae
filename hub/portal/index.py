"""``portal.db``: what the portal knows of its hubs, kept in its data directory.

Hubs and their cameras come from the hubs' retained records; events from what hubs announce
(and, when a hub comes back, from its own event list). Tokens for each hub are kept here too
(the file is the portal user's alone). One writer at a time (a lock); readers use the same
connection under it: every query is short.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hub.database import connect, migrate

MIGRATIONS: Sequence[str] = (
    # 1: hubs, their cameras, the events they announced, and the token used for each
    """
    CREATE TABLE hubs (
        name TEXT PRIMARY KEY,
        url TEXT NOT NULL DEFAULT '',
        version TEXT NOT NULL DEFAULT '',
        available INTEGER NOT NULL DEFAULT 0,
        offers TEXT NOT NULL DEFAULT '{}',
        seen REAL NOT NULL DEFAULT 0
    );
    CREATE TABLE cameras (
        hub TEXT NOT NULL,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        recording INTEGER NOT NULL DEFAULT 0,
        labels TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (hub, name)
    );
    CREATE TABLE events (
        hub TEXT NOT NULL,
        id INTEGER NOT NULL,
        camera TEXT NOT NULL,
        start REAL NOT NULL,
        labels TEXT NOT NULL DEFAULT '[]',
        body TEXT NOT NULL,
        PRIMARY KEY (hub, id)
    );
    CREATE INDEX events_by_start ON events(start);
    CREATE TABLE tokens (
        hub TEXT PRIMARY KEY,
        token TEXT NOT NULL,
        added REAL NOT NULL
    );
    """,
    # 2: when a hub last listed each camera: one it stops listing (a hub restarting, a camera
    # it forgot) stays shown offline for a while instead of vanishing
    """
    ALTER TABLE cameras ADD COLUMN seen REAL NOT NULL DEFAULT 0;
    """,
)
KEEP_UNLISTED = 600.0  # seconds a camera its hub no longer lists stays shown, offline


class PortalIndex:
    FILE = "portal.db"

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / self.FILE
        self._db = connect(self.path)
        self.path.chmod(0o600)  # the hubs' tokens: for the portal's user alone
        self._lock = threading.Lock()
        migrate(self._db, self.path, MIGRATIONS)

    def _run(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- hubs and cameras (the directory's thread) ----------------------------------------
    def hub_record(self, hub: str, url: str, version: str, offers: dict[str, Any], cameras: list[dict]) -> None:
        """A hub's record, whole: the cameras it lists as it says; those it no longer lists offline."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(
                    "INSERT INTO hubs(name, url, version, offers, seen) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT(name) DO UPDATE SET url=excluded.url, version=excluded.version, "
                    "offers=excluded.offers, seen=excluded.seen",
                    (hub, url, version, json.dumps(offers), time.time()),
                )
                now = time.time()
                db.execute(  # not listed: offline, and gone once unlisted for KEEP_UNLISTED
                    "UPDATE cameras SET status='offline', recording=0, labels='[]' WHERE hub=?", (hub,)
                )
                db.execute("DELETE FROM cameras WHERE hub=? AND seen < ?", (hub, now - KEEP_UNLISTED))
                db.executemany(
                    "INSERT INTO cameras(hub, name, status, recording, labels, seen) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(hub, name) DO UPDATE SET status=excluded.status, recording=excluded.recording, "
                    "labels=excluded.labels, seen=excluded.seen",
                    [(hub, c["name"], c["status"], int(c["recording"]), json.dumps(c["labels"]), now)
                     for c in cameras],
                )  # fmt: skip
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def available(self, hub: str, up: bool) -> None:
        self._run(
            "INSERT INTO hubs(name, available, seen) VALUES (?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET available=excluded.available, seen=excluded.seen",
            (hub, int(up), time.time()),
        )

    def hubs(self) -> list[dict[str, Any]]:
        rows = self._run("SELECT name, url, version, available, offers, seen FROM hubs ORDER BY name")
        return [
            {"name": r[0], "url": r[1], "version": r[2], "available": bool(r[3]), "offers": json.loads(r[4]),
             "seen": r[5]}
            for r in rows
        ]  # fmt: skip

    def hub(self, name: str) -> dict[str, Any] | None:
        return next((h for h in self.hubs() if h["name"] == name), None)

    def cameras(self, hub: str | None = None) -> list[dict[str, Any]]:
        where, args = ("WHERE hub=?", (hub,)) if hub else ("", ())
        rows = self._run(f"SELECT hub, name, status, recording, labels FROM cameras {where} ORDER BY hub, name", args)
        return [
            {"hub": r[0], "name": r[1], "status": r[2], "recording": bool(r[3]), "labels": json.loads(r[4])}
            for r in rows
        ]

    # --- events ---------------------------------------------------------------------------
    def event(self, hub: str, body: dict[str, Any]) -> None:
        """An event as the hub described it (new, grown or ended: the latest wins)."""
        self._run(
            "INSERT INTO events(hub, id, camera, start, labels, body) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(hub, id) DO UPDATE SET camera=excluded.camera, start=excluded.start, "
            "labels=excluded.labels, body=excluded.body",
            (hub, int(body["id"]), body["camera"], float(body["start"]), json.dumps(body.get("labels") or []),
             json.dumps(body)),
        )  # fmt: skip

    def events(
        self, limit: int = 50, before: float | None = None, hub: str | None = None, camera: str | None = None,
        label: str | None = None,
    ) -> list[dict[str, Any]]:  # fmt: skip
        """Newest first; the next page starts ``before`` the oldest start shown."""
        where, args = [], []  # type: list[str], list[Any]
        for clause, value in (("start < ?", before), ("hub = ?", hub), ("camera = ?", camera)):
            if value is not None:
                where.append(clause)
                args.append(value)
        if label is not None:
            where.append("EXISTS (SELECT 1 FROM json_each(events.labels) WHERE value = ?)")
            args.append(label)
        sql = "SELECT hub, body FROM events " + (f"WHERE {' AND '.join(where)} " if where else "")
        rows = self._run(sql + "ORDER BY start DESC, hub, id DESC LIMIT ?", (*args, limit))
        return [{**json.loads(r[1]), "hub": r[0]} for r in rows]

    def refresh_from(self, hub: str) -> float | None:
        """Where to ask the hub for events from: its oldest event still recording here (its end
        may never be announced: hubs announce only alerts once objects are on), else its newest."""
        row = self._run(
            "SELECT coalesce(min(CASE WHEN json_extract(body, '$.state') = 'recording' THEN start END), max(start)) "
            "FROM events WHERE hub=?",
            (hub,),
        )
        return None if row[0][0] is None else float(row[0][0])

    # --- tokens (camnet-portal hub add|remove|list) ---------------------------------------
    def set_token(self, hub: str, token: str) -> None:
        self._run(
            "INSERT INTO tokens(hub, token, added) VALUES (?, ?, ?) "
            "ON CONFLICT(hub) DO UPDATE SET token=excluded.token, added=excluded.added",
            (hub, token, time.time()),
        )

    def token(self, hub: str) -> str | None:
        rows = self._run("SELECT token FROM tokens WHERE hub=?", (hub,))
        return str(rows[0][0]) if rows else None

    def tokens(self) -> list[tuple[str, float]]:
        """(hub, when added) of every stored token: never the token itself."""
        return [(r[0], r[1]) for r in self._run("SELECT hub, added FROM tokens ORDER BY hub")]

    def remove_token(self, hub: str) -> bool:
        with self._lock:
            return self._db.execute("DELETE FROM tokens WHERE hub=?", (hub,)).rowcount > 0
