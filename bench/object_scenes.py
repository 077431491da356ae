"""Labelled scenes for the object detector: real photos moving over a garden, and motion that
is no object (swaying foliage, rain, a headlight sweep).

The photos are the test pictures of Debian's ``darknet`` package (``dpkg -L darknet``; it
ships no weights): a person, a dog, a truck and a horse are cut out of them and composited
over a textured background, moving as people and animals do (a walk across the view with a
little bob), or driving in and parking. Every scene is ``still`` seconds of background
first (the motion model learns it), then the action, then still again. Frames are generated
one at a time (a minute of 640x480 at 15 fps is 800 MB as pixels).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

PHOTOS = Path("/usr/share/darknet/data")
# label: (photo, (x1, y1, x2, y2) of the cut-out in 0-1 of the photo)
CUTOUTS = {
    "person": ("person.jpg", (0.27, 0.22, 0.44, 0.92)),
    "dog": ("dog.jpg", (0.15, 0.37, 0.44, 0.97)),
    "truck": ("dog.jpg", (0.58, 0.12, 0.93, 0.32)),
    "horse": ("horses.jpg", (0.0, 0.36, 0.43, 0.82)),
}
WIDTH, HEIGHT, FPS = 640, 480, 15


class PhotosMissing(RuntimeError):
    pass


@functools.cache
def background(width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """A garden: soft bands of colour with grain, the same every run."""
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.dstack([90 + 40 * np.sin(xx / 37) * np.cos(yy / 51), 110 + 30 * np.cos(xx / 23), 80 + 20 * (yy / height)])
    grain = cv2.resize(rng.normal(0, 8, (height // 8, width // 8, 3)), (width, height))
    return np.clip(base + grain, 0, 255).astype(np.uint8)


@functools.cache
def cutout(label: str, height: int) -> np.ndarray:
    """The photo of ``label`` cut out and scaled to ``height`` pixels."""
    photo, (x1, y1, x2, y2) = CUTOUTS[label]
    image = cv2.imread(str(PHOTOS / photo))
    if image is None:
        raise PhotosMissing(f"{PHOTOS / photo} is missing: install Debian's darknet package (apt-get install darknet)")
    h, w = image.shape[:2]
    part = image[int(y1 * h) : int(y2 * h), int(x1 * w) : int(x2 * w)]
    return cv2.resize(part, (max(1, round(part.shape[1] * height / part.shape[0])), height))


@dataclasses.dataclass(frozen=True)
class Scene:
    """One labelled clip: what is in it, and when it enters (seconds from the start)."""

    name: str
    label: str | None  # the photo shown (None: motion that is no object)
    expect: str | None  # the label it should get (None: no alert)
    seconds: float
    enters: float  # when the object (or the motion) begins
    kind: str  # walk, park, foliage, rain, headlights
    size: int = 240  # the object's height in pixels
    still: float = 3.0

    def frames(self, fps: int = FPS) -> Iterator[np.ndarray]:
        rng = np.random.default_rng(abs(hash(self.name)) % 2**32)
        base = background()
        for i in range(int(self.seconds * fps)):
            t = i / fps
            frame = np.clip(base + rng.normal(0, 1.5, base.shape), 0, 255).astype(np.uint8)  # sensor noise
            action = t - self.enters
            if 0 <= action < self.seconds - self.enters - self.still:
                getattr(self, f"_{self.kind}")(frame, action, rng)
            yield frame

    def jpegs(self, fps: int = FPS, quality: int = 85) -> Iterator[bytes]:
        for frame in self.frames(fps):
            ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
            assert ok
            yield buf.tobytes()

    def _paste(self, frame: np.ndarray, image: np.ndarray, x: float, y: float) -> None:
        h, w = image.shape[:2]
        x0, y0 = round(x), round(y)
        fx0, fy0, fx1, fy1 = max(x0, 0), max(y0, 0), min(x0 + w, frame.shape[1]), min(y0 + h, frame.shape[0])
        if fx1 > fx0 and fy1 > fy0:
            frame[fy0:fy1, fx0:fx1] = image[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0]

    def _walk(self, frame: np.ndarray, t: float, rng: np.random.Generator) -> None:
        """Across the view from the left at a walking pace, bobbing a little with each step."""
        assert self.label is not None
        image = cutout(self.label, self.size)
        span = self.seconds - self.enters - self.still
        x = -image.shape[1] * 0.4 + (WIDTH + image.shape[1] * 0.2) * t / span
        y = HEIGHT - self.size - 20 + 4 * math.sin(t * 2 * math.pi * 1.8)
        self._paste(frame, image, x, y)

    def _park(self, frame: np.ndarray, t: float, rng: np.random.Generator) -> None:
        """Drives in from the right for 3 s, then stands where it stopped."""
        assert self.label is not None
        image = cutout(self.label, self.size)
        stop_x = WIDTH * 0.3
        x = WIDTH - (WIDTH - stop_x) * min(t / 3.0, 1.0)
        self._paste(frame, image, x, HEIGHT - self.size - 40)

    def _foliage(self, frame: np.ndarray, t: float, rng: np.random.Generator) -> None:
        """A bush whose leaves sway: a patch of leafy texture moving back and forth."""
        leaves = _leaves()
        shift = 14 * math.sin(t * 2 * math.pi * 0.7)
        region = frame[60:300, 380:600]
        mask = _bush_mask()
        moved = np.roll(leaves, round(shift), axis=1)
        region[mask] = moved[mask]

    def _rain(self, frame: np.ndarray, t: float, rng: np.random.Generator) -> None:
        """Streaks of rain lit by a lamp, new ones every frame."""
        for _ in range(60):
            x, y = int(rng.integers(0, WIDTH)), int(rng.integers(0, HEIGHT))
            cv2.line(frame, (x, y), (x + 3, y + 22), (200, 200, 205), 1, cv2.LINE_AA)

    def _headlights(self, frame: np.ndarray, t: float, rng: np.random.Generator) -> None:
        """A car's lights sweeping across a wall at night: a bright soft blob moving left."""
        span = self.seconds - self.enters - self.still
        cx = WIDTH * (1.1 - 1.2 * t / span)
        yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
        glow = 140 * np.exp(-(((xx - cx) / 110) ** 2 + ((yy - 200) / 70) ** 2))
        frame[:] = np.clip(frame + glow[..., None], 0, 255).astype(np.uint8)


@functools.cache
def _leaves() -> np.ndarray:
    rng = np.random.default_rng(5)
    noise = cv2.resize(rng.normal(0, 1, (30, 28)), (220, 240), interpolation=cv2.INTER_CUBIC)
    green = np.dstack([30 + 25 * noise, 110 + 50 * noise, 40 + 20 * noise])
    return np.clip(green, 0, 255).astype(np.uint8)


@functools.cache
def _bush_mask() -> np.ndarray:
    mask = np.zeros((240, 220), np.uint8)
    cv2.ellipse(mask, (110, 120), (100, 110), 0, 0, 360, 1, -1)
    return mask.astype(bool)


LABELS = ("person", "car", "truck", "dog", "cat", "bicycle", "motorcycle")  # what the suite's hub tracks


def suite() -> list[Scene]:
    """The scene set of ``make bench``: objects to find, and motion that is none (the horse is
    an object, but not one the hub tracks)."""
    return [
        Scene("person walking", "person", "person", 12, 3, "walk"),
        Scene("far person walking", "person", "person", 12, 3, "walk", size=120),
        Scene("dog trotting", "dog", "dog", 10, 3, "walk", size=150),
        Scene("truck parking", "truck", "truck", 14, 3, "park", size=110),
        Scene("horse (not tracked)", "horse", None, 10, 3, "walk", size=160),
        Scene("swaying foliage", None, None, 12, 3, "foliage"),
        Scene("rain", None, None, 10, 3, "rain"),
        Scene("headlight sweep", None, None, 10, 3, "headlights"),
    ]
