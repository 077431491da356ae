"""What the web side works with: the hub's collaborators, handed to ``create_app`` one by one.

The web package knows these objects and nothing of the ``Hub`` that owns them (``hub/app.py``
imports ``hub/web``, never the other way round), so a route can be read, and tested, with
only the collaborators it uses.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from common.config import HubConfig, Polygon
from hub.events.index import EventIndex
from hub.events.recorder import Recorder
from hub.masks import SavedMasks
from hub.montage import Montage
from hub.notify.mqtt import MqttBridge
from hub.notify.webhooks import Webhook
from hub.objects.pool import ObjectDetection
from hub.overlay import Renderer
from hub.receiver import Receiver
from hub.security.access import Access
from hub.security.keys import SenderGuard
from hub.store import Cameras


@dataclass(frozen=True)
class Services:
    config: HubConfig
    data_dir: Path
    cameras: Cameras
    events: EventIndex
    recorder: Recorder
    masks: SavedMasks
    save_masks: Callable[[str, Sequence[Polygon]], object]  # saves and applies from the next frame
    montage: Montage
    renderer: Renderer
    access: Access
    receiver: Receiver
    guard: SenderGuard | None
    mqtt: MqttBridge | None
    objects: ObjectDetection | None  # None: objects are off, and objects_off says why
    objects_off: str | None
    webhooks: Sequence[Webhook]
    stopping: threading.Event
    health: Callable[[], str | None]  # None while the hub receives and serves
    started_at: float
