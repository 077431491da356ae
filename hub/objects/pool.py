"""The detect threads: motion frames in (O(1), never waiting), tracked objects out.

Workers hand every published frame to ``saw``. A frame without motion costs one attribute
test; a frame with motion is queued only if its camera is due (at most ``fps`` inferences a
second per camera). The queue holds one frame per camera, the newest: a newer frame
replaces a waiting one (counted as dropped), so a saturated detector skips to the present
and never builds a backlog, and its bound is the number of cameras. ``threads`` detect
threads take cameras in turn, each with its own interpreter (one model in memory per
thread, not per camera).

Per frame: decode the full-resolution JPEG, cut the square crops around its motion
(``regions.py``), run the model on each, map the boxes back to the frame, keep the camera's
labels above its size and outside its masks, and update its tracker (``tracker.py``). What
counts is handed on: ``on_objects(camera, objects, frame)`` for the recorder (the event's
objects and snapshot) and ``on_counts(camera, counts)`` for MQTT, both O(1).
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import cv2
import numpy as np

from common.config import ConfigError, HubConfig, Polygon
from common.throttle import Throttle
from hub.frames import Frame
from hub.objects.model import INPUT, ObjectModel, Runner
from hub.objects.regions import regions
from hub.objects.tracker import LOST_AFTER, Detection, ObjectTracker, Tracked, iou
from hub.store import Cameras

log = logging.getLogger(__name__)
_throttle = Throttle(10.0)
DEFAULT_LABELS = ("person", "car", "dog", "cat", "bicycle", "motorcycle")
FLOOR = 0.4  # detections below this score are not even tracked; the gate is the median, min_score


@dataclasses.dataclass(frozen=True)
class ObjectSettings:
    """One camera's objects: the hub's --objects and --min-score, then its [cameras.<name>] table."""

    labels: frozenset[str] = frozenset(DEFAULT_LABELS)
    min_score: float = 0.7
    min_area: float = 0.0  # the smallest box, as a share of the frame
    masks: tuple[Polygon, ...] = ()  # an object whose box lies wholly inside one is ignored

    @classmethod
    def of(cls, cfg: HubConfig, camera: str, saved: Sequence[Polygon] = ()) -> ObjectSettings:
        """Hub-wide, then the camera's table; the masks of its table and its page."""
        table = cfg.cameras.get(camera, {})
        labels = table.get("objects", cfg.objects)
        return cls(
            frozenset(label.replace("_", " ") for label in labels),
            float(table.get("min_score", cfg.min_score)),
            float(table.get("min_object_area", cfg.min_object_area)),
            (*table.get("masks", ()), *saved),
        )


def check_labels(cfg: HubConfig, known: set[str]) -> None:
    """Every label in --objects and the cameras' tables must be one the model knows."""
    for where, labels in [("objects", cfg.objects)] + [
        (f'[cameras."{name}"] objects', table["objects"]) for name, table in cfg.cameras.items() if "objects" in table
    ]:
        unknown = [label for label in labels if label.replace("_", " ") not in known]
        if unknown:
            raise ConfigError(
                f"{where}: {', '.join(map(repr, unknown))} is not a label of the object model; it knows "
                f"{', '.join(sorted(label.replace(' ', '_') for label in known))}",
                "objects",
            )


def masked(box: tuple[int, int, int, int], masks: Sequence[np.ndarray]) -> bool:
    """True if the box's corners and centre all lie inside one mask polygon (pixels)."""
    x1, y1, x2, y2 = box
    points = ((x1, y1), (x2, y1), (x1, y2), (x2, y2), ((x1 + x2) / 2, (y1 + y2) / 2))
    return any(all(cv2.pointPolygonTest(m, (float(x), float(y)), False) >= 0 for x, y in points) for m in masks)


def merge(found: list[Detection]) -> list[Detection]:
    """One detection per object where crops overlapped: the best of the same label with IoU > 0.5."""
    kept: list[Detection] = []
    for d in sorted(found, key=lambda d: -d.score):
        if all(k.label != d.label or iou(k.box, d.box) <= 0.5 for k in kept):
            kept.append(d)
    return kept


class _Watch:
    """A camera's detection state: its tracker (under ``lock``) and when it is next due."""

    def __init__(self, settings: ObjectSettings, lost_after: float, ids: itertools.count[int]) -> None:
        self.settings = settings
        self.tracker = ObjectTracker(settings.min_score, lost_after, ids)
        self.lock = threading.Lock()
        self.due = -1e18  # monotonic time of the next inference allowed
        self.counts: dict[str, int] = {}


class ObjectDetection:
    """The ``detect-N`` threads and their one-frame-per-camera queue."""

    def __init__(
        self,
        model: ObjectModel,
        threads: int,
        fps: float,
        settings: Callable[[str], ObjectSettings],
        cameras: Cameras,
        stop: threading.Event,
        on_objects: Callable[[str, list[dict[str, Any]], Frame], None] = lambda camera, objects, frame: None,
        on_counts: Callable[[str, dict[str, int]], None] = lambda camera, counts: None,
    ) -> None:
        self.model = model
        self.fps = fps
        self.settings = settings
        self.cameras = cameras
        self.stop = stop
        self.on_objects = on_objects
        self.on_counts = on_counts
        self.lost_after = max(LOST_AFTER, 3.0 / fps)
        self._ids = itertools.count(1)
        self._watches: dict[str, _Watch] = {}
        self._cond = threading.Condition()
        self._queue: collections.OrderedDict[str, Frame] = collections.OrderedDict()
        self.threads = [threading.Thread(target=self._run, name=f"detect-{i + 1}", daemon=True) for i in range(threads)]
        # counters: each has one writer at a time (saw: the camera's worker, under _cond; the rest: detect threads)
        self.queued = 0
        self.dropped = 0
        self.inferences = 0
        self.inference_seconds = 0.0  # CPU seconds of the model's invoke
        self.failures = 0
        self.objects_seen: collections.Counter[str] = collections.Counter()  # objects that counted, by label
        self._stats_lock = threading.Lock()

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def configure(self, camera: str) -> None:
        """The camera's settings changed (masks saved): take them from its next frame on."""
        watch = self._watches.get(camera)
        if watch is not None:
            with watch.lock:
                watch.settings = self.settings(camera)
                watch.tracker.min_score = watch.settings.min_score

    # --- a worker thread, O(1) --------------------------------------------------------------
    def saw(self, frame: Frame) -> None:
        """A worker published ``frame``: queue it if it shows motion and its camera is due."""
        if not frame.motion or frame.blocked:
            return
        watch = self._watches.get(frame.camera)
        if watch is None:
            watch = self._watches[frame.camera] = _Watch(self.settings(frame.camera), self.lost_after, self._ids)
        if frame.mono < watch.due:
            return
        watch.due = max(watch.due, frame.mono - 0.5 / self.fps) + 1.0 / self.fps  # the cadence, never faster
        with self._cond:
            if self._queue.pop(frame.camera, None) is not None:
                self.dropped += 1
            self._queue[frame.camera] = frame
            self.queued += 1
            self._cond.notify()

    # --- the sweep thread, once a second ------------------------------------------------------
    def sweep(self) -> None:
        """Forget moving objects that went unseen (no inference runs without motion)."""
        now = time.monotonic()
        for camera, watch in list(self._watches.items()):
            with watch.lock:
                if watch.tracker.objects and watch.tracker.expire(now):
                    self._publish(camera, watch)
            if self.cameras.get(camera) is None:
                self._watches.pop(camera, None)  # forgotten: its tracker goes with it

    def state(self) -> dict[str, Any]:
        return {
            "threads": len(self.threads),
            "fps": self.fps,
            "inferences": self.inferences,
            "ms_per_inference": round(1000 * self.inference_seconds / self.inferences, 2) if self.inferences else None,
            "dropped": self.dropped,
            "failures": self.failures,
        }

    # --- the detect threads ---------------------------------------------------------------------
    def _take(self) -> Frame | None:
        with self._cond:
            while not self._queue:
                if self.stop.is_set():
                    return None
                self._cond.wait(0.5)
            return self._queue.popitem(last=False)[1]

    def _run(self) -> None:
        runner = self.model.runner()
        while (frame := self._take()) is not None:
            try:
                self._look(runner, frame)
            except Exception:
                with self._stats_lock:
                    self.failures += 1
                if _throttle.ready(f"detect:{frame.camera}") is not None:
                    log.exception("object detection on camera %r failed; motion and recording go on", frame.camera)

    def _look(self, runner: Runner, frame: Frame) -> None:
        watch = self._watches.get(frame.camera)
        boxes = frame.regions or ((frame.box,) if frame.box else ())
        if watch is None or not boxes:
            return
        image = cv2.imdecode(np.frombuffer(frame.jpeg, np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            return
        height, width = image.shape[:2]
        sx, sy = width / max(frame.width, 1), height / max(frame.height, 1)  # the header's size, if it lied
        crops = regions([(x1 * sx, y1 * sy, x2 * sx, y2 * sy) for x1, y1, x2, y2 in boxes], width, height)
        found: list[Detection] = []
        for x1, y1, x2, y2 in crops:
            crop = cv2.resize(image[y1:y2, x1:x2], (INPUT, INPUT), interpolation=cv2.INTER_AREA)
            started = time.thread_time()
            seen = runner.detect(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB), FLOOR)
            spent = time.thread_time() - started
            with self._stats_lock:
                self.inferences += 1
                self.inference_seconds += spent
            w, h = x2 - x1, y2 - y1
            for label, score, (a, b, c, d) in seen:
                box = (int(x1 + a * w), int(y1 + b * h), int(x1 + c * w), int(y1 + d * h))
                found.append(Detection(label, score, box))
        watch.due += (len(crops) - 1) / self.fps  # at most fps inferences a second, however many crops
        settings = watch.settings
        polygons = [np.round(np.array(p) * (width, height)).astype(np.int32) for p in settings.masks]
        least = settings.min_area * width * height
        kept = [
            d for d in merge(found)
            if d.label in settings.labels and (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]) >= least
            and not masked(d.box, polygons)
        ]  # fmt: skip
        with watch.lock:
            news = watch.tracker.update(kept, crops, frame.mono, frame.time)
            self._publish(frame.camera, watch, frame, news)

    def _publish(self, camera: str, watch: _Watch, frame: Frame | None = None, news: Sequence[Tracked] = ()) -> None:
        """Tell the camera, MQTT and the recorder what counts now (the caller holds watch.lock)."""
        counting = watch.tracker.counting()
        with self._stats_lock:
            for tracked in news:
                self.objects_seen[tracked.label] += 1
        live = self.cameras.get(camera)
        if live is not None:
            live.objects = tuple(
                {"id": o.id, "label": o.label, "score": round(o.median(), 2), "box": list(o.box)} for o in counting
            )
        counts = watch.tracker.counts()
        if counts != watch.counts:
            watch.counts = counts
            self.on_counts(camera, counts)
        if frame is not None and counting:
            self.on_objects(camera, [o.summary() for o in counting], frame)
