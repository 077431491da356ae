"""A benchmark sender process: one camera offering pre-encoded JPEGs at a fixed rate over
REQ/REP (imagezmq's send_jpg format, which both hubs accept), or, with --stamp, frames that
carry their number in the pixels, logging when each was sent."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import zmq

from bench.scene import frames, stamp
from common.curve import load_or_create


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--fps", type=float, default=100)
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--frames", help="directory of pre-encoded JPEGs to cycle through")
    parser.add_argument("--sub-frames", help="directory of sub-images to send beside them, as camnet senders do")
    parser.add_argument("--stamp", action="store_true", help="number each frame in its pixels")
    parser.add_argument("--hub-key", help="the hub's CURVE public key: send encrypted, with --key-file's pair")
    parser.add_argument("--key-file", help="this sender's CURVE key pair (created if missing)")
    args = parser.parse_args()
    width, height = map(int, args.size.split("x"))
    stop: list[int] = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    if args.frames:
        pool = [p.read_bytes() for p in sorted(Path(args.frames).glob("*.jpg"))]
    else:
        pool = frames(width, height, 30)
    base = cv2.imdecode(np.frombuffer(pool[0], np.uint8), cv2.IMREAD_COLOR)
    sock = zmq.Context.instance().socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    if args.hub_key:
        public, secret, _ = load_or_create(Path(args.key_file))
        sock.curve_serverkey, sock.curve_publickey, sock.curve_secretkey = args.hub_key.encode(), public, secret
    sock.connect(f"tcp://127.0.0.1:{args.port}")
    subs = [p.read_bytes() for p in sorted(Path(args.sub_frames).glob("*.jpg"))] if args.sub_frames else []
    offer = {"camnet": {"id": args.name, "sub": 320}} if subs else {}
    head = json.dumps({"msg": args.name, **offer}).encode()
    takes_sub = False  # the hub said "OK sub" (common/protocol.py)
    sent, sent_at = 0, {}
    interval, due = 1.0 / args.fps, time.monotonic()
    while not stop:
        if args.stamp:
            frame = base.copy()
            stamp(frame, sent + 1)
            data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
            sent_at[sent + 1] = time.monotonic()
        else:
            data = pool[sent % len(pool)]
        parts = [head, data, subs[sent % len(subs)]] if takes_sub else [head, data]
        sock.send_multipart(parts, copy=False)
        while not stop and not sock.poll(200):
            pass
        if stop:
            break
        takes_sub = sock.recv() == b"OK sub"
        sent += 1
        now = time.monotonic()
        due = max(due + interval, now - interval)  # no long catch-up bursts
        if due > now:
            time.sleep(due - now)
    print(json.dumps({"name": args.name, "sent": sent, "sent_at": sent_at}), flush=True)
    sock.close(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
