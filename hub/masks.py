"""Each camera's motion settings as the hub applies them, and the masks saved from the page.

A camera's settings are the hub-wide ones, then its ``[cameras.<name>]`` table, and its masks
are the table's plus those drawn and saved on its page. Saved masks live in the data directory
as one small versioned JSON file, replaced atomically, so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common.config import CAMERA_KEYS, ConfigError, HubConfig, Polygon, parse_masks
from common.durable import atomic_write
from common.motion import MotionSettings

log = logging.getLogger(__name__)


def settings_for(cfg: HubConfig, camera: str, saved: Sequence[Polygon] = ()) -> MotionSettings:
    """One camera's motion settings: hub-wide, then its own table, plus its saved masks."""
    values: dict[str, Any] = {key: getattr(cfg, key) for key in CAMERA_KEYS}
    table = cfg.cameras.get(camera, {})
    values.update({key: value for key, value in table.items() if key in CAMERA_KEYS})
    return MotionSettings(**values, masks=(*table.get("masks", ()), *saved))


class SavedMasks:
    """Masks drawn on camera pages, by camera name, kept in ``<data dir>/masks.json``.

    Camera names are keys inside the file, never parts of a path. A file that does not parse
    is moved aside (named in the log) rather than overwritten, so nothing is lost silently.
    """

    FILE = "masks.json"
    VERSION = 1

    def __init__(self, directory: Path) -> None:
        self.path = directory / self.FILE
        self._lock = threading.Lock()
        self._masks: dict[str, tuple[Polygon, ...]] = self._load()

    def get(self, camera: str) -> tuple[Polygon, ...]:
        return self._masks.get(camera, ())

    def set(self, camera: str, masks: Sequence[Polygon]) -> None:
        """Save a camera's masks (an empty list removes them); raises OSError if the disk fails."""
        with self._lock:
            updated = dict(self._masks)
            if masks:
                updated[camera] = tuple(masks)
            else:
                updated.pop(camera, None)
            body = {
                "version": self.VERSION,
                "cameras": {n: [list(map(list, p)) for p in m] for n, m in updated.items()},
            }
            atomic_write(self.path, json.dumps(body, indent=1).encode("utf-8"))
            self._masks = updated

    def _load(self) -> dict[str, tuple[Polygon, ...]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise ConfigError(f"cannot read saved masks {self.path}: {exc.strerror}; check --data-dir") from None
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or not isinstance(data.get("cameras"), dict):
                raise ValueError("expected {'version': 1, 'cameras': {...}}")
        except ValueError as exc:
            return self._set_aside(exc)
        if data.get("version") != self.VERSION:  # a newer camnet's file: never overwrite it
            raise ConfigError(
                f"{self.path} has version {data.get('version')!r}; this camnet reads version {self.VERSION}. "
                "Upgrade camnet, or move the file away to start without saved masks"
            )
        try:
            return {name: parse_masks(masks, f"camera {name!r}") for name, masks in data["cameras"].items()}
        except ConfigError as exc:
            return self._set_aside(exc)

    def _set_aside(self, exc: Exception) -> dict[str, tuple[Polygon, ...]]:
        aside = self.path.with_name(f"{self.FILE}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
        os.replace(self.path, aside)
        log.error("saved masks %s do not parse (%s); moved to %s, starting without them", self.path, exc, aside)
        return {}
