"""One camera's motion analysis: decode small, run its detector, ignore its masks, and turn the
detector's per-frame answer into the camera's motion state (hysteresis and a minimum area).

No threads and no I/O: a ``MotionAnalyzer`` belongs to exactly one camera's worker, and
``camnet-motion`` runs the very same class over recorded footage.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Protocol

import cv2
import numpy as np

from common.detectors import Box, Region, RobustDetector, SeedDetector, SingleMotionDetector

__all__ = [
    "Box", "Motion", "MotionAnalyzer", "MotionSettings", "SingleMotionDetector", "decode_small", "reduction_for",
]  # fmt: skip

Point = tuple[float, float]
Polygon = tuple[Point, ...]  # corners in 0-1 coordinates of the frame: (0, 0) top left
DETECTORS = ("robust", "seed")

# JPEG decoders can scale by 1/2, 1/4 and 1/8 inside the DCT, far cheaper than decode + resize.
_REDUCED_GRAY = {
    1: cv2.IMREAD_GRAYSCALE,
    2: cv2.IMREAD_REDUCED_GRAYSCALE_2,
    4: cv2.IMREAD_REDUCED_GRAYSCALE_4,
    8: cv2.IMREAD_REDUCED_GRAYSCALE_8,
}
# Analysis width when motion_width is 0. The robust detector loses nothing of the scene suite
# at a quarter of a 640-wide frame (make bench, scenario motion); the seed ran at 320 (400 in
# the tutorial, which resized after a full decode).
_DEFAULT_WIDTH = {"robust": 160, "seed": 320}


@dataclasses.dataclass(frozen=True)
class MotionSettings:
    """How one camera's motion is found: the hub-wide settings, then the camera's own
    ``[cameras.<name>]`` table, then the masks saved from its page."""

    detector: str = "robust"
    threshold: int = 0  # 0: the detector's own (seed 25, robust 10 and more in a noisy scene)
    min_area: float = 0.0003  # share of the frame a region must cover to count
    start_frames: int = 2  # frames with motion in a row before the camera shows motion
    end_frames: int = 3  # frames without motion in a row before it stops
    frame_count: int = 32  # frames that only build the background model
    accum_weight: float = 0.1  # weight of a new frame in the background (per frame at 15 fps)
    absorb_after: float = 10.0  # seconds a robust-detector object may stand still before it is background
    motion_width: int = 0  # analyse at about this width; 0: the detector's own
    analysis_fps: float = 0.0  # analyse at most this many frames a second (0: every frame)
    masks: tuple[Polygon, ...] = ()  # motion inside these polygons is ignored

    def width(self) -> int:
        return self.motion_width or _DEFAULT_WIDTH[self.detector]

    def detection(self) -> tuple[object, ...]:
        """What the background model depends on: a change of any of these rebuilds it."""
        return (self.detector, self.threshold, self.frame_count, self.accum_weight, self.absorb_after, self.width())


@dataclasses.dataclass(frozen=True, slots=True)
class Motion:
    """The analysis of one frame, in the source frame's pixels."""

    motion: bool  # the camera's motion state after hysteresis: what the hub shows
    box: Box | None = None  # around every region, while motion is on
    regions: tuple[Box, ...] = ()  # the moving regions of this frame, while motion is on
    blocked: bool = False  # the view has lost its detail: a covered lens (no motion while so)


QUIET = Motion(False)
BLOCKED = Motion(False, blocked=True)


class Detector(Protocol):
    def step(self, gray: np.ndarray, t: float, ignore: np.ndarray | None = None) -> list[Region]: ...


def make_detector(settings: MotionSettings) -> Detector:
    if settings.detector == "seed":
        return SeedDetector(settings.threshold, settings.accum_weight, settings.frame_count)
    if settings.detector == "robust":
        return RobustDetector(settings.threshold, settings.accum_weight, settings.frame_count, settings.absorb_after)
    raise ValueError(f"unknown detector {settings.detector!r}; use one of {', '.join(DETECTORS)}")


_REDUCED_COLOR = {
    1: cv2.IMREAD_COLOR,
    2: cv2.IMREAD_REDUCED_COLOR_2,
    4: cv2.IMREAD_REDUCED_COLOR_4,
    8: cv2.IMREAD_REDUCED_COLOR_8,
}


def decode_small(jpeg: bytes, width: int, wanted: int) -> np.ndarray | None:
    """A JPEG ``width`` wide decoded in colour at the largest 1/2..1/8 scale that keeps it at
    least ``wanted`` wide (the scaling happens inside the DCT: far cheaper than a resize)."""
    return cv2.imdecode(np.frombuffer(jpeg, np.uint8), _REDUCED_COLOR[reduction_for(width, wanted)])


def reduction_for(width: int, motion_width: int) -> int:
    """The largest JPEG scale-down (1, 2, 4 or 8) that keeps the frame at least motion_width wide."""
    factor = 1
    while factor < 8 and width // (factor * 2) >= motion_width:
        factor *= 2
    return factor


class Hysteresis:
    """Motion starts after ``start`` frames with motion in a row and ends after ``end`` frames
    without (imagenode's pattern): one speck or one dropped frame does not flip the state."""

    def __init__(self, start: int, end: int) -> None:
        self.start, self.end = start, end
        self.on = False
        self._run = 0  # frames in a row that disagree with the state

    def update(self, seen: bool) -> bool:
        self._run = self._run + 1 if seen != self.on else 0
        if self._run >= (self.end if self.on else self.start):
            self.on, self._run = not self.on, 0
        return self.on


def mask_image(masks: Sequence[Polygon], width: int, height: int) -> np.ndarray | None:
    """The masks drawn at an analysis size: 255 where motion is ignored; None without masks."""
    if not masks:
        return None
    image = np.zeros((height, width), np.uint8)
    scale = np.array([width, height], np.float64)
    polygons = [np.round(np.array(p, np.float64) * scale).astype(np.int32) for p in masks]
    cv2.fillPoly(image, polygons, 255)
    return image


class MotionAnalyzer:
    """One camera's motion: frames in (small grayscale, with their time), ``Motion`` out.

    A frame of another size is skipped; only when ``RESIZE_AFTER`` frames in a row keep the
    new size is the model rebuilt for it (counted in ``resets``), so a stray frame cannot
    keep detection in warm-up for good. ``configure`` may be called from another thread
    (the page saving a mask): the next frame picks the new settings up.
    """

    RESIZE_AFTER = 5

    def __init__(self, settings: MotionSettings | None = None) -> None:
        self.settings = settings or MotionSettings()
        self._wanted = self.settings
        self.detector = make_detector(self.settings)
        self.hysteresis = Hysteresis(self.settings.start_frames, self.settings.end_frames)
        self.last = QUIET  # the newest result, for frames analysis_fps skips
        self.total = 0
        self.resets = 0  # times a lasting change of frame size rebuilt the model
        self._size: tuple[int, int] | None = None
        self._other: tuple[tuple[int, int], int] | None = None  # another size seen, how often in a row
        self._ignore: np.ndarray | None = None
        self._last_t: float | None = None

    def configure(self, settings: MotionSettings) -> None:
        """Use new settings from the next frame on (safe from any thread: one assignment)."""
        self._wanted = settings

    def due(self, t: float) -> bool:
        """False for a frame that ``analysis_fps`` says to skip (shown, not analysed)."""
        fps = self._wanted.analysis_fps
        # 0.8: a 30 fps camera capped at 15 keeps every other frame despite arrival jitter
        return not fps or self._last_t is None or t - self._last_t >= 0.8 / fps

    def gray_from_jpeg(self, jpeg: bytes, width: int) -> np.ndarray | None:
        """Decode a JPEG straight to small grayscale; None if it does not decode."""
        flag = _REDUCED_GRAY[reduction_for(width, self._wanted.width())]
        return cv2.imdecode(np.frombuffer(jpeg, np.uint8), flag)

    def gray_from_pixels(self, pixels: np.ndarray) -> np.ndarray:
        """Shrink and grey a raw frame (a stock sender's ``send_image``) for analysis."""
        factor = reduction_for(pixels.shape[1], self._wanted.width())
        if factor > 1:
            size = (-(-pixels.shape[1] // factor), -(-pixels.shape[0] // factor))
            pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
        if pixels.ndim == 3 and pixels.shape[2] == 3:
            return cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)
        return pixels.reshape(pixels.shape[:2])

    def analyze(self, gray: np.ndarray, width: int, height: int, t: float | None = None) -> Motion:
        """Feed one small grayscale frame taken at ``t`` seconds (default: 15 frames a second)."""
        t = self.total / 15.0 if t is None else t
        self._apply_settings()
        size = (gray.shape[1], gray.shape[0])
        if self._size is None:
            self._size = size
        elif size != self._size:
            seen = self._other[1] + 1 if self._other and self._other[0] == size else 1
            self._other = (size, seen)
            if seen < self.RESIZE_AFTER:
                return self.last  # the background does not fit this frame: skip it
            self.reset()  # the new size lasts: rebuild the model for it
            self.resets += 1
            self._size = size
        self._other = None
        if self._ignore is None or self._ignore.shape != gray.shape[:2]:
            self._ignore = mask_image(self.settings.masks, *size)
        regions = self.detector.step(gray, t, self._ignore)
        self.total += 1
        self._last_t = t
        least = self.settings.min_area * gray.size
        boxes = [box for box, area in regions if area >= least]
        blocked = bool(getattr(self.detector, "blocked", False))
        on = self.hysteresis.update(bool(boxes) and not blocked)
        if blocked:
            self.last = BLOCKED
        elif on and boxes:
            sx, sy = width / size[0], height / size[1]
            scaled = tuple(_scale(b, sx, sy, width, height) for b in boxes)
            union = (
                min(b[0] for b in scaled),
                min(b[1] for b in scaled),
                max(b[2] for b in scaled),
                max(b[3] for b in scaled),
            )
            self.last = Motion(True, union, scaled)
        else:
            self.last = Motion(on)
        return self.last

    def reset(self) -> None:
        """Forget the background model; the next frame_count frames rebuild it."""
        self.detector = make_detector(self.settings)
        self.hysteresis = Hysteresis(self.settings.start_frames, self.settings.end_frames)
        self.last = QUIET
        self.total = 0
        self._size = None
        self._ignore = None

    def _apply_settings(self) -> None:
        wanted = self._wanted
        if wanted is self.settings:
            return
        rebuild = wanted.detection() != self.settings.detection()
        hysteresis = (wanted.start_frames, wanted.end_frames) != (self.settings.start_frames, self.settings.end_frames)
        self.settings = wanted
        self._ignore = None  # the masks may have changed: redraw them
        if rebuild:
            self.reset()
        elif hysteresis:
            self.hysteresis = Hysteresis(wanted.start_frames, wanted.end_frames)


def _scale(box: Box, sx: float, sy: float, width: int, height: int) -> Box:
    x1, y1, x2, y2 = box
    return (int(x1 * sx), int(y1 * sy), min(width, round(x2 * sx)), min(height, round(y2 * sy)))
