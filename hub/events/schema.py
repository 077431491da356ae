"""The event index's schema: numbered migrations, each run once (``PRAGMA user_version``)."""

from __future__ import annotations

from collections.abc import Sequence

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
    # 2: frames an event lost on the way to its clip, and seconds of it retention cut off
    """
    ALTER TABLE events ADD COLUMN gaps INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE events ADD COLUMN trimmed REAL NOT NULL DEFAULT 0;
    CREATE INDEX clips_by_state ON clips(state, id);
    """,
    # 3: what the object detector saw: distinct labels, whether it is an alert, the tracked objects
    """
    ALTER TABLE events ADD COLUMN labels TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE events ADD COLUMN alert INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE events ADD COLUMN objects TEXT NOT NULL DEFAULT '[]';
    CREATE INDEX events_by_alert ON events(alert, id);
    """,
    # 4: the time-lapse between events: segment files of one frame every 1/timelapse_fps seconds
    """
    CREATE TABLE segments (
        id INTEGER PRIMARY KEY,
        camera TEXT NOT NULL,
        path TEXT NOT NULL UNIQUE,
        start REAL NOT NULL,
        "end" REAL,
        frames INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL
    );
    CREATE INDEX segments_by_camera ON segments(camera, start);
    CREATE INDEX segments_by_state ON segments(state, id);
    CREATE INDEX segments_by_end ON segments("end");
    INSERT INTO totals VALUES ('segment_bytes', 0);
    """,
)
