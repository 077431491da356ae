"""Durable files: the one way camnet writes a file that must survive a power cut.

``atomic_write`` writes a temporary file beside the target, fsyncs it, renames it over the
target and fsyncs the directory, so after a crash at any instant the target holds either
its old bytes or its new ones, never a mix or nothing. Snapshots, masks and keys use it;
clips follow the same discipline in ``hub/events/clips.py`` (fsync, rename, fsync the
directory) because they are written frame by frame.
"""

from __future__ import annotations

import os
from pathlib import Path

TEMPORARY = ".tmp"  # suffix of a file being written; the hub's start-up check removes leftovers


def fsync_directory(directory: Path) -> None:
    """Make a rename or a new file in ``directory`` survive a power cut."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` durably; a new file is created with ``mode`` from the
    start (a secret key is never readable by others, not even for an instant)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + TEMPORARY)
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)
