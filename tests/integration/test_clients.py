"""Clients other than the page: ffmpeg (as VLC and Home Assistant users run it), and an
installed (non-editable) package that must still serve its page."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from hub.app import Hub
from tests.conftest import ROOT, RawSender, jpeg, scene, url

pytestmark = pytest.mark.slow


def test_ffmpeg_decodes_the_mjpeg_stream(hub: Hub, raw_sender: RawSender) -> None:
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg, "ffmpeg is installed by `make test` (apt-get install ffmpeg)"
    raw_sender.frame("cam", jpeg(scene(0, True)))
    stop = threading.Event()

    def keep_sending() -> None:
        sender = RawSender(hub.config.zmq_port)
        i = 1
        while not stop.wait(0.04):
            sender.frame("cam", jpeg(scene(i, True)))
            i += 1
        sender.close()

    feeder = threading.Thread(target=keep_sending)
    feeder.start()
    try:
        result = subprocess.run(
            [
                ffmpeg,
                "-hide_banner",
                "-loglevel",
                "error",
                "-i",
                url(hub, "/video_feed/cam"),
                "-frames:v",
                "10",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "gray",
                "-",
            ],
            capture_output=True,
            timeout=30,
        )
    finally:
        stop.set()
        feeder.join()
    assert result.returncode == 0, result.stderr.decode()
    band = 26  # the overlay's timestamp, on a band under the 640x480 picture (hub/overlay.py)
    assert len(result.stdout) == 10 * 640 * (480 + band), "ten whole frames decoded"


def test_wheel_ships_templates_and_static_files(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        timeout=120,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("camnet-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "hub/web/templates/index.html",
        "hub/web/static/app.js",
        "hub/web/static/app.css",
        "client/cli.py",
        "common/protocol.py",
    ):
        assert needed in names, f"{needed} missing from {wheel.name}"
    assert not any(n.startswith("tests/") for n in names)
