"""Start-up reconciliation: after a crash (even ``kill -9`` mid-write) the index and the files
agree again before the hub records anything.

- A clip still marked recording is repaired from its ``.part`` (or final) file into a
  complete clip and its event is marked ``cut``; a clip with no readable frame is dropped.
- Rows whose files are gone are removed, and files no row knows are deleted, but only when
  they are a small share: many at once means a disk went missing or was swapped, and then
  nothing is deleted and the log says why.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from hub.events.clips import PART, repair
from hub.events.index import CUT, EventIndex

log = logging.getLogger(__name__)
SMALL_SHARE = 0.05  # of the indexed clips, at most this share (or 5 files) is deleted on its own


@dataclasses.dataclass
class Report:
    repaired: int = 0  # clips cut short by a crash, made playable
    dropped: int = 0  # clips with no readable frame
    missing_rows: int = 0  # rows removed because their file is gone
    orphans: int = 0  # files no row knew, deleted
    refused: str | None = None  # why nothing was deleted


def reconcile(data_dir: Path, index: EventIndex) -> Report:
    report = Report()
    for clip in index.unfinished():
        final = data_dir / clip.path
        source = final.with_name(final.name + PART)
        if not source.exists():
            source = final
        try:
            frames, size, seconds = repair(source, final) if source.exists() else (0, 0, 0.0)
        except Exception as exc:  # a file too damaged to read
            log.warning("clip %s cut short by a crash is unreadable (%s); dropping it", clip.path, exc)
            source.unlink(missing_ok=True)
            frames, size, seconds = 0, 0, 0.0
        end = clip.start + seconds
        index.close_clip(clip.id, end, frames, size, CUT)
        index.update_event(clip.event, end=end, state=CUT)
        if frames:
            report.repaired += 1
        else:
            report.dropped += 1
            final.unlink(missing_ok=True)
    index.mark_unfinished_cut()
    _sweep_files(data_dir, index, report)
    if report.repaired or report.dropped or report.missing_rows or report.orphans:
        log.warning("events: start-up check %s", report)
    return report


def _sweep_files(data_dir: Path, index: EventIndex, report: Report) -> None:
    known = index.all_clip_paths()
    on_disk = {str(p.relative_to(data_dir)) for p in (data_dir / "clips").rglob("*") if p.is_file()}
    missing = [p for p in known if p not in on_disk]
    orphans = [p for p in on_disk - known]
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
    _sweep_snapshots(data_dir, index, report)
    for relative in missing:
        event = index.event_of_clip(relative)
        if event is not None:
            for path in index.files_of(event):
                (data_dir / path).unlink(missing_ok=True)
            index.delete_event(event)
            report.missing_rows += 1


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
