"""Benchmark viewers in one process: many MJPEG connections, or one page stream whose frames
carry their number in the pixels (for latency). Prints a JSON summary when the time is up."""

from __future__ import annotations

import argparse
import json
import re
import selectors
import socket
import struct
import sys
import time

from bench.scene import read_stamp

SEQ = re.compile(rb"X-Camnet-Seq: (\d+)")


class Dechunker:
    """Splits an HTTP/1.1 chunked body into its chunks (the hub writes one part per chunk)."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.need: int | None = None
        self.headers_done = False

    def feed(self, data: bytes) -> list[bytes]:
        self.buf += data
        out = []
        if not self.headers_done:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return out
            del self.buf[: end + 4]
            self.headers_done = True
        while True:
            if self.need is None:
                i = self.buf.find(b"\r\n")
                if i < 0:
                    break
                self.need = int(self.buf[:i], 16)
                del self.buf[: i + 2]
            if len(self.buf) < self.need + 2:
                break
            out.append(bytes(self.buf[: self.need]))
            del self.buf[: self.need + 2]
            self.need = None
        return out


def connect(port: int, request: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(request)
    sock.setblocking(False)
    return sock


class MjpegReader:
    """Counts the parts of one chunked MJPEG response, reading only their headers: bodies are
    skipped where they lie in the receive buffer, so one process can watch 100 streams."""

    def __init__(self) -> None:
        self.buf = bytearray(1 << 20)
        self.view = memoryview(self.buf)
        self.start = self.end = 0
        self.skip = 0
        self.http_done = False
        self.frames = self.dups = self.last = 0
        self.first_at: float | None = None

    def read(self, sock: socket.socket) -> None:
        if self.end > len(self.buf) - (1 << 18):  # keep room for a large receive
            self.buf[: self.end - self.start] = self.buf[self.start : self.end]
            self.end -= self.start
            self.start = 0
        n = sock.recv_into(self.view[self.end :])
        self.end += n
        self._parse()
        if self.start == self.end:
            self.start = self.end = 0

    def _parse(self) -> None:
        buf = self.buf
        if not self.http_done:
            i = buf.find(b"\r\n\r\n", self.start, self.end)
            if i < 0:
                return
            self.start, self.http_done = i + 4, True
        while True:
            if self.skip:
                k = min(self.skip, self.end - self.start)
                self.start += k
                self.skip -= k
                if self.skip:
                    return
            i = buf.find(b"\r\n", self.start, self.end)
            j = buf.find(b"\r\n\r\n", i + 2, self.end) if i >= 0 else -1
            if j < 0:
                return
            size = int(buf[self.start : i], 16)
            match = SEQ.search(buf, i, j + 2)
            seq = int(match.group(1)) if match else 0
            self.dups += seq <= self.last
            self.last = seq
            self.frames += 1
            if self.first_at is None:
                self.first_at = time.monotonic()
            self.skip = (i + 2 + size + 2) - (j + 4)
            self.start = j + 4


def mjpeg(port: int, path: str, count: int, seconds: float) -> dict[str, object]:
    """``count`` MJPEG viewers of ``path``: frames, fps and repeated frames per viewer."""
    sel = selectors.DefaultSelector()
    request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
    readers = []
    for _ in range(count):
        reader = MjpegReader()
        readers.append(reader)
        sel.register(connect(port, request), selectors.EVENT_READ, reader)
    deadline = time.monotonic() + seconds
    while (now := time.monotonic()) < deadline:
        for key, _ in sel.select(timeout=deadline - now):
            key.data.read(key.fileobj)
    end = time.monotonic()
    viewers = []
    for r in readers:
        span = end - (r.first_at or end)
        viewers.append({"frames": r.frames, "dups": r.dups, "fps": (r.frames - 1) / span if span > 0.5 else 0.0})
    for key in list(sel.get_map().values()):
        key.fileobj.close()  # type: ignore[union-attr]
    return {"viewers": viewers}


def take_records(records: bytearray) -> list[tuple[dict[str, object], bytes]]:
    """Remove and return the complete page-stream records at the front of ``records``."""
    out = []
    while len(records) >= 8:
        meta_len, jpeg_len = struct.unpack_from(">II", records)
        end = 8 + meta_len + jpeg_len
        if len(records) < end:
            break
        out.append((json.loads(bytes(records[8 : 8 + meta_len])), bytes(records[8 + meta_len : end])))
        del records[:end]
    return out


def page_request(cameras: list[str]) -> bytes:
    """The HTTP request that opens a page stream of every frame of ``cameras``."""
    body = json.dumps({"cameras": {name: 0 for name in cameras}}).encode()
    head = (
        b"POST /api/stream HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    )
    return head % len(body) + body


def page(port: int, cameras: list[str], seconds: float) -> dict[str, object]:
    """One page stream of ``cameras``; when each stamped frame number arrived (monotonic)."""
    sock = connect(port, page_request(cameras))
    chunks, records = Dechunker(), bytearray()
    arrivals: dict[str, dict[int, float]] = {name: {} for name in cameras}
    deadline = time.monotonic() + seconds
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ)
    while (now := time.monotonic()) < deadline:
        if not sel.select(timeout=deadline - now):
            continue
        at = time.monotonic()
        for chunk in chunks.feed(sock.recv(1 << 20)):
            records += chunk
        for meta, jpeg in take_records(records):
            if meta["type"] == "frame" and meta["camera"] in arrivals:
                arrivals[meta["camera"]][read_stamp(jpeg)] = at
    sock.close()
    return {"arrivals": arrivals}


def pages(port: int, subsets: list[list[str]], seconds: float) -> dict[str, object]:
    """One page stream per subset of cameras, all in this process: frame records each got."""
    sel = selectors.DefaultSelector()
    streams = []
    for cameras in subsets:
        state = {"cameras": cameras, "chunks": Dechunker(), "records": bytearray(), "frames": 0, "foreign": 0}
        streams.append(state)
        sel.register(connect(port, page_request(cameras)), selectors.EVENT_READ, state)
    deadline = time.monotonic() + seconds
    while (now := time.monotonic()) < deadline:
        for key, _ in sel.select(timeout=deadline - now):
            st = key.data
            for chunk in st["chunks"].feed(key.fileobj.recv(1 << 20)):  # type: ignore[union-attr]
                st["records"] += chunk
            for meta, _ in take_records(st["records"]):
                if meta["type"] == "frame":
                    st["frames"] += 1
                    st["foreign"] += meta["camera"] not in st["cameras"]
    for key in list(sel.get_map().values()):
        key.fileobj.close()  # type: ignore[union-attr]
    return {"pages": [{"cameras": st["cameras"], "frames": st["frames"], "foreign": st["foreign"]} for st in streams]}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--mjpeg", help="path of an MJPEG stream to watch")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--page", help="comma-separated cameras to watch on one page stream")
    parser.add_argument("--pages", help="page streams: camera subsets separated by ';', cameras by ','")
    args = parser.parse_args()
    if args.mjpeg:
        result = mjpeg(args.port, args.mjpeg, args.count, args.seconds)
    elif args.pages:
        result = pages(args.port, [subset.split(",") for subset in args.pages.split(";")], args.seconds)
    else:
        result = page(args.port, args.page.split(","), args.seconds)
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
