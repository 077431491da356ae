"""``camnet-motion`` over footage: a directory of JPEGs and a video file, through exactly the
hub's analysis and the camera's settings from the hub's TOML file."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from bench.scenes import SCENES, score
from common.motion import MotionAnalyzer, MotionSettings
from hub import tune
from tests.conftest import start_process

WALKER = next(s for s in SCENES if s.name == "walker")


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[bool]]:
    """The walker scene as a directory of JPEGs named as a camera's recorder would."""
    folder = tmp_path_factory.mktemp("driveway")
    truth = []
    for i, (jpeg, moving) in enumerate(WALKER.frames()):
        (folder / f"frame-{i:05d}.jpg").write_bytes(jpeg)
        truth.append(moving)
    (folder / "notes.txt").write_text("not a frame")
    return folder, truth


def lines(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict]:
    assert tune.main(list(argv)) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_jsonl_is_the_hubs_motion_state_for_every_frame(footage, capsys) -> None:  # type: ignore[no-untyped-def]
    folder, truth = footage
    out = lines(capsys, str(folder), "--jsonl")
    assert [o["frame"] for o in out] == list(range(len(truth)))
    analyzer = MotionAnalyzer(MotionSettings())  # the hub's defaults, run directly
    expected = []
    for i, path in enumerate(sorted(folder.glob("*.jpg"))):
        found = analyzer.analyze(analyzer.gray_from_jpeg(path.read_bytes(), 640), 640, 480, i / 15)
        expected.append({"frame": i, "motion": found.motion, "box": list(found.box) if found.box else None})
    assert out == expected
    assert score("walker", [o["motion"] for o in out], truth).f1 > 0.95


def test_a_cameras_table_and_flags_apply(footage, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder, _ = footage
    hub_toml = tmp_path / "hub.toml"
    hub_toml.write_text("[cameras.driveway]\nmasks = [[[0, 0], [1, 0], [1, 1], [0, 1]]]\n")
    masked = lines(capsys, str(folder), "--jsonl", "--config", str(hub_toml), "--camera", "driveway")
    assert not any(o["motion"] for o in masked), "the whole view is masked"
    other = lines(capsys, str(folder), "--jsonl", "--config", str(hub_toml), "--camera", "porch")
    assert any(o["motion"] for o in other), "another camera has no mask"
    slow = lines(capsys, str(folder), "--jsonl", "--start-frames", "30")
    first = next(o["frame"] for o in slow if o["motion"])
    assert first >= next(o["frame"] for o in other if o["motion"]) + 25, "the flag wins"


def test_the_table_shows_motion_periods_and_cpu(footage, capsys) -> None:  # type: ignore[no-untyped-def]
    folder, _ = footage
    assert tune.main([str(folder), "--detector", "seed"]) == 0
    text = capsys.readouterr().out
    assert "detector seed" in text and "1 motion period(s)" in text and "ms CPU per analysed frame" in text


def test_a_video_file_is_encoded_as_the_sender_would(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    video = tmp_path / "walker.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 15, (640, 480))
    truth = []
    for jpeg, moving in WALKER.frames(1):
        writer.write(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR))
        truth.append(moving)
    writer.release()
    out = lines(capsys, str(video), "--jsonl")
    assert len(out) == len(truth)
    assert score("walker", [o["motion"] for o in out], truth).f1 > 0.95


def test_bad_input_is_named(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert tune.main([str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert tune.main([str(tmp_path)]) == 2
    assert "holds no .jpg or .jpeg files" in capsys.readouterr().err
    (tmp_path / "a.jpg").write_bytes(b"not a jpeg")
    (tmp_path / "b.jpg").write_bytes(next(WALKER.frames())[0])
    out = lines(capsys, str(tmp_path), "--jsonl")
    assert out[0]["frame"] == 0 and "error" in out[0] and out[1] == {"frame": 1, "motion": False, "box": None}
    assert tune.main([str(tmp_path), "--threshold", "999"]) == 2
    assert "threshold must be between" in capsys.readouterr().err


def test_the_installed_command_runs(footage) -> None:  # type: ignore[no-untyped-def]
    folder, _ = footage
    proc = start_process(["hub.tune", str(folder), "--jsonl"])
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert len(out.decode().splitlines()) == len(list(folder.glob("*.jpg")))


def test_check_config_prints_the_cameras_settings(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    hub_toml = tmp_path / "hub.toml"
    hub_toml.write_text('port = 8000\nmin_area = 0.002\n[cameras.driveway]\ndetector = "seed"\n')
    assert tune.main(["--check-config", "--config", str(hub_toml), "--camera", "driveway", "--end-frames", "9"]) == 0
    out = capsys.readouterr().out
    assert 'detector = "seed"' in out and "min_area = 0.002" in out and "end_frames = 9" in out
