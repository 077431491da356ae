"""The motion scene suite: rendered home-camera footage with known ground truth, and its score.

Each scene is deterministic (a seed per take), 640x480, JPEG-encoded as a sender would, with
sensor noise, and says for every frame whether something really moves in view. The kinds are
what fools or misses a background-subtraction detector at home: lights switched on and off
(one clipping much of the room at white), dusk, flicker, auto-exposure hunting (once clipping
a colour channel), a slow walker, a small far object, a dim noisy night.
``score`` turns a detector's per-frame motion answers into frame-level precision, recall and
F1 after the warm-up, and counts false events (motion periods that touch no true motion).
Used by the tests and by ``make bench`` (no downloads: everything is drawn here).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator

import cv2
import numpy as np

WIDTH, HEIGHT, FPS = 640, 480, 15
WARMUP = 45  # frames every detector may spend learning the background; not scored


@dataclasses.dataclass(frozen=True)
class Person:
    """A figure crossing the view: where it is at time t (None when out of view)."""

    start: float  # seconds
    end: float
    x0: float  # centre x at start and end, in pixels
    x1: float
    y: float  # feet
    height: int
    shade: int  # grey level of the figure

    def box(self, t: float) -> tuple[int, int, int, int] | None:
        if not self.start <= t <= self.end:
            return None
        x = self.x0 + (self.x1 - self.x0) * (t - self.start) / (self.end - self.start)
        half = max(2, self.height // 5)
        return int(x - half), int(self.y - self.height), int(x + half), int(self.y)


@dataclasses.dataclass(frozen=True)
class Scene:
    """One kind of footage: its length, light over time, noise and the people in it."""

    name: str
    seconds: float = 10.0
    light: Callable[[float], float] = lambda t: 1.0  # multiplies the scene's brightness
    base: float = 1.0  # the scene's brightness before ``light``
    noise: float = 3.0  # sensor noise, grey levels (standard deviation)
    people: tuple[Person, ...] = ()
    quality: int = 80

    def frames(self, take: int = 0) -> Iterator[tuple[bytes, bool]]:
        """(JPEG, truly moving) for each frame of this take."""
        rng = np.random.default_rng(hash_name(self.name) * 31 + take)
        room = _room(rng) * self.base
        for i in range(int(self.seconds * FPS)):
            t = i / FPS
            image = room * self.light(t)
            moving = False
            for person in self.people:
                box = person.box(t)
                if box is not None:
                    _draw_person(image, box, person.shade * self.base * self.light(t))
                    moving = True
            image = image + rng.normal(0, self.noise, image.shape)
            pixels = np.clip(image, 0, 255).astype(np.uint8)
            ok, buf = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
            assert ok
            yield buf.tobytes(), moving


def hash_name(name: str) -> int:
    """A stable small number from a scene's name (Python's hash() changes per process)."""
    return sum((i + 1) * ord(c) for i, c in enumerate(name)) % 100_003


def _room(rng: np.random.Generator) -> np.ndarray:
    """A textured room: wall gradient, furniture, a window; colour, float32."""
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    wall = 90 + 50 * xx / WIDTH + 20 * np.sin(yy / 31.0)
    image = np.dstack([wall * 0.9, wall, wall * 1.05])
    for _ in range(6):  # furniture and pictures
        x, y = int(rng.integers(0, WIDTH - 120)), int(rng.integers(40, HEIGHT - 100))
        w, h = int(rng.integers(40, 160)), int(rng.integers(30, 120))
        colour = rng.uniform(30, 200, 3)
        image[y : y + h, x : x + w] = colour
    image[30:150, 420:560] = (200, 210, 220)  # a window
    image[300:, :] *= 0.8  # the floor
    return image.astype(np.float32)


def _draw_person(image: np.ndarray, box: tuple[int, int, int, int], shade: float) -> None:
    x1, y1, x2, y2 = box
    head = max(2, (x2 - x1) // 2)
    cv2.rectangle(image, (x1, y1 + head * 2), (x2, y2), (shade, shade * 0.9, shade * 0.8), -1)
    cv2.circle(image, ((x1 + x2) // 2, y1 + head), head, (shade * 1.2, shade, shade), -1)


def _step(at: float, before: float, after: float) -> Callable[[float], float]:
    return lambda t: before if t < at else after


def _hunting(t: float) -> float:
    """Auto exposure hunting: +30 % within 0.3 s, held, back within 0.5 s; at 4 s and again at 6.5 s."""
    for start in (4.0, 6.5):
        x = t - start
        if 0 <= x < 1.5:
            return 1.0 + 0.3 * min(1.0, x / 0.3) * (1.0 if x < 1.0 else (1.5 - x) / 0.5)
    return 1.0


SCENES: tuple[Scene, ...] = (
    Scene("walker", people=(Person(4.0, 8.0, 40, 600, 420, 170, 40),)),
    Scene("still"),
    Scene("dusk", seconds=12.0, light=lambda t: 1.0 - 0.05 * t),
    Scene("light on", base=0.45, light=_step(5.0, 1.0, 2.0)),
    Scene("lights off", light=_step(5.0, 1.0, 0.35)),
    # someone switches the light on and walks in a moment later
    Scene("light on, walker", base=0.45, light=_step(4.0, 1.0, 2.0), people=(Person(4.3, 8.0, 20, 560, 430, 170, 60),)),
    Scene("small far object", people=(Person(4.0, 9.0, 60, 580, 200, 26, 30),)),
    # 80 px in 11 s: half a pixel a frame, slow enough for a running average to swallow it
    Scene("slow walker", seconds=14.0, people=(Person(3.0, 14.0, 150, 230, 430, 170, 45),)),
    Scene("flicker", light=lambda t: 1.0 + 0.08 * math.sin(2 * math.pi * 2.5 * t)),
    Scene("auto exposure", light=lambda t: 1.0 + 0.35 * math.sin(math.pi * max(0.0, t - 4) / 2.5) * (t < 9)),
    Scene(
        "two people",
        seconds=12.0,
        people=(Person(3.5, 6.0, 40, 380, 420, 160, 35), Person(8.0, 11.0, 600, 260, 440, 180, 220)),
    ),
    Scene("night", base=0.25, noise=9.0, people=(Person(4.5, 8.5, 600, 60, 430, 170, 220),)),
    # footage the detector was not tuned on: a lamp that brightens a bright room by 60 %, so
    # that much of it clips at white; exposure hunting that clips a colour channel of a bright room
    Scene("light on, clipping", seconds=12.0, light=_step(5.0, 1.0, 1.6)),
    Scene("exposure hunting", base=1.25, light=_hunting),
    Scene("exposure hunting, walker", base=1.25, light=_hunting, people=(Person(4.5, 8.5, 600, 60, 430, 170, 40),)),
)


@dataclasses.dataclass(frozen=True)
class Score:
    """How a detector did on one take of a scene, after the warm-up."""

    scene: str
    precision: float
    recall: float
    f1: float
    false_events: int
    frames: int


def score(scene: str, motion: list[bool], truth: list[bool], warmup: int = WARMUP) -> Score:
    """Frame-level precision, recall and F1 after ``warmup``, and the false events.

    A scene with no true motion and no motion reported scores 1.0 on all three. A false event
    is a run of frames with motion reported that touches no truly moving frame.
    """
    if len(motion) != len(truth):
        raise ValueError(f"{scene}: {len(motion)} answers for {len(truth)} frames")
    pairs = list(zip(motion[warmup:], truth[warmup:], strict=True))
    tp = sum(m and t for m, t in pairs)
    fp = sum(m and not t for m, t in pairs)
    fn = sum(t and not m for m, t in pairs)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(scene, precision, recall, f1, false_events(motion[warmup:], truth[warmup:]), len(pairs))


def false_events(motion: list[bool], truth: list[bool]) -> int:
    """Runs of reported motion that overlap no truly moving frame."""
    count, start = 0, None
    for i, m in enumerate([*motion, False]):
        if m and start is None:
            start = i
        elif not m and start is not None:
            count += not any(truth[start:i])
            start = None
    return count
