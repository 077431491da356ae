"""Frame sources. The Pi camera runs against FakePicamera2, a small stand-in for picamera2's API."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import cv2
import numpy as np
import pytest

from client.sources import (
    EndOfSource,
    FileSource,
    PiCameraSource,
    SourceError,
    SourceMissing,
    SyntheticSource,
    open_source,
)
from common import protocol

# What the fake camera sees, as (R, G, B): a red scene, so channel order shows.
SCENE_RGB = (200, 20, 10)
# picamera2's manual: formats name the little-endian word, so the bytes in memory are reversed.
PICAMERA2_LAYOUT = {
    "RGB888": (2, 1, 0),  # [B, G, R]
    "XRGB8888": (2, 1, 0, None),  # [B, G, R, 255]
    "XBGR8888": (0, 1, 2, None),  # [R, G, B, 255]
}


class FakePicamera2:
    """FAKE of picamera2.Picamera2 (the real one needs a Raspberry Pi): records how it was
    configured and returns arrays laid out as picamera2 documents for each format, the size
    it was configured for (1280x720 when none was asked, picamera2's video default)."""

    instances: list[FakePicamera2] = []
    fail_capture = False

    def __init__(self) -> None:
        self.config: dict | None = None
        self.started = False
        self.closed = False
        FakePicamera2.instances.append(self)

    def create_video_configuration(self, main: dict, lores: dict | None = None, controls: dict | None = None) -> dict:
        self.asked = dict(main)
        config = {"main": {"size": (1280, 720), "format": "XBGR8888", **main}, "controls": dict(controls or {})}
        if lores is not None:  # picamera2: the Pi 4's ISP gives lores only as YUV420, no larger than main
            assert lores["format"] == "YUV420" and lores["size"][0] <= config["main"]["size"][0]
            config["lores"] = dict(lores)
        return config

    def configure(self, config: dict) -> None:
        self.config = config

    def start(self) -> None:
        assert self.config is not None, "picamera2 must be configured before start()"
        self.started = True

    def capture_array(self, name: str = "main") -> np.ndarray:
        assert self.started and name == "main"
        if FakePicamera2.fail_capture:
            raise RuntimeError("Camera frontend has timed out!")
        w, h = self.config["main"]["size"]
        layout = PICAMERA2_LAYOUT[self.config["main"]["format"]]
        pixel = [255 if i is None else SCENE_RGB[i] for i in layout]
        return np.full((h, w, len(pixel)), pixel, np.uint8)

    def capture_request(self) -> FakeRequest:
        assert self.started
        return FakeRequest(self)

    def stop(self) -> None:
        self.started = False

    def close(self) -> None:
        self.closed = True


class FakeRequest:
    """FAKE of picamera2's CompletedRequest: both streams of one frame, until release()."""

    def __init__(self, camera: FakePicamera2) -> None:
        self.camera, self.released = camera, False

    def make_array(self, name: str) -> np.ndarray:
        assert not self.released
        if name == "main":
            return self.camera.capture_array("main")
        w, h = self.camera.config["lores"]["size"]  # YUV420 (I420): h rows of Y, then U and V, h/2 x w in all
        bgr = np.full((h, w, 3), SCENE_RGB[::-1], np.uint8)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420)

    def release(self) -> None:
        self.released = True


@pytest.fixture
def fake_picamera2(monkeypatch: pytest.MonkeyPatch) -> type[FakePicamera2]:
    module = types.ModuleType("picamera2")
    module.Picamera2 = FakePicamera2  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "picamera2", module)
    FakePicamera2.instances.clear()
    FakePicamera2.fail_capture = False
    return FakePicamera2


def test_picamera_configures_size_format_and_rate(fake_picamera2: type[FakePicamera2]) -> None:
    source = open_source("picamera", 800, 12, loop=False)
    cam = fake_picamera2.instances[0]
    assert cam.config == {"main": {"size": (800, 600), "format": "RGB888"}, "controls": {"FrameRate": 12.0}}
    frame = source.read()
    assert frame.shape == (600, 800, 3)
    source.close()
    assert cam.closed and not cam.started


@pytest.mark.parametrize("pixel_format", ["RGB888", "XRGB8888", "XBGR8888"])
def test_picamera_frames_are_bgr_whatever_the_format(fake_picamera2: type[FakePicamera2], pixel_format: str) -> None:
    frame = PiCameraSource(320, 10, pixel_format).read()
    assert frame.shape == (240, 320, 3) and frame.flags.c_contiguous
    b, g, r = (int(v) for v in frame[0, 0])
    assert (r, g, b) == SCENE_RGB, f"{pixel_format}: channels in the wrong order"
    decoded = cv2.imdecode(cv2.imencode(".jpg", frame)[1], cv2.IMREAD_COLOR)
    assert decoded[0, 0, 2] > 150 and decoded[0, 0, 0] < 60, "the JPEG the hub gets shows red as red"


def test_picamera_gives_its_lores_picture_of_the_same_frame_for_the_sub_image(
    fake_picamera2: type[FakePicamera2],
) -> None:
    source = open_source("picamera", 640, 15, loop=False, sub_width=320)
    cam = fake_picamera2.instances[0]
    assert cam.config["lores"] == {"format": "YUV420", "size": (320, 240)}
    frame = source.read()
    assert frame.shape == (480, 640, 3) and source.lores is not None and source.lores.shape == (240, 320, 3)
    b, g, r = (int(v) for v in source.lores[120, 160])
    assert abs(r - SCENE_RGB[0]) < 8 and abs(g - SCENE_RGB[1]) < 8 and abs(b - SCENE_RGB[2]) < 8, "YUV420 -> BGR"
    from client.cli import sub_image

    assert protocol.jpeg_size(sub_image(frame, source.lores, 320)) == (320, 240)
    assert open_source("picamera", 320, 15, loop=False, sub_width=320).read() is not None  # no lores as large as main
    assert "lores" not in fake_picamera2.instances[1].config


def test_picamera_width_0_keeps_the_camera_default_size(fake_picamera2: type[FakePicamera2]) -> None:
    source = open_source("picamera", 0, 10, loop=False)
    assert fake_picamera2.instances[0].asked == {"format": "RGB888"}, "no size asked: the camera's own"
    assert source.read().shape == (720, 1280, 3)


def test_picamera_capture_failure_is_a_source_error(fake_picamera2: type[FakePicamera2]) -> None:
    source = PiCameraSource(640, 10)
    fake_picamera2.fail_capture = True
    with pytest.raises(SourceError, match="capture failed"):
        source.read()


def test_picamera_missing_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "picamera2", None)
    with pytest.raises(SourceError, match="apt install python3-picamera2"):
        open_source("picamera", 640, 10, loop=False)


def test_unknown_source_is_explained() -> None:
    with pytest.raises(SourceError, match="unknown source 'webcam'"):
        open_source("webcam", 640, 10, loop=False)


def test_missing_device_is_explained() -> None:
    with pytest.raises(SourceError, match="cannot open camera '/dev/video99': no such camera, or no permission") as err:
        open_source("/dev/video99", 640, 10, loop=False)
    assert not isinstance(err.value, SourceMissing), "a camera may be plugged in later: the sender retries"


@pytest.mark.parametrize(
    "spec, message",
    [
        ("/srv/clips/garage.mp4", "video file '/srv/clips/garage.mp4' not found"),
        ("garage.mp4", "video file 'garage.mp4' not found"),
        ("webcam", "unknown source 'webcam'"),
        ("ftp://admin:S3cret@cam/x", "unknown kind of URL 'ftp://admin:***@cam/x'"),
    ],
)
def test_a_source_that_can_never_work_says_what_to_fix(spec: str, message: str) -> None:
    with pytest.raises(SourceMissing, match=re.escape(message)):
        open_source(spec, 640, 10, loop=False)


def test_synthetic_moves_and_still_does_not() -> None:
    times = iter([0.0, 1.0])
    moving, still = SyntheticSource(320, clock=lambda: next(times)), SyntheticSource(320, moving=False)
    a, b = moving.read(), moving.read()
    assert a.shape == (240, 320, 3) and a.dtype == np.uint8
    assert (np.abs(a.astype(int) - b).max(axis=2) > 60).sum() > 1000  # the square moved
    s1, s2 = still.read(), still.read()
    assert 0 < np.abs(s1.astype(int) - s2).mean() < 6  # noise only


def test_file_source_ends_or_loops(tmp_path: Path) -> None:
    path = str(tmp_path / "clip.avi")
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for i in range(3):
        writer.write(np.full((48, 64, 3), i * 60, np.uint8))
    writer.release()
    once = FileSource(path, loop=False)
    for _ in range(3):
        once.read()
    with pytest.raises(EndOfSource):
        once.read()
    looped = FileSource(path, loop=True)
    assert len([looped.read() for _ in range(7)]) == 7


def test_the_demo_masks_the_clock_its_synthetic_cameras_burn_in(tmp_path: Path) -> None:
    from hub.demo import CLOCK_MASK, mask_the_clocks
    from hub.masks import SavedMasks

    source = SyntheticSource(width=640, clock=lambda: 0.0)  # the square stays put: only the clock can change
    drawn = source.read()
    clock = np.abs(drawn.astype(int) - source._noisy[0].astype(int)).max(axis=2) > 60
    side = 640 // 8
    x, y = int((640 - side) * 0.5), int((480 - side) * 0.5)
    clock[y : y + side + 1, x : x + side + 1] = False  # the square
    rows, cols = np.nonzero(clock)
    assert len(rows) > 100, "the clock is drawn"
    (x0, y0), (x1, y1) = CLOCK_MASK[0], CLOCK_MASK[2]
    assert x0 * 640 <= cols.min() and cols.max() < x1 * 640, "inside the mask"
    assert y0 * 480 <= rows.min() and rows.max() < y1 * 480, "inside the mask"
    mask_the_clocks(tmp_path, 4)
    saved = SavedMasks(tmp_path)
    assert [saved.get(f"demo-{i}") for i in range(1, 5)] == [(CLOCK_MASK,)] * 3 + [()]
