"""Start-up reconciliation: after a crash, a power cut or a full disk, the index and the files
agree again before the hub records anything. It never deletes what it could keep.

- Leftover temporary files (``*.tmp``, ``*.repair``) are removed, then retention runs, so a
  full disk has room for the repairs.
- A clip still marked recording is repaired from its ``.part`` (or final) file into a
  complete clip and its event is marked ``cut``. A clip with no readable frame loses its
  row and its file, and only that: the event keeps its other clips. A repair that cannot
  *write* (a full disk) raises and keeps the ``.part``: the caller disables recording and
  tries again later.
- A finished clip whose size differs from its row (a power cut before the disk had it all)
  is repaired in place, or dropped if nothing of it can be read.
- Rows whose files are gone are removed clip by clip, and files no row knows are deleted,
  but only when they are a small share: many at once means a disk went missing or was
  swapped, and then nothing is deleted and the log says why. An event goes only when no
  clip of it remains.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from common.durable import TEMPORARY
from hub.events.clips import PART, REPAIRING, Unreadable, repair
from hub.events.index import CUT, Clip, EventIndex
from hub.events.retention import Retention

log = logging.getLogger(__name__)
SMALL_SHARE = 0.05  # of the indexed clips, at most this share (or 5 files) is deleted on its own


@dataclasses.dataclass
class Report:
    repaired: int = 0  # clips cut short by a crash or a power cut, made playable
    dropped: int = 0  # clips with no readable frame
    missing_rows: int = 0  # clip rows removed because their file is gone
    events_removed: int = 0  # events left with no clip at all
    orphans: int = 0  # files no row knew, deleted
    temporaries: int = 0  # half-written temporary files removed
    refused: str | None = None  # why nothing was deleted


def reconcile(data_dir: Path, index: EventIndex, retention: Retention | None = None) -> Report:
    """Bring index and files back in line; raises OSError or sqlite3.Error when the disk or
    the index cannot be written (nothing good is deleted then, and it can be run again)."""
    report = Report()
    _remove_temporaries(data_dir, report)
    if retention is not None:
        retention.sweep()
    for clip in index.unfinished():
        final = data_dir / clip.path
        part = final.with_name(final.name + PART)
        source = part if part.exists() else final
        _repair(data_dir, index, clip, source, report)
    for clip in index.finished_clips():
        final = data_dir / clip.path
        if final.is_file() and final.stat().st_size != clip.bytes:
            log.warning(
                "clip %s is %d bytes, its row says %d: repairing it", clip.path, final.stat().st_size, clip.bytes
            )
            _repair(data_dir, index, clip, final, report)
    index.mark_unfinished_cut()
    _sweep_files(data_dir, index, report)
    if any(dataclasses.astuple(report)):
        log.warning("events: start-up check %s", report)
    return report


def _remove_temporaries(data_dir: Path, report: Report) -> None:
    for folder in ("clips", "snapshots"):
        for suffix in (TEMPORARY, REPAIRING):
            for path in (data_dir / folder).rglob(f"*{suffix}"):
                path.unlink(missing_ok=True)
                report.temporaries += 1


def _repair(data_dir: Path, index: EventIndex, clip: Clip, source: Path, report: Report) -> None:
    final = data_dir / clip.path
    try:
        if not source.exists():
            raise Unreadable(f"{source} does not exist")
        frames, size, seconds = repair(source, final)
    except Unreadable as exc:
        log.warning(
            "clip %s holds no readable frame (%s); dropping that clip, its event keeps the rest", clip.path, exc
        )
        source.unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        report.dropped += 1
        _drop(data_dir, index, clip, report)
        return
    end = clip.start + seconds
    index.close_clip(clip.id, end, frames, size, CUT)
    index.update_event(clip.event, state=CUT)
    _set_end(index, clip.event)
    report.repaired += 1


def _drop(data_dir: Path, index: EventIndex, clip: Clip, report: Report) -> None:
    """Remove one clip's row; the event goes too when it has no clip left."""
    if index.drop_clip(clip.id):
        index.update_event(clip.event, state=CUT)
        _set_end(index, clip.event)
        return
    event = index.event(clip.event)
    if event is None:
        return
    for path in index.files_of(event.id):  # its snapshot and thumbnail: no clip left to show
        (data_dir / path).unlink(missing_ok=True)
    index.delete_event(event.id)
    report.events_removed += 1


def _set_end(index: EventIndex, event: int) -> None:
    ends = [c.end for c in index.clips(event) if c.end is not None]
    if ends:
        index.update_event(event, end=max(ends))


def _sweep_files(data_dir: Path, index: EventIndex, report: Report) -> None:
    known = index.all_clip_paths()
    on_disk = {str(p.relative_to(data_dir)) for p in (data_dir / "clips").rglob("*") if p.is_file()}
    missing = [p for p in known if p not in on_disk and p + PART not in on_disk]
    orphans = [p for p in on_disk if p.removesuffix(PART) not in known]
    limit = max(5, int(SMALL_SHARE * len(known)))
    if len(missing) > limit or len(orphans) > limit:
        report.refused = (
            f"{len(missing)} indexed clips are missing and {len(orphans)} files are not indexed in {data_dir}: "
            "more than a crash explains (another disk mounted?); deleting nothing. Check the data directory"
        )
        log.error("events: %s", report.refused)
        return
    for relative in orphans:
        (data_dir / relative).unlink(missing_ok=True)
        report.orphans += 1
    for relative in missing:
        clip = index.clip_by_path(relative)
        if clip is not None and clip.state != "recording":
            _drop(data_dir, index, clip, report)
            report.missing_rows += 1
    _sweep_snapshots(data_dir, index, report)


def _sweep_snapshots(data_dir: Path, index: EventIndex, report: Report) -> None:
    """A snapshot written just before a crash, that its event's row never learnt of: attach it
    to its event, or delete it if the event is gone."""
    known = index.all_snapshot_paths()
    for path in sorted((data_dir / "snapshots").glob("*.jpg")):
        relative = str(path.relative_to(data_dir))
        if relative in known:
            continue
        number = path.stem.removesuffix("-thumb")
        event = index.event(int(number)) if number.isdigit() else None
        if event is None:
            path.unlink(missing_ok=True)
            report.orphans += 1
        elif path.stem.endswith("-thumb"):
            index.update_event(event.id, thumb=relative)
        else:
            index.update_event(event.id, snapshot=relative)
