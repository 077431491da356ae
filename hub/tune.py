"""``camnet-motion``: run a camera's motion analysis over recorded footage, offline, to tune it.

It runs exactly the hub's ``MotionAnalyzer`` with the settings the hub would give the camera
(the hub-wide ones from ``--config``, its ``[cameras.<name>]`` table, the masks saved from its
page), then this command's own flags on top. Input is a directory of JPEG files, fed as the
bytes a sender would send, or a video file, each frame JPEG-encoded as camnet's sender would.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import cv2

from client.cli import encode
from common import config
from common.config import CAMERA_KEYS, ConfigError, HubConfig, Polygon
from common.motion import Motion, MotionAnalyzer, MotionSettings
from common.protocol import ProtocolError, jpeg_size
from hub.masks import SavedMasks, settings_for

JPEG_SUFFIXES = {".jpg", ".jpeg"}


@dataclasses.dataclass
class Period:
    """A stretch of frames with motion shown, and the largest box seen in it."""

    first: int
    start: float
    last: int = -1
    end: float = 0.0
    box: tuple[int, int, int, int] | None = None

    def grow(self, box: tuple[int, int, int, int] | None) -> None:
        if box is not None and (self.box is None or _area(box) > _area(self.box)):
            self.box = box


def _area(box: tuple[int, int, int, int]) -> int:
    return (box[2] - box[0]) * (box[3] - box[1])


def main(argv: Sequence[str] | None = None) -> int:
    parser = config.build_parser(
        HubConfig,
        "camnet-motion",
        "Run the hub's motion analysis over recorded footage: a directory of JPEG files or a video file.",
        only=(*CAMERA_KEYS, "data_dir"),
    )
    parser.add_argument(
        "path", metavar="PATH", nargs="?", help="a directory of .jpg files (sorted by name) or a video file"
    )
    parser.add_argument("--camera", metavar="NAME", help="use this camera's [cameras.<name>] table and saved masks")
    parser.add_argument("--fps", type=float, default=15.0, help="frame rate of a directory of stills (default: 15)")
    parser.add_argument(
        "--width",
        type=int,
        default=640,
        help="video frames are resized to this width, as the sender does (default: 640; 0: as recorded)",
    )
    parser.add_argument("--quality", type=int, default=85, help="JPEG quality of video frames (default: 85)")
    parser.add_argument("--jsonl", action="store_true", help="one JSON object per frame instead of a table")
    args = parser.parse_args(argv)
    if not args.path and not args.check_config:
        parser.error("give PATH: a directory of JPEG files or a video file")
    try:
        settings = _settings(args)
        if args.check_config:  # the settings this camera would get, as camnet-motion runs them
            for key, value in dataclasses.asdict(settings).items():
                print(f"{key} = {json.dumps(value)}")
            return 0
        frames = _frames(Path(args.path), args.fps, args.width, args.quality)
        return _run(frames, settings, args.jsonl)
    except (ConfigError, OSError) as exc:
        print(f"camnet-motion: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # | head
        return 0


def _settings(args: argparse.Namespace) -> MotionSettings:
    """The camera's settings as the hub would have them, then the flags given here."""
    values = config.read_toml(Path(args.config), HubConfig) if args.config else {}
    values.update(config.from_env(HubConfig, os.environ))
    values.update({k: v for k, v in vars(args).items() if v is not None and k == "data_dir"})
    hub = config.make(HubConfig, values)
    camera = args.camera
    saved: tuple[Polygon, ...] = ()
    if camera:
        directory = config.data_dir(hub, os.environ)
        saved = SavedMasks(directory).get(camera) if directory.is_dir() else ()
    given = {k: v for k, v in vars(args).items() if v is not None and k in CAMERA_KEYS}
    checked = config.make(HubConfig, {**values, **given})  # the flags' ranges, as the hub checks them
    return dataclasses.replace(settings_for(hub, camera or "", saved), **{k: getattr(checked, k) for k in given})


def _frames(path: Path, fps: float, width: int, quality: int) -> Iterator[tuple[bytes, float]]:
    """(JPEG as a sender sends it, seconds) for each frame of the footage."""
    if fps <= 0:
        raise ConfigError(f"--fps must be above 0, got {fps}")
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in JPEG_SUFFIXES and p.is_file())
        if not files:
            raise ConfigError(f"{path} holds no .jpg or .jpeg files")
        return ((p.read_bytes(), i / fps) for i, p in enumerate(files))
    if not path.exists():
        raise ConfigError(f"{path} does not exist; give a directory of JPEG files or a video file")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise ConfigError(f"{path} is not a directory and OpenCV cannot open it as a video")
    rate = capture.get(cv2.CAP_PROP_FPS) or fps

    def read() -> Iterator[tuple[bytes, float]]:
        i = 0
        try:
            while True:
                ok, image = capture.read()
                if not ok:
                    return
                yield encode(image, width, quality), i / rate
                i += 1
        finally:
            capture.release()

    return read()


def _run(frames: Iterator[tuple[bytes, float]], settings: MotionSettings, jsonl: bool) -> int:
    analyzer = MotionAnalyzer(settings)
    periods: list[Period] = []
    cpu = 0.0
    count = analysed = 0
    t = 0.0
    for index, (jpeg, t) in enumerate(frames):
        count += 1
        error = None
        started = time.process_time()
        found: Motion = analyzer.last
        try:
            width, height = jpeg_size(jpeg)
        except ProtocolError as exc:
            error = exc.reason
        else:
            if analyzer.due(t):
                gray = analyzer.gray_from_jpeg(jpeg, width)
                if gray is None:
                    error = "the JPEG does not decode"
                else:
                    found = analyzer.analyze(gray, width, height, t)
                    analysed += 1
        cpu += time.process_time() - started
        _track(periods, index, t, found)
        if jsonl:
            line: dict[str, object] = {
                "frame": index,
                "motion": found.motion,
                "box": list(found.box) if found.box else None,
            }
            if error:
                line["error"] = error
            print(json.dumps(line), flush=False)
        elif error:
            print(f"frame {index}: skipped, {error} (the hub would count it as a bad frame)", file=sys.stderr)
    if count == 0:
        raise ConfigError("the video has no frames OpenCV can read")
    if not jsonl:
        _table(periods, settings, count, analysed, t, cpu)
    return 0


def _track(periods: list[Period], index: int, t: float, found: Motion) -> None:
    if found.motion:
        if not periods or periods[-1].last != index - 1:
            periods.append(Period(index, t))
        period = periods[-1]
        period.last, period.end = index, t
        period.grow(found.box)


def _table(periods: list[Period], s: MotionSettings, count: int, analysed: int, seconds: float, cpu: float) -> None:
    print(
        f"detector {s.detector}, threshold {s.threshold or 'auto'}, min_area {s.min_area:g}, "
        f"start/end frames {s.start_frames}/{s.end_frames}, width {s.width()}, {len(s.masks)} mask(s)"
    )
    print(f"{'#':>3}  {'frames':>13}  {'from s':>8}  {'to s':>8}  {'seconds':>7}  largest box")
    for n, p in enumerate(periods, 1):
        box = "[" + ", ".join(map(str, p.box)) + "]" if p.box else "-"
        print(f"{n:>3}  {p.first:>6}-{p.last:<6}  {p.start:>8.2f}  {p.end:>8.2f}  {p.end - p.start:>7.2f}  {box}")
    total = sum(p.end - p.start for p in periods)
    print(
        f"{len(periods)} motion period(s), {total:.1f} s of motion in {seconds:.1f} s; {count} frames, "
        f"{analysed} analysed, {1000 * cpu / max(analysed, 1):.2f} ms CPU per analysed frame"
    )


if __name__ == "__main__":
    sys.exit(main())
