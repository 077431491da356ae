"""An event as the outside world sees it: the JSON of ``/api/events``, and the same object in
MQTT and webhook messages (with absolute URLs when the hub knows its public address)."""

from __future__ import annotations

import math
import time
from typing import Any

from hub.events.index import RECORDING, Event, EventIndex


def describe(event: Event, clips: int = 1, base_url: str = "") -> dict[str, Any]:
    """``base_url`` (like ``https://cams.example.net``) makes the URLs absolute."""
    end = event.end if event.state != RECORDING else None
    at = f"{base_url.rstrip('/')}/events/{event.id}"
    return {
        "id": event.id,
        "camera": event.camera,
        "start": math.floor(event.start * 1000) / 1000,  # never after the real start: since=start finds it
        "end": round(end, 3) if end is not None else None,
        "duration": round((end if end is not None else time.time()) - event.start, 3),
        "frames": event.frames,
        "bytes": event.bytes,
        "box": list(event.box) if event.box else None,
        "snapshot": f"{at}/snapshot.jpg" if event.snapshot else None,
        "thumb": f"{at}/thumb.jpg" if event.thumb else None,
        "clip": f"{at}/clip.mkv",
        "clips": [f"{at}/clip.mkv?part={n}" for n in range(1, clips + 1)],
        "state": event.state,
        "gaps": event.gaps,  # frames lost on the way to the clip (the recorder fell behind)
        "trimmed": round(event.trimmed, 3),  # seconds of its start retention deleted (a very long event)
        "labels": list(event.labels),  # what the object detector saw; [] for motion only
        "alert": event.alert,
        "objects": [dict(o) for o in event.objects],
    }


def message(index: EventIndex, kind: str, event_id: int, base_url: str = "") -> dict[str, Any] | None:
    """``{"type": "new"|"update"|"end", "event": {...}}`` as MQTT and webhooks send it; None if
    the event is gone (deleted by retention before the message went out)."""
    event = index.event(event_id)
    if event is None:
        return None
    return {"type": kind, "event": describe(event, len(index.clips(event_id)) or 1, base_url)}
