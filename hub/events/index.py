"""The event index: SQLite in the data directory, written by one thread, read by many.

WAL mode lets the web threads read while the recorder writes. The schema carries a version
(``PRAGMA user_version``) and every change is a numbered migration run once at start. Listing
pages by key (``id < before``), never by OFFSET and never by scanning files.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.database import connect, migrate

RECORDING, DONE, CUT = "recording", "done", "cut"

MIGRATIONS: Sequence[str] = (
    # 1: events, their clips, and running totals
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        camera TEXT NOT NULL,
        start REAL NOT NULL,
        "end" REAL,
        frames INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        box TEXT,
        area INTEGER NOT NULL DEFAULT 0,
        snapshot TEXT,
        thumb TEXT,
        state TEXT NOT NULL
    );
    CREATE INDEX events_by_camera ON events(camera, id);
    CREATE INDEX events_by_start ON events(start);
    CREATE TABLE clips (
        id INTEGER PRIMARY KEY,
        event INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        path TEXT NOT NULL UNIQUE,
        start REAL NOT NULL,
        "end" REAL,
        frames INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL
    );
    CREATE INDEX clips_by_event ON clips(event);
    CREATE TABLE totals (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO totals VALUES ('clip_bytes', 0);
    """,
)


@dataclass(frozen=True)
class Event:
    """One event as the index holds it (paths are relative to the data directory)."""

    id: int
    camera: str
    start: float
    end: float | None
    frames: int
    bytes: int
    box: tuple[int, int, int, int] | None
    area: int
    snapshot: str | None
    thumb: str | None
    state: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Event:
        box = tuple(json.loads(row["box"])) if row["box"] else None
        return cls(
            row["id"], row["camera"], row["start"], row["end"], row["frames"], row["bytes"], box,  # type: ignore[arg-type]
            row["area"], row["snapshot"], row["thumb"], row["state"],
        )  # fmt: skip


@dataclass(frozen=True)
class Clip:
    id: int
    event: int
    path: str
    start: float
    end: float | None
    frames: int
    bytes: int
    state: str


class EventIndex:
    """Queries for everyone; writes only from the thread that owns the writer (the recorder)."""

    FILE = "events.db"

    def __init__(self, directory: Path) -> None:
        self.path = directory / self.FILE
        self._writer = connect(self.path)
        self._migrate()
        self._idle: list[sqlite3.Connection] = []  # reader connections to reuse
        self._idle_lock = threading.Lock()

    def _migrate(self) -> None:
        migrate(self._writer, self.path, MIGRATIONS)

    READERS = 4  # idle reader connections kept (each holds 3 files: the database, WAL, shared memory)

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Run a query on a reader connection borrowed from a small pool (the web server has
        many threads; a connection each would hold hundreds of files open)."""
        with self._idle_lock:
            db = self._idle.pop() if self._idle else None
        if db is None:
            db = connect(self.path)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            with self._idle_lock:
                keep = len(self._idle) < self.READERS
                if keep:
                    self._idle.append(db)
            if not keep:
                db.close()

    def close(self) -> None:
        self._writer.close()
        with self._idle_lock:
            for db in self._idle:
                db.close()
            self._idle.clear()

    # --- writes (recorder thread) ------------------------------------------------------
    def open_event(self, camera: str, start: float) -> int:
        cur = self._writer.execute(
            "INSERT INTO events(camera, start, state) VALUES (?, ?, ?)", (camera, start, RECORDING)
        )
        return int(cur.lastrowid or 0)

    def add_clip(self, event: int, path: str, start: float) -> int:
        cur = self._writer.execute(
            "INSERT INTO clips(event, path, start, state) VALUES (?, ?, ?, ?)", (event, path, start, RECORDING)
        )
        return int(cur.lastrowid or 0)

    def close_clip(self, clip: int, end: float, frames: int, size: int, state: str) -> None:
        db = self._writer
        db.execute("BEGIN")
        db.execute('UPDATE clips SET "end"=?, frames=?, bytes=?, state=? WHERE id=?', (end, frames, size, state, clip))
        db.execute("UPDATE totals SET value = value + ? WHERE name = 'clip_bytes'", (size,))
        db.execute(
            "UPDATE events SET frames = frames + ?, bytes = bytes + ? WHERE id = (SELECT event FROM clips WHERE id=?)",
            (frames, size, clip),
        )
        db.execute("COMMIT")

    def update_event(self, event: int, **values: Any) -> None:
        if "box" in values and values["box"] is not None:
            values["box"] = json.dumps(list(values["box"]))
        columns = ", ".join(f'"{k}"=?' for k in values)
        self._writer.execute(f"UPDATE events SET {columns} WHERE id=?", (*values.values(), event))

    def files_of(self, event: int) -> list[str]:
        """The event's clip, snapshot and thumbnail files, relative to the data directory."""
        db = self._writer
        row = db.execute("SELECT snapshot, thumb FROM events WHERE id=?", (event,)).fetchone()
        clips = [r[0] for r in db.execute("SELECT path FROM clips WHERE event=?", (event,)).fetchall()]
        return clips + [p for p in (row["snapshot"], row["thumb"]) if p] if row else clips

    def delete_event(self, event: int) -> None:
        """Drop an event and its clips from the index (delete its files_of() first)."""
        db = self._writer
        clips = db.execute("SELECT bytes FROM clips WHERE event=?", (event,)).fetchall()
        db.execute("BEGIN")
        db.execute("DELETE FROM clips WHERE event=?", (event,))
        db.execute("DELETE FROM events WHERE id=?", (event,))
        db.execute("UPDATE totals SET value = value - ? WHERE name = 'clip_bytes'", (sum(c["bytes"] for c in clips),))
        db.execute("COMMIT")

    # --- reads (any thread) ------------------------------------------------------------
    def events(
        self,
        camera: str | None = None,
        since: float | None = None,
        until: float | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> list[Event]:
        """Newest first, paged by key: pass the last id seen as ``before`` for the next page."""
        where, args = [], []
        for clause, value in (("camera = ?", camera), ("start >= ?", since), ("start < ?", until), ("id < ?", before)):
            if value is not None:
                where.append(clause)
                args.append(value)
        sql = "SELECT * FROM events" + (" WHERE " + " AND ".join(where) if where else "")
        rows = self._read(sql + " ORDER BY id DESC LIMIT ?", (*args, limit))
        return [Event.from_row(r) for r in rows]

    def event(self, event: int) -> Event | None:
        rows = self._read("SELECT * FROM events WHERE id=?", (event,))
        return Event.from_row(rows[0]) if rows else None

    def clips(self, event: int) -> list[Clip]:
        rows = self._read("SELECT * FROM clips WHERE event=? ORDER BY id", (event,))
        return [Clip(*tuple(r)) for r in rows]

    def clip_counts(self, events: list[int]) -> dict[int, int]:
        if not events:
            return {}
        marks = ",".join("?" * len(events))
        sql = f"SELECT event, count(*) FROM clips WHERE event IN ({marks}) GROUP BY event"
        return {r[0]: r[1] for r in self._read(sql, events)}

    def total_bytes(self) -> int:
        return int(self._read("SELECT value FROM totals WHERE name='clip_bytes'")[0][0])

    def count(self) -> int:
        return int(self._read("SELECT count(*) FROM events")[0][0])

    def oldest(self, limit: int = 100, camera: str | None = None, ended_before: float | None = None) -> list[Event]:
        """Finished events, oldest first (retention's candidates)."""
        where, args = ["state != ?"], [RECORDING]  # type: list[str], list[Any]
        if camera is not None:
            where.append("camera = ?")
            args.append(camera)
        if ended_before is not None:
            where.append('"end" < ?')
            args.append(ended_before)
        sql = f"SELECT * FROM events WHERE {' AND '.join(where)} ORDER BY id LIMIT ?"
        return [Event.from_row(r) for r in self._read(sql, (*args, limit))]

    def cameras(self) -> list[str]:
        return [r[0] for r in self._read("SELECT DISTINCT camera FROM events")]

    def mark_unfinished_cut(self) -> None:
        """Events still marked recording after the start-up repair have no clip left: cut."""
        self._writer.execute('UPDATE events SET state=?, "end"=coalesce("end", start) WHERE state=?', (CUT, RECORDING))

    def unfinished(self) -> list[Clip]:
        rows = self._writer.execute("SELECT * FROM clips WHERE state=? ORDER BY id", (RECORDING,)).fetchall()
        return [Clip(*tuple(r)) for r in rows]

    def event_of_clip(self, path: str) -> int | None:
        row = self._writer.execute("SELECT event FROM clips WHERE path=?", (path,)).fetchone()
        return int(row[0]) if row else None

    def all_snapshot_paths(self) -> set[str]:
        rows = self._writer.execute("SELECT snapshot, thumb FROM events WHERE snapshot IS NOT NULL").fetchall()
        return {path for row in rows for path in row if path}

    def all_clip_paths(self) -> set[str]:
        return {r[0] for r in self._writer.execute("SELECT path FROM clips").fetchall()}
