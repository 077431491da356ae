"""The motion analysis on synthetic frames with known motion: both detectors, the seed's
exact behaviour, hysteresis, minimum area, masks, frame-size changes and analysis_fps."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

import cv2
import numpy as np
import pytest

from common.motion import Hysteresis, MotionAnalyzer, MotionSettings, SingleMotionDetector, reduction_for
from tests.conftest import jpeg, scene

# The tutorial exactly: its detector, every detection shown at once, no minimum area.
TUTORIAL = MotionSettings(detector="seed", min_area=0, start_frames=1, end_frames=1, frame_count=32)
BOTH = [TUTORIAL, MotionSettings(frame_count=32)]


def run(analyzer: MotionAnalyzer, frames: Sequence[np.ndarray]) -> list:
    """The motion box of each frame (None while the camera shows no motion)."""
    boxes = []
    for frame in frames:
        data = jpeg(frame)
        gray = analyzer.gray_from_jpeg(data, frame.shape[1])
        boxes.append(analyzer.analyze(gray, frame.shape[1], frame.shape[0]).box)
    return boxes


def settings(base: MotionSettings = TUTORIAL, **changes: object) -> MotionSettings:
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize("chosen", BOTH, ids=["seed", "robust"])
def test_still_scene_with_noise_reports_no_motion(chosen: MotionSettings) -> None:
    boxes = run(MotionAnalyzer(chosen), [scene(i, moving=False) for i in range(60)])
    assert boxes == [None] * 60


@pytest.mark.parametrize("chosen", BOTH, ids=["seed", "robust"])
def test_moving_square_is_boxed_in_source_pixels(chosen: MotionSettings) -> None:
    frames = [scene(i, moving=True) for i in range(50)]
    boxes = run(MotionAnalyzer(chosen), frames)
    assert all(b is None for b in boxes[:33]), "no detection during the 32 warm-up frames"
    for i in range(35, 50):
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
    a, b = MotionAnalyzer(settings(frame_count=5)), MotionAnalyzer(settings(frame_count=5))
    for i in range(12):
        frame = scene(i, moving=True)
        box_j = a.analyze(a.gray_from_jpeg(jpeg(frame, 95), 640), 640, 480).box
        box_p = b.analyze(b.gray_from_pixels(frame), 640, 480).box
        assert (box_j is None) == (box_p is None)
        if box_j:
            assert max(abs(p - q) for p, q in zip(box_j, box_p, strict=False)) <= 12


def test_a_stray_frame_of_another_size_does_not_reset_the_model() -> None:
    """Two senders under one name used to alternate sizes and keep detection in warm-up."""
    analyzer = MotionAnalyzer(settings(frame_count=3))
    run(analyzer, [scene(i, True) for i in range(6)])
    small = cv2.resize(scene(7, True), (400, 300))
    for i in range(8, 20):  # one stray small frame after every big one
        shown = analyzer.analyze(analyzer.gray_from_jpeg(jpeg(small), 400), 400, 300)
        assert shown is analyzer.last, "a skipped frame keeps the camera's state"
        run(analyzer, [scene(i, True)])
    assert analyzer.resets == 0 and analyzer.total == 18
    assert run(analyzer, [scene(20, True)])[0] is not None, "still detecting at the original size"


def test_a_lasting_resolution_change_rebuilds_the_background() -> None:
    analyzer = MotionAnalyzer(settings(frame_count=3))
    run(analyzer, [scene(i, False) for i in range(6)])
    small = [cv2.resize(scene(i, True), (400, 300)) for i in range(7, 7 + MotionAnalyzer.RESIZE_AFTER + 5)]
    boxes = run(analyzer, small)
    assert analyzer.resets == 1
    assert boxes[: MotionAnalyzer.RESIZE_AFTER] == [None] * MotionAnalyzer.RESIZE_AFTER
    assert analyzer.total == 6, "rebuilt from the first frame of the lasting size"
    assert boxes[-1] is not None, "detecting again at the new size after warm-up"


def test_hysteresis_needs_a_run_to_start_and_a_quiet_run_to_end() -> None:
    h = Hysteresis(start=2, end=3)
    seen = [1, 0, 1, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0]
    assert [int(h.update(bool(s))) for s in seen] == [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]


@functools.cache
def square_clip(
    count: int = 60, size: int = 90, at: tuple[int, int] | None = None, blink: bool = False
) -> tuple[np.ndarray, ...]:
    """Still noisy frames; from frame 36 a square of ``size`` px moves across (or stands at
    ``at``, blinking every other frame if ``blink``)."""
    frames = []
    for i in range(count):
        frame = scene(i, moving=False)
        if i >= 36:
            x, y = at if at else (40 + 8 * (i - 36), 150)
            if not blink or i % 2:
                cv2.rectangle(frame, (x, y), (x + size, y + size), (30, 220, 250), -1)
        frames.append(frame)
    return tuple(frames)


@pytest.mark.parametrize("detector", ["seed", "robust"])
def test_one_speck_never_starts_motion(detector: str) -> None:
    specks = square_clip(size=5, at=(300, 300), blink=True)  # a 5 px insect, there and gone
    assert run(MotionAnalyzer(MotionSettings(detector=detector)), specks) == [None] * 60
    big = square_clip(size=40, at=(300, 300))
    assert any(run(MotionAnalyzer(MotionSettings(detector=detector)), big)), "a 40 px thing that comes does"
    fussy = MotionSettings(detector=detector, min_area=0.02)  # 40x40 is 0.5 % of 640x480
    assert run(MotionAnalyzer(fussy), big) == [None] * 60


@pytest.mark.parametrize("detector", ["seed", "robust"])
def test_motion_inside_a_mask_is_ignored(detector: str) -> None:
    frames = square_clip()  # the square moves through x 40..340, y 150..240 of 640x480
    band = ((0.0, 0.25), (1.0, 0.25), (1.0, 0.6), (0.0, 0.6))
    masked = MotionAnalyzer(MotionSettings(detector=detector, masks=(band,)))
    assert run(masked, frames) == [None] * 60
    elsewhere = ((0.0, 0.7), (1.0, 0.7), (1.0, 1.0), (0.0, 1.0))
    other = MotionAnalyzer(MotionSettings(detector=detector, masks=(elsewhere,)))
    assert any(run(other, frames)), "a mask elsewhere leaves the square's motion alone"


def test_masks_saved_while_running_apply_from_the_next_frame_without_rebuilding() -> None:
    analyzer = MotionAnalyzer(MotionSettings())
    frames = square_clip(count=80)
    assert any(run(analyzer, frames[:50]))
    band = ((0.0, 0.25), (1.0, 0.25), (1.0, 0.6), (0.0, 0.6))
    analyzer.configure(dataclasses.replace(analyzer.settings, masks=(band,)))
    boxes = run(analyzer, frames[50:])
    assert all(b is None for b in boxes), boxes
    assert analyzer.total == 80, "a mask change keeps the background model"
    analyzer.configure(dataclasses.replace(analyzer.settings, detector="seed"))
    run(analyzer, frames[:1])
    assert analyzer.total == 1, "a detector change rebuilds it"


def test_analysis_fps_skips_frames_by_their_time() -> None:
    analyzer = MotionAnalyzer(MotionSettings(analysis_fps=15))
    frame = scene(0, moving=False)
    analysed = []
    for i in range(60):  # a 30 fps camera, with arrival jitter
        t = i / 30 + (0.004 if i % 3 else -0.004)
        if analyzer.due(t):
            analyzer.analyze(analyzer.gray_from_pixels(frame), 640, 480, t)
            analysed.append(i)
    assert len(analysed) == 30 and analysed[:4] == [0, 2, 4, 6]
    every = MotionAnalyzer(MotionSettings())
    assert all(every.due(i / 30) for i in range(5))


def test_unknown_detector_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown detector 'fancy'; use one of robust, seed"):
        MotionAnalyzer(MotionSettings(detector="fancy"))


@functools.cache
def lit_clip() -> tuple[np.ndarray, ...]:
    """A lamp comes on at frame 40 and lights the left half of the room (one gain cannot
    explain it); nothing moves."""
    frames = []
    for i in range(80):
        frame = scene(i, moving=False).astype(np.float32)
        if i >= 40:
            frame[:, :320] *= 1.6
        frames.append(np.clip(frame, 0, 255).astype(np.uint8))
    return tuple(frames)


def test_a_lamp_lighting_half_the_room_is_not_motion() -> None:
    analyzer = MotionAnalyzer(MotionSettings())
    assert run(analyzer, lit_clip()) == [None] * 80
    detector = analyzer.detector
    assert getattr(detector, "relearns", 0) >= 1, "recognised as a change of light"
    assert any(run(MotionAnalyzer(TUTORIAL), lit_clip())), "the tutorial's detector takes it for motion"


def test_a_parked_object_joins_the_background_after_absorb_after() -> None:
    analyzer = MotionAnalyzer(MotionSettings(absorb_after=2.0))
    parked = square_clip(count=36 + 8 * 15, size=60, at=(300, 200))  # arrives at frame 36, stays 8 s
    shown = [
        analyzer.analyze(analyzer.gray_from_jpeg(jpeg(f), 640), 640, 480, i / 15).motion for i, f in enumerate(parked)
    ]
    assert any(shown[36:45]), "seen arriving"
    assert not any(shown[36 + 4 * 15 :]), "part of the background 2 s after it stopped (checked once a second)"


def _texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A coat with a pattern of its own (its edges are nowhere in the room)."""
    coat = rng.integers(40, 200, (height // 16 + 1, width // 16 + 1), dtype=np.uint8)
    return cv2.resize(coat, (width, height), interpolation=cv2.INTER_NEAREST)


@functools.cache
def close_visitor_clip() -> tuple[np.ndarray, ...]:
    """Someone steps right up to a doorbell camera at frame 40: half of the view is their coat."""
    rng = np.random.default_rng(7)
    coat = cv2.cvtColor(_texture(rng, 480, 360), cv2.COLOR_GRAY2BGR)
    frames = []
    for i in range(70):
        frame = scene(i, moving=False)
        if i >= 40:
            x = 140 + (i % 4) * 6  # they sway
            frame[:, x : x + 360] = coat
        frames.append(frame)
    return tuple(frames)


def test_someone_close_to_the_camera_is_motion_not_a_change_of_light() -> None:
    analyzer = MotionAnalyzer(MotionSettings())
    boxes = run(analyzer, close_visitor_clip())
    assert boxes[:40] == [None] * 40
    assert all(boxes[42:52]), "the person covering half the view is motion"
    assert getattr(analyzer.detector, "occlusions", 0) >= 1 and getattr(analyzer.detector, "relearns", 0) == 0


def test_a_covered_lens_is_a_blocked_view_then_clear_again_without_a_false_event() -> None:
    analyzer = MotionAnalyzer(MotionSettings())
    dark = np.full((480, 640, 3), 18, np.uint8)
    shown = []
    for i in range(150):
        covered = 40 <= i < 100  # a hand over the lens for 4 s
        frame = cv2.GaussianBlur(dark, (0, 0), 5) + np.uint8(i % 2) if covered else scene(i, moving=False)
        found = analyzer.analyze(analyzer.gray_from_jpeg(jpeg(frame), 640), 640, 480, i / 15)
        shown.append(found)
    assert not any(f.blocked for f in shown[:40])
    assert all(f.blocked and not f.motion for f in shown[80:100]), "blocked within about 2 s, and no motion"
    assert not any(f.blocked for f in shown[115:]) and not any(f.motion for f in shown[115:]), "clear, no ghost"
