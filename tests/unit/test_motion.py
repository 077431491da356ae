"""The detector on synthetic frames with known motion."""

from __future__ import annotations

import cv2
import numpy as np

from common.motion import MotionAnalyzer, SingleMotionDetector, reduction_for
from tests.conftest import jpeg, scene


def run(analyzer: MotionAnalyzer, frames: list[np.ndarray]) -> list:
    boxes = []
    for frame in frames:
        data = jpeg(frame)
        gray = analyzer.gray_from_jpeg(data, frame.shape[1])
        boxes.append(analyzer.analyze(gray, frame.shape[1], frame.shape[0]))
    return boxes


def test_still_scene_with_noise_reports_no_motion() -> None:
    boxes = run(MotionAnalyzer(frame_count=32), [scene(i, moving=False) for i in range(60)])
    assert boxes == [None] * 60


def test_moving_square_is_boxed_in_source_pixels() -> None:
    frames = [scene(i, moving=True) for i in range(50)]
    boxes = run(MotionAnalyzer(frame_count=32), frames)
    assert all(b is None for b in boxes[:33]), "no detection during the 32 warm-up frames"
    for i in range(34, 50):
        x = 40 + (i * 12) % (640 - 200)
        x1, y1, x2, y2 = boxes[i]
        # The box covers the square (x..x+90, 150..260); the background's trail may widen it.
        assert x1 <= x + 8 and x2 >= x + 82, (i, boxes[i], x)
        assert 130 <= y1 <= 160 and 250 <= y2 <= 280, (i, boxes[i])


def test_seed_detector_matches_seed_defaults() -> None:
    detector = SingleMotionDetector(accum_weight=0.1)
    still = np.full((120, 160), 100, np.uint8)
    assert detector.detect(still) is None  # no background yet
    detector.update(still)
    assert detector.detect(still) is None
    moved = still.copy()
    moved[40:80, 50:90] = 200
    thresh, box = detector.detect(moved)
    assert box == (50, 40, 90, 80)
    assert thresh.dtype == np.uint8 and thresh.max() == 255
    slight = still.copy()
    slight[40:80, 50:90] = 100 + 25  # tVal 25: a difference of exactly 25 is not motion
    assert detector.detect(slight) is None


def test_reduction_keeps_at_least_motion_width() -> None:
    assert reduction_for(640, 320) == 2
    assert reduction_for(1280, 320) == 4
    assert reduction_for(1920, 320) == 4
    assert reduction_for(320, 320) == 1
    assert reduction_for(4000, 320) == 8


def test_raw_pixels_and_jpeg_give_the_same_answer() -> None:
    a, b = MotionAnalyzer(frame_count=5), MotionAnalyzer(frame_count=5)
    for i in range(12):
        frame = scene(i, moving=True)
        box_j = a.analyze(a.gray_from_jpeg(jpeg(frame, 95), 640), 640, 480)
        box_p = b.analyze(b.gray_from_pixels(frame), 640, 480)
        assert (box_j is None) == (box_p is None)
        if box_j:
            assert max(abs(p - q) for p, q in zip(box_j, box_p, strict=False)) <= 12


def test_a_stray_frame_of_another_size_does_not_reset_the_model() -> None:
    """Two senders under one name used to alternate sizes and keep detection in warm-up."""
    analyzer = MotionAnalyzer(frame_count=3)
    run(analyzer, [scene(i, True) for i in range(6)])
    small = cv2.resize(scene(7, True), (400, 300))
    for i in range(8, 20):  # one stray small frame after every big one
        assert analyzer.analyze(analyzer.gray_from_jpeg(jpeg(small), 400), 400, 300) is None
        run(analyzer, [scene(i, True)])
    assert analyzer.resets == 0 and analyzer.total == 18
    assert run(analyzer, [scene(20, True)])[0] is not None, "still detecting at the original size"


def test_a_lasting_resolution_change_rebuilds_the_background() -> None:
    analyzer = MotionAnalyzer(frame_count=3)
    run(analyzer, [scene(i, False) for i in range(6)])
    small = [cv2.resize(scene(i, True), (400, 300)) for i in range(7, 7 + MotionAnalyzer.RESIZE_AFTER + 5)]
    boxes = run(analyzer, small)
    assert analyzer.resets == 1
    assert boxes[: MotionAnalyzer.RESIZE_AFTER] == [None] * MotionAnalyzer.RESIZE_AFTER
    assert analyzer.total == 6, "rebuilt from the first frame of the lasting size"
    assert boxes[-1] is not None, "detecting again at the new size after warm-up"
