"""Benchmark frames: a detailed scene with a moving object, and a frame number written into
the pixels as big black/white blocks that survive JPEG, for sender-to-viewer latency."""

from __future__ import annotations

import cv2
import numpy as np

BITS = 20
BLOCK = 16  # pixels per bit block


# (texture scale, texture strength, sensor noise): "plain" gives about 21 KB at 640x480 and
# quality 90, "detailed" about 43 KB (the issue measured a plain 23 KB and a detailed 56 KB frame).
DETAIL = {"plain": (16, 3.0, 1.2, 71.0), "detailed": (8, 6.0, 2.5, 31.0)}


def frames(width: int, height: int, count: int, quality: int = 90, detail: str = "plain") -> list[bytes]:
    """``count`` pre-encoded JPEGs of a scene with a square crossing it."""
    cell, strength, noise, wave = DETAIL[detail]
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:height, 0:width]
    base = 90 + 50 * np.sin(xx / wave) * np.cos(yy / (wave * 1.5)) + 35 * (xx / width)
    scene = np.dstack([base, base * 0.9 + 12, base * 0.8 + 25])
    texture = rng.normal(0, strength, (height // cell, width // cell, 3))
    scene = np.clip(scene + cv2.resize(texture, (width, height), interpolation=cv2.INTER_CUBIC), 0, 255)
    out = []
    for i in range(count):
        frame = np.clip(scene + rng.normal(0, noise, scene.shape), 0, 255).astype(np.uint8)
        side = width // 8
        x = int((width - side) * (0.5 + 0.5 * np.sin(i / count * 2 * np.pi)))
        cv2.rectangle(frame, (x, height // 3), (x + side, height // 3 + side), (40, 60, 220), -1)
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
        assert ok
        out.append(buf.tobytes())
    return out


def stamp(frame: np.ndarray, number: int) -> None:
    """Write ``number`` into the top-left corner as BITS black/white blocks."""
    for bit in range(BITS):
        value = 255 if number >> bit & 1 else 0
        frame[0:BLOCK, bit * BLOCK : (bit + 1) * BLOCK] = value


def read_stamp(jpeg: bytes) -> int:
    """Read back the number ``stamp`` wrote, from a JPEG."""
    gray = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_2)
    half = BLOCK // 2
    row = gray[half // 2, : BITS * half]
    return sum(1 << bit for bit in range(BITS) if row[bit * half + half // 2] > 127)
