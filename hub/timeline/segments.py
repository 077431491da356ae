"""The time-lapse segments' rows in the event index (``segments`` table, migration 4).

Written only by the record thread, through the index's one writer; the ``segment_bytes``
total moves in the same transaction as a segment's row, as ``clip_bytes`` does for clips.
Paths are relative to the data directory and never hold a camera name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hub.events.index import RECORDING, EventIndex


@dataclass(frozen=True)
class Segment:
    id: int
    camera: str
    path: str
    start: float
    end: float | None
    frames: int
    bytes: int
    state: str


class Segments:
    def __init__(self, index: EventIndex) -> None:
        self.index = index

    def add(self, camera: str, path: str, start: float) -> int:
        with self.index.transaction() as db:
            cur = db.execute(
                "INSERT INTO segments(camera, path, start, state) VALUES (?, ?, ?, ?)", (camera, path, start, RECORDING)
            )
            return int(cur.lastrowid or 0)

    def checkpoint(self, segment: int, end: float, frames: int, size: int, state: str = RECORDING) -> None:
        """What of a segment is on the disk now (and its state once it closes)."""
        with self.index.transaction() as db:
            row = db.execute("SELECT bytes FROM segments WHERE id=?", (segment,)).fetchone()
            if row is None:
                return  # deleted meanwhile (retention)
            db.execute(
                'UPDATE segments SET "end"=?, frames=?, bytes=?, state=? WHERE id=?',
                (end, frames, size, state, segment),
            )
            db.execute("UPDATE totals SET value = value + ? WHERE name = 'segment_bytes'", (size - row["bytes"],))

    def drop(self, segment: int) -> None:
        """Remove a segment's row (delete its file first)."""
        with self.index.transaction() as db:
            row = db.execute("SELECT bytes FROM segments WHERE id=?", (segment,)).fetchone()
            if row is not None:
                db.execute("DELETE FROM segments WHERE id=?", (segment,))
                db.execute("UPDATE totals SET value = value - ? WHERE name = 'segment_bytes'", (row["bytes"],))

    def _rows(self, sql: str, args: Sequence[object] = ()) -> list[Segment]:
        return [Segment(*tuple(r)) for r in self.index.select(sql, args)]

    def unfinished(self) -> list[Segment]:
        return self._rows("SELECT * FROM segments WHERE state=? ORDER BY id", (RECORDING,))

    def oldest(self, limit: int = 1, ended_before: float | None = None, camera: str | None = None) -> list[Segment]:
        """Finished segments, oldest first (retention's candidates)."""
        where, args = ["state != ?"], [RECORDING]  # type: list[str], list[object]
        if ended_before is not None:
            where.append('"end" < ?')
            args.append(ended_before)
        if camera is not None:
            where.append("camera = ?")
            args.append(camera)
        return self._rows(f"SELECT * FROM segments WHERE {' AND '.join(where)} ORDER BY start LIMIT ?", (*args, limit))

    def cameras(self) -> list[str]:
        return [r[0] for r in self.index.select("SELECT DISTINCT camera FROM segments")]

    def near(self, camera: str, start: float, end: float) -> list[Segment]:
        """A camera's segments that overlap [start, end], in time order."""
        return self._rows(
            'SELECT * FROM segments WHERE camera=? AND start <= ? AND ("end" IS NULL OR "end" >= ?) ORDER BY start',
            (camera, end, start),
        )

    def all_paths(self) -> set[str]:
        return {r[0] for r in self.index.select("SELECT path FROM segments")}
