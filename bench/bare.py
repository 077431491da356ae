"""The bare cost the sender is compared with: make the same synthetic frames and JPEG-encode
them at the same rate, and nothing else. Prints CPU microseconds per frame as JSON."""

from __future__ import annotations

import argparse
import json
import sys
import time

import cv2

from client.sources import SyntheticSource


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--fps", type=float, default=30)
    parser.add_argument("--frames", type=int, default=240)
    parser.add_argument("--quality", type=int, default=85)
    args = parser.parse_args()
    source = SyntheticSource(args.width)
    images = [source.read() for _ in range(20)]
    out = {}
    for label, capture in (("encode", lambda i: images[i % 20]), ("capture_encode", lambda i: source.read())):
        due, start = time.monotonic(), time.process_time()
        for i in range(args.frames):
            cv2.imencode(".jpg", capture(i), [cv2.IMWRITE_JPEG_QUALITY, args.quality])
            due += 1 / args.fps
            time.sleep(max(0.0, due - time.monotonic()))
        out[label] = (time.process_time() - start) / args.frames * 1e6
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
