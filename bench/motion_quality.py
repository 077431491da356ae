"""Motion quality on the scene suite: today's hub analysis (the seed's detector, exactly as the
hub runs it) beside OpenCV's MOG2 as a reference, per scene and on average, with CPU per frame.

Run by ``make bench`` (scenario ``motion``); three takes of every scene, as issue 10 asks.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from bench.scenes import SCENES, score
from common.motion import MotionAnalyzer

MIN_AREA = 0.002  # MOG2 reference: share of the frame that must move (specks are not motion)


def seed_detector() -> Callable[[bytes, int, int], bool]:
    """The hub's analysis today: MotionAnalyzer with the hub's defaults; motion = a box."""
    analyzer = MotionAnalyzer()

    def detect(jpeg: bytes, width: int, height: int) -> bool:
        gray = analyzer.gray_from_jpeg(jpeg, width)
        return gray is not None and analyzer.analyze(gray, width, height) is not None

    return detect


def mog2_detector() -> Callable[[bytes, int, int], bool]:
    """OpenCV's MOG2 with shadow detection off, on the same half-scale grey frames."""
    subtractor = cv2.createBackgroundSubtractorMOG2(history=300, varThreshold=25, detectShadows=False)
    kernel = np.ones((3, 3), np.uint8)

    def detect(jpeg: bytes, width: int, height: int) -> bool:
        gray = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_2)
        mask = cv2.morphologyEx(subtractor.apply(gray), cv2.MORPH_OPEN, kernel)
        return bool(cv2.countNonZero(mask) > MIN_AREA * mask.size)

    return detect


DETECTORS: dict[str, Callable[[], Callable[[bytes, int, int], bool]]] = {
    "seed": seed_detector,
    "mog2": mog2_detector,
}


def run(takes: int = 3, scenes: tuple[Any, ...] = SCENES) -> dict[str, Any]:
    """Score every detector on every take of every scene; returns per-scene and mean figures.

    A scene without true motion scores F1 1.0 only if no motion is reported after the warm-up
    (precision is 0 otherwise): the false-events column says how badly it was fooled.
    """
    rows: dict[str, list[Any]] = {label: [] for label in DETECTORS}
    cpu = dict.fromkeys(DETECTORS, 0.0)
    frames = 0
    for scene in scenes:
        for take in range(takes):
            footage = list(scene.frames(take))  # rendered once, fed to every detector
            truth = [moving for _, moving in footage]
            frames += len(footage)
            for label, make in DETECTORS.items():
                detect = make()
                started = time.process_time()
                motion = [detect(jpeg, 640, 480) for jpeg, _ in footage]
                cpu[label] += time.process_time() - started
                rows[label].append(score(scene.name, motion, truth))
    out: dict[str, Any] = {}
    for label, scored in rows.items():
        out[label] = {
            "mean_f1": statistics.mean(r.f1 for r in scored),
            "false_events": sum(r.false_events for r in scored),
            "ms_per_frame": 1000 * cpu[label] / max(frames, 1),
            "scenes": {
                s.name: {
                    "f1": statistics.mean(r.f1 for r in scored if r.scene == s.name),
                    "false_events": sum(r.false_events for r in scored if r.scene == s.name),
                }
                for s in scenes
            },
        }
    return out


def table(result: dict[str, Any]) -> str:
    labels = list(result)
    lines = [
        "| scene | " + " | ".join(f"{label} F1 (false events)" for label in labels) + " |",
        "|---" * (len(labels) + 1) + "|",
    ]
    for scene in result[labels[0]]["scenes"]:
        cells = [
            f"{result[lb]['scenes'][scene]['f1']:.3f} ({result[lb]['scenes'][scene]['false_events']})" for lb in labels
        ]
        lines.append(f"| {scene} | " + " | ".join(cells) + " |")
    lines.append(
        "| **mean** | "
        + " | ".join(f"**{result[lb]['mean_f1']:.3f}** ({result[lb]['false_events']})" for lb in labels)
        + " |"
    )
    lines.append("| CPU per frame | " + " | ".join(f"{result[lb]['ms_per_frame']:.2f} ms" for lb in labels) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
