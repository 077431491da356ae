"""Motion quality on the scene suite: the hub's analysis with ``--detector seed`` (the tutorial's
behaviour exactly: every detection shown, no minimum area) and with its default, the robust
detector, beside OpenCV's MOG2 as a reference; per scene and on average, with CPU per frame
(decode included). Then the smallest far figure each analysis width still finds.

Run by ``make bench`` (scenario ``motion``); three takes of every scene.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from bench.scenes import FPS, SCENES, Person, Scene, score
from common.motion import MotionAnalyzer, MotionSettings
from common.protocol import SUB_WIDTH

MIN_AREA = 0.002  # MOG2 reference: share of the frame that must move (specks are not motion)
TUTORIAL = MotionSettings(detector="seed", min_area=0, start_frames=1, end_frames=1)
Detect = Callable[[bytes, float], bool]  # (JPEG, seconds) -> motion shown


def sub_image(jpeg: bytes) -> bytes:
    """The sub-image a camnet sender makes of a frame: its own code (client/cli.py)."""
    from client.cli import sub_image as make

    return make(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR), None, SUB_WIDTH)


def hub_detector(settings: MotionSettings, width: int = 640) -> Callable[[], Detect]:
    """The hub's own analysis (MotionAnalyzer) with these settings, of JPEGs ``width`` wide (320:
    the sub-images); motion = the camera's state."""

    def make() -> Detect:
        analyzer = MotionAnalyzer(settings)

        def detect(jpeg: bytes, t: float) -> bool:
            gray = analyzer.gray_from_jpeg(jpeg, width)
            return gray is not None and analyzer.analyze(gray, 640, 480, t).motion

        return detect

    return make


def mog2_detector() -> Detect:
    """OpenCV's MOG2 with shadow detection off, on the same half-scale grey frames."""
    subtractor = cv2.createBackgroundSubtractorMOG2(history=300, varThreshold=25, detectShadows=False)
    kernel = np.ones((3, 3), np.uint8)

    def detect(jpeg: bytes, t: float) -> bool:
        gray = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_2)
        mask = cv2.morphologyEx(subtractor.apply(gray), cv2.MORPH_OPEN, kernel)
        return bool(cv2.countNonZero(mask) > MIN_AREA * mask.size)

    return detect


DETECTORS: dict[str, Callable[[], Detect]] = {
    "seed": hub_detector(TUTORIAL),
    "robust": hub_detector(MotionSettings()),
    "robust on sub-images": hub_detector(MotionSettings(), 320),  # fed the senders' 320-wide sub-images
    "mog2": mog2_detector,
}
ON_SUB = {"robust on sub-images"}


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
            subs = [sub_image(jpeg) for jpeg, _ in footage]  # made by the sender: not the hub's CPU
            frames += len(footage)
            for label, make in DETECTORS.items():
                detect = make()
                fed = subs if label in ON_SUB else [jpeg for jpeg, _ in footage]
                started = time.process_time()
                motion = [detect(jpeg, i / FPS) for i, jpeg in enumerate(fed)]
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


SUB_ROW = "160 from sub-images"
FIGURES = (26, 20, 16, 12, 8)  # heights in pixels of a 640x480 frame; "small far object" is 26


def small_objects(widths: tuple[int, ...] = (160, 320), takes: int = 2) -> dict[str, dict[str, float]]:
    """Recall of the robust detector on ever smaller far figures, at each analysis width, and
    at 160 from the senders' sub-images ("160 from sub-images"): what a smaller analysis scale,
    and a sub-image, lose. {"<width>": {"<height px>": recall}}."""
    out: dict[str, dict[str, float]] = {str(w): {} for w in widths}
    out[SUB_ROW] = {}
    for height in FIGURES:
        scene = Scene(f"far figure {height} px", people=(Person(4.0, 9.0, 60, 580, 200, height, 30),))
        for take in range(takes):
            footage = list(scene.frames(take))
            truth = [moving for _, moving in footage]
            for width in widths:
                detect = hub_detector(MotionSettings(motion_width=width))()
                motion = [detect(jpeg, i / FPS) for i, (jpeg, _) in enumerate(footage)]
                recall = score(scene.name, motion, truth).recall / takes
                out[str(width)][str(height)] = out[str(width)].get(str(height), 0.0) + recall
            detect = hub_detector(MotionSettings(), 320)()
            motion = [detect(sub_image(jpeg), i / FPS) for i, (jpeg, _) in enumerate(footage)]
            out[SUB_ROW][str(height)] = (
                out[SUB_ROW].get(str(height), 0.0) + score(scene.name, motion, truth).recall / takes
            )
    return out


def small_table(result: dict[str, dict[str, float]]) -> str:
    heights = list(next(iter(result.values())))
    lines = [
        "| analysis width | " + " | ".join(f"{h} px figure" for h in heights) + " |",
        "|---" * (len(heights) + 1) + "|",
    ]
    for width, recalls in result.items():
        lines.append(f"| {width} px | " + " | ".join(f"{recalls[h]:.2f}" for h in heights) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
    print(small_table(small_objects()))
