"""The event index: SQLite in the data directory, one writer connection, many readers.

WAL mode lets the web threads read while the recorder writes. Writes come from the record
thread and the maintenance thread: they share one connection under one lock, a statement or
a transaction at a time, and every multi-statement write commits or rolls back as a unit (a
failed statement never leaves a transaction open for later writes to vanish into). The
schema carries a version (``PRAGMA user_version``) and every change is a numbered migration
run once at start. Listing pages by key (``id < before``), never by OFFSET or by scanning
files.

A clip's row holds what of it is on the disk (frames, bytes, end), checkpointed while it is
written; the event's frames and bytes and the ``clip_bytes`` total are kept as the sums of
its clips' rows, moved by the same transaction that moves a clip's row.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.database import connect, migrate
from hub.events.schema import MIGRATIONS

RECORDING, DONE, CUT = "recording", "done", "cut"


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
    gaps: int = 0  # frames lost on the way to the clip (the recorder's queue was full)
    trimmed: float = 0.0  # seconds of its beginning retention deleted (a very long event)
    labels: tuple[str, ...] = ()  # the distinct labels of the objects seen in it
    alert: bool = False  # an object to alert on was seen
    objects: tuple[dict[str, Any], ...] = ()  # {"id", "label", "score", "box", "first", "last"} per object

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Event:
        box = tuple(json.loads(row["box"])) if row["box"] else None
        return cls(
            row["id"], row["camera"], row["start"], row["end"], row["frames"], row["bytes"], box,  # type: ignore[arg-type]
            row["area"], row["snapshot"], row["thumb"], row["state"], row["gaps"], row["trimmed"],
            tuple(json.loads(row["labels"])), bool(row["alert"]), tuple(json.loads(row["objects"])),
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
        # FULL: a commit is on the disk when it returns. Commits come per event, clip and
        # checkpoint (every few seconds), never per frame, and a power cut must not undo the
        # row of a clip whose file survived.
        self._writer = connect(self.path, synchronous="FULL")
        self._write_lock = threading.RLock()
        self._migrate()
        self._idle: list[sqlite3.Connection] = []  # reader connections to reuse
        self._idle_lock = threading.Lock()

    def _migrate(self) -> None:
        migrate(self._writer, self.path, MIGRATIONS)

    READERS = 4  # idle reader connections kept (each holds 3 files: the database, WAL, shared memory)

    def select(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """A read-only query for another room (the timeline), on the readers' pool."""
        return self._read(sql, args)

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

    # --- writes (record and maintenance threads, one at a time) --------------------------
    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """The one writer's transaction, for another room's tables (the time-lapse segments)."""
        return self._transaction()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN ... COMMIT as a unit: on any error the transaction is rolled back, so the
        next write starts clean (a FULL, IOERR or BUSY never wedges the writer)."""
        with self._write_lock:
            db = self._writer
            if db.in_transaction:  # cannot happen through this class; never build on one left open
                db.rollback()
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.rollback()
                raise

    def _write(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Cursor:
        with self._transaction() as db:
            return db.execute(sql, args)

    def open_event(self, camera: str, start: float) -> int:
        cur = self._write("INSERT INTO events(camera, start, state) VALUES (?, ?, ?)", (camera, start, RECORDING))
        return int(cur.lastrowid or 0)

    def add_clip(self, event: int, path: str, start: float) -> int:
        cur = self._write(
            "INSERT INTO clips(event, path, start, state) VALUES (?, ?, ?, ?)", (event, path, start, RECORDING)
        )
        return int(cur.lastrowid or 0)

    def checkpoint_clip(self, clip: int, end: float, frames: int, size: int, state: str = RECORDING) -> None:
        """Record what of a clip is on the disk now (while it records, or when it closes as
        ``state``); the event's and the index's totals move with it."""
        with self._transaction() as db:
            row = db.execute("SELECT event, frames, bytes FROM clips WHERE id=?", (clip,)).fetchone()
            if row is None:
                return  # deleted meanwhile (retention or a user)
            more_frames, more_bytes = frames - row["frames"], size - row["bytes"]
            db.execute(
                'UPDATE clips SET "end"=?, frames=?, bytes=?, state=? WHERE id=?', (end, frames, size, state, clip)
            )
            db.execute("UPDATE totals SET value = value + ? WHERE name = 'clip_bytes'", (more_bytes,))
            db.execute(
                "UPDATE events SET frames = frames + ?, bytes = bytes + ? WHERE id = ?",
                (more_frames, more_bytes, row["event"]),
            )

    def close_clip(self, clip: int, end: float, frames: int, size: int, state: str) -> None:
        self.checkpoint_clip(clip, end, frames, size, state)

    def drop_clip(self, clip: int) -> int:
        """Remove one clip's row (its file is gone or unreadable; delete the file first) and
        take its frames and bytes off the totals; returns how many clips its event has left."""
        with self._transaction() as db:
            row = db.execute("SELECT event, frames, bytes FROM clips WHERE id=?", (clip,)).fetchone()
            if row is None:
                return 0
            db.execute("DELETE FROM clips WHERE id=?", (clip,))
            db.execute("UPDATE totals SET value = value - ? WHERE name = 'clip_bytes'", (row["bytes"],))
            db.execute(
                "UPDATE events SET frames = frames - ?, bytes = bytes - ? WHERE id = ?",
                (row["frames"], row["bytes"], row["event"]),
            )
            left = db.execute("SELECT count(*) FROM clips WHERE event=?", (row["event"],)).fetchone()[0]
            first = db.execute("SELECT min(start) FROM clips WHERE event=?", (row["event"],)).fetchone()[0]
            if first is not None:  # the event now begins with its first clip left
                db.execute(
                    "UPDATE events SET trimmed = trimmed + max(0, ? - start), start = max(start, ?) WHERE id=?",
                    (first, first, row["event"]),
                )
            return int(left)

    def add_gaps(self, event: int, frames: int) -> None:
        self._write("UPDATE events SET gaps = gaps + ? WHERE id=?", (frames, event))

    def update_event(self, event: int, **values: Any) -> None:
        if "box" in values and values["box"] is not None:
            values["box"] = json.dumps(list(values["box"]))
        for key in ("labels", "objects"):
            if key in values:
                values[key] = json.dumps(list(values[key]), separators=(",", ":"))
        columns = ", ".join(f'"{k}"=?' for k in values)
        self._write(f"UPDATE events SET {columns} WHERE id=?", (*values.values(), event))

    def files_of(self, event: int) -> list[str]:
        """The event's clip, snapshot and thumbnail files, relative to the data directory."""
        rows = self._read("SELECT snapshot, thumb FROM events WHERE id=?", (event,))
        clips = [r[0] for r in self._read("SELECT path FROM clips WHERE event=?", (event,))]
        return clips + [p for p in (rows[0]["snapshot"], rows[0]["thumb"]) if p] if rows else clips

    def delete_event(self, event: int) -> None:
        """Drop an event and its clips from the index (delete its files_of() first)."""
        with self._transaction() as db:
            clips = db.execute("SELECT bytes FROM clips WHERE event=?", (event,)).fetchall()
            db.execute("DELETE FROM clips WHERE event=?", (event,))
            db.execute("DELETE FROM events WHERE id=?", (event,))
            db.execute(
                "UPDATE totals SET value = value - ? WHERE name = 'clip_bytes'", (sum(c["bytes"] for c in clips),)
            )

    # --- reads (any thread) ------------------------------------------------------------
    def events(
        self,
        camera: str | None = None,
        since: float | None = None,
        until: float | None = None,
        before: int | None = None,
        limit: int = 50,
        labels: Sequence[str] = (),
        alert: bool = False,
    ) -> list[Event]:
        """Newest first, paged by key: pass the last id seen as ``before`` for the next page.
        ``labels``: events that saw any of them; ``alert``: alerts only."""
        where, args = [], []  # type: list[str], list[Any]
        for clause, value in (("camera = ?", camera), ("start >= ?", since), ("start < ?", until), ("id < ?", before)):
            if value is not None:
                where.append(clause)
                args.append(value)
        if alert:
            where.append("alert = 1")
        if labels:
            marks = ",".join("?" * len(labels))
            where.append(f"EXISTS (SELECT 1 FROM json_each(events.labels) WHERE value IN ({marks}))")
            args.extend(labels)
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
        """Bytes of clips and time-lapse segments: what --retain-size bounds."""
        return int(self._read("SELECT sum(value) FROM totals WHERE name IN ('clip_bytes', 'segment_bytes')")[0][0])

    def totals(self) -> dict[str, int]:
        """Bytes kept by kind: ``clip_bytes`` and ``segment_bytes``."""
        return {r[0]: int(r[1]) for r in self._read("SELECT name, value FROM totals")}

    def count(self) -> int:
        return int(self._read("SELECT count(*) FROM events")[0][0])

    def cameras(self) -> list[str]:
        return [r[0] for r in self._read("SELECT DISTINCT camera FROM events")]

    def mark_unfinished_cut(self) -> None:
        """Events still marked recording after the start-up repair were cut by the crash."""
        self._write(
            'UPDATE events SET state=?, "end"=coalesce("end", (SELECT max("end") FROM clips WHERE event=events.id), '
            "start) WHERE state=? AND NOT EXISTS (SELECT 1 FROM clips WHERE event=events.id AND state=?)",
            (CUT, RECORDING, RECORDING),
        )

    def unfinished(self) -> list[Clip]:
        rows = self._read("SELECT * FROM clips WHERE state=? ORDER BY id", (RECORDING,))
        return [Clip(*tuple(r)) for r in rows]

    def finished_clips(self) -> list[Clip]:
        rows = self._read("SELECT * FROM clips WHERE state!=? ORDER BY id", (RECORDING,))
        return [Clip(*tuple(r)) for r in rows]

    def clip_by_path(self, path: str) -> Clip | None:
        rows = self._read("SELECT * FROM clips WHERE path=?", (path,))
        return Clip(*tuple(rows[0])) if rows else None

    def oldest_clips(
        self, limit: int = 100, camera: str | None = None, ended_before: float | None = None, motion_only: bool = False
    ) -> list[Clip]:
        """Clips no longer being written, oldest first (retention's candidates: a finished
        event's, or the earlier parts of one still recording); ``motion_only``: of events
        that saw no object."""
        where, args = ["clips.state != ?"], [RECORDING]  # type: list[str], list[Any]
        if motion_only:
            where.append("events.alert = 0")
        if camera is not None:
            where.append("events.camera = ?")
            args.append(camera)
        if ended_before is not None:
            where.append('clips."end" < ?')
            args.append(ended_before)
        sql = (
            "SELECT clips.* FROM clips JOIN events ON events.id = clips.event "
            f"WHERE {' AND '.join(where)} ORDER BY clips.id LIMIT ?"
        )
        return [Clip(*tuple(r)) for r in self._read(sql, (*args, limit))]

    def clipless(self, camera: str, ended_before: float, motion_only: bool = False) -> list[Event]:
        """A camera's finished events with no clip (theirs could not be opened), ended before a time."""
        sql = (
            'SELECT * FROM events WHERE camera = ? AND state != ? AND "end" < ? '
            + ("AND alert = 0 " if motion_only else "")
            + "AND NOT EXISTS (SELECT 1 FROM clips WHERE event = events.id) ORDER BY id LIMIT 200"
        )
        return [Event.from_row(r) for r in self._read(sql, (camera, RECORDING, ended_before))]

    def all_snapshot_paths(self) -> set[str]:
        rows = self._read("SELECT snapshot, thumb FROM events WHERE snapshot IS NOT NULL")
        return {path for row in rows for path in row if path}

    def all_clip_paths(self) -> set[str]:
        return {r[0] for r in self._read("SELECT path FROM clips")}
