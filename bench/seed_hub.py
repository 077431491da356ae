"""The seed-style baseline hub: imagezmq's ImageHub and, per frame, inline before the reply,
the tutorial's pipeline (full decode, resize to 400 px, gray, 7x7 blur, SingleMotionDetector,
timestamp and box drawn). No encode: the seed encodes only per viewer."""

from __future__ import annotations

import argparse
import datetime
import signal
import sys
import time

import cv2
import imagezmq
import numpy as np

from common.motion import SingleMotionDetector


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--frame-count", type=int, default=32)
    parser.add_argument("--stats", required=True, help="file where the analysed count is written")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    hub = imagezmq.ImageHub(open_port=f"tcp://127.0.0.1:{args.port}")
    detectors: dict[str, tuple[SingleMotionDetector, list[int]]] = {}
    analysed, written = 0, time.monotonic()
    while True:
        name, jpg = hub.recv_jpg()
        md, total = detectors.setdefault(name, (SingleMotionDetector(accum_weight=0.1), [0]))
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
        if total[0] > args.frame_count:
            motion = md.detect(gray)
            if motion is not None:
                _, (x1, y1, x2, y2) = motion
                cv2.rectangle(frame, (x1, y1), (x2, y2), (0, 0, 255), 2)
        md.update(gray)
        total[0] += 1
        hub.send_reply(b"OK")
        analysed += 1
        if time.monotonic() - written > 0.1:  # for the benchmark's measuring windows
            written = time.monotonic()
            with open(args.stats, "w") as f:
                f.write(str(analysed))


if __name__ == "__main__":
    sys.exit(main())
