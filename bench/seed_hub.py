"""The seed-style baseline hub: imagezmq's ImageHub and, per frame, inline before the reply,
the tutorial's pipeline (full decode, resize to 400 px, gray, 7x7 blur, SingleMotionDetector,
timestamp and box drawn). No encode: the seed encodes only per viewer."""

from __future__ import annotations

import argparse
import datetime
import os
import signal
import sys
import time

import cv2
import imagezmq
import numpy as np

from common.motion import SingleMotionDetector


class SeedPipeline:
    """The seed's ``detect_motion`` loop body for one camera, one JPEG at a time."""

    def __init__(self, frame_count: int = 32) -> None:
        self.frame_count = frame_count
        self.md = SingleMotionDetector(accum_weight=0.1)
        self.total = 0

    def process(self, jpg: bytes) -> tuple[int, int, int, int] | None:
        """Returns the motion box in the 400-px-wide frame, as the seed drew it, or None."""
        frame = cv2.imdecode(np.frombuffer(jpg, np.uint8), cv2.IMREAD_COLOR)
        height = int(frame.shape[0] * 400 / frame.shape[1])
        frame = cv2.resize(frame, (400, height), interpolation=cv2.INTER_AREA)  # imutils.resize
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        gray = cv2.GaussianBlur(gray, (7, 7), 0)
        timestamp = datetime.datetime.now()
        cv2.putText(
            frame,
            timestamp.strftime("%A %d %B %Y %I:%M:%S%p"),
            (10, frame.shape[0] - 10),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.35,
            (0, 0, 255),
            1,
        )
        box = None
        if self.total > self.frame_count:
            motion = self.md.detect(gray)
            if motion is not None:
                box = motion[1]
                cv2.rectangle(frame, box[:2], box[2:], (0, 0, 255), 2)
        self.md.update(gray)
        self.total += 1
        return box


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--frame-count", type=int, default=32)
    parser.add_argument("--stats", required=True, help="file where the analysed count is written")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    hub = imagezmq.ImageHub(open_port=f"tcp://127.0.0.1:{args.port}")
    pipelines: dict[str, SeedPipeline] = {}
    analysed, written = 0, time.monotonic()
    while True:
        name, jpg = hub.recv_jpg()
        pipelines.setdefault(name, SeedPipeline(args.frame_count)).process(jpg)
        hub.send_reply(b"OK")
        analysed += 1
        if time.monotonic() - written > 0.1:  # for the benchmark's measuring windows
            written = time.monotonic()
            with open(args.stats + ".tmp", "w") as f:  # then renamed: a reader never sees it half written
                f.write(str(analysed))
            os.replace(args.stats + ".tmp", args.stats)


if __name__ == "__main__":
    sys.exit(main())
