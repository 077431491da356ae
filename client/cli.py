"""``camnet-sender``: capture the newest frame, JPEG it once, send it to the hub; repeat.

When the camera fails the sender keeps telling the hub it is alive ("camera-error") while it
reopens the camera with backoff; when the hub is away it reconnects and sends fresh frames.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from client.reach import hub_address, why_silent
from client.sender import Curve, Sender
from client.sources import EndOfSource, Source, SourceError, SourceMissing, kind_of, open_source
from common import __version__, config, protocol
from common.config import ConfigError, SenderConfig
from common.curve import KeyFileError, check_public_key, load_or_create
from common.rate import RateMeter
from common.redact import redact
from common.systemd import Notifier

log = logging.getLogger("camnet.sender")


class Stats:
    """The sender's own figures, reported to the hub with each frame."""

    def __init__(self) -> None:
        self.sent = 0
        self.dropped = 0  # frames the hub did not accept (away or refused)
        self._rate = RateMeter()

    def delivered(self, now: float) -> None:
        self.sent += 1
        self._rate.tick(now)

    def fps(self) -> float:
        return round(self._rate.rate(), 2)


def encode(frame: np.ndarray, width: int, quality: int) -> bytes:
    """Resize to ``width`` (if set) and JPEG-encode, once per frame."""
    if width and frame.shape[1] != width:
        height = round(frame.shape[0] * width / frame.shape[1])
        frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise SourceError("OpenCV could not JPEG-encode the frame")
    return buf.tobytes()


def shrink(frame: np.ndarray, width: int) -> np.ndarray:
    """The frame scaled to ``width`` with a box filter (INTER_AREA's result). A frame a power of
    two wider is halved step by step with INTER_LINEAR, which at exactly half averages each 2x2
    block: the same pixels within one grey level, at 0.4x the CPU at 1280 wide (0.7 vs 1.8 ms)."""
    height = round(frame.shape[0] * width / frame.shape[1]) & ~1
    while frame.shape[1] >= 2 * width and frame.shape[1] % (2 * width) == 0 and frame.shape[0] % 2 == 0:
        frame = cv2.resize(frame, (frame.shape[1] // 2, frame.shape[0] // 2), interpolation=cv2.INTER_LINEAR)
    if frame.shape[1] == width and frame.shape[0] == height:
        return frame
    return cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)


def sub_image(frame: np.ndarray, lores: np.ndarray | None, width: int) -> bytes:
    """The sub-image: the Pi camera's lores picture when it has one (scaled by its ISP), else
    the captured frame scaled down; JPEG-encoded at protocol.SUB_QUALITY."""
    small = lores if lores is not None and lores.shape[1] == width else None
    if small is None:
        small = shrink(frame, width)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, protocol.SUB_QUALITY])
    if not ok:
        raise SourceError("OpenCV could not JPEG-encode the sub-image")
    return buf.tobytes()


def sender_id(source: str, machine_id_file: str = "/etc/machine-id") -> str:
    """A stable id for this sender: the same across restarts, different on another machine or
    for another camera of this one. The hub binds a camera name to it, so a second Pi that
    kept the default name is refused instead of merging into the first one's feed."""
    try:
        with open(machine_id_file, encoding="ascii") as f:
            machine = f.read().strip()
    except OSError:
        machine = ""
    machine = machine or socket.gethostname() + ":" + str(uuid.getnode())
    return hashlib.sha256(f"camnet-sender:{machine}:{source}".encode()).hexdigest()[:16]


def stream(
    cfg: SenderConfig,
    source: Source,
    sender: Sender,
    stop: threading.Event,
    reopen: Callable[[], Source],
    heartbeat: Callable[[], None] = lambda: None,
    ident: str | None = None,
) -> int:
    """Send frames until ``stop``; returns the exit code (0: stopped or file ended)."""
    ident = ident or sender_id(cfg.source)
    stats = Stats()
    interval = 1.0 / cfg.fps
    due = time.monotonic()
    refused_logged = False
    takes_sub = False  # the hub answered "OK sub" (protocol.py): it is a camnet hub that takes them
    while not stop.is_set():
        heartbeat()
        try:
            frame = source.read()
            jpeg = encode(frame, cfg.width, cfg.quality)
            height, width = _size_after_resize(frame.shape, cfg.width)
            offer = cfg.sub_width if 0 < cfg.sub_width < width else 0
            sub = sub_image(frame, getattr(source, "lores", None), offer) if offer and takes_sub else None
        except EndOfSource:
            log.info("video file ended; pass --loop to play it again")
            return 0
        except SourceError as exc:
            source.close()
            recovered = _recover_camera(cfg, sender, stop, reopen, str(exc), heartbeat, ident)
            if recovered is None:
                return 0
            source = recovered
            continue
        info = {
            "version": __version__,
            "source": source.kind,
            "fps": stats.fps(),
            "dropped": stats.dropped,
            "width": width,
            "height": height,
            "status": protocol.CAMERA_OK,
            "id": ident,
        }
        if offer:
            info["sub"] = offer
        reply = sender.send(protocol.encode(cfg.name, jpeg, info, sub))
        now = time.monotonic()
        if reply in (protocol.REPLY_OK, protocol.REPLY_OK_SUB):
            stats.delivered(now)
            refused_logged = False
            takes_sub = reply == protocol.REPLY_OK_SUB
        else:
            takes_sub = False
            stats.dropped += 1
            if reply is not None and not refused_logged:
                log.warning("hub refused a frame: %s", reply.decode(errors="replace"))
                if reply.startswith(b"ERROR name-conflict"):
                    log.error(
                        "another sender already sends to the hub as %r: give this camera its own name with "
                        '--name NAME (or name = "NAME" in its config file) and restart it',
                        cfg.name,
                    )
                refused_logged = True
            if reply is None:  # hub away: short capped backoff, then a fresh frame
                pause(sender.backoff(), stop)
                due = time.monotonic()
                continue
        due = max(due + interval, now)  # never try to catch up on missed frames
        pause(due - now, stop)
    source.close()
    return 0


def pause(seconds: float, stop: threading.Event) -> None:
    """Sleep, waking within 0.2 s of ``stop``. time.sleep, not Event.wait: the Event's lock
    machinery cost about 100 microseconds of CPU a frame (measured at 30 fps)."""
    end = time.monotonic() + seconds
    while not stop.is_set() and (left := end - time.monotonic()) > 0:
        time.sleep(min(left, 0.2))


def _size_after_resize(shape: tuple[int, ...], width: int) -> tuple[int, int]:
    h, w = shape[0], shape[1]
    return (round(h * width / w), width) if width and w != width else (h, w)


def _recover_camera(
    cfg: SenderConfig,
    sender: Sender,
    stop: threading.Event,
    reopen: Callable[[], Source],
    reason: str,
    heartbeat: Callable[[], None],
    ident: str,
) -> Source | None:
    """Tell the hub the camera failed, every second, while reopening it with backoff.

    Each reopen runs on a thread of its own: opening a camera or a network stream can block
    for seconds, and the hub must keep hearing from us meanwhile or it shows us offline.
    """
    log.error("camera failed: %s; retrying with backoff", reason)
    alive = protocol.encode(
        cfg.name, b"", {"version": __version__, "status": protocol.CAMERA_ERROR, "error": reason[:200], "id": ident}
    )
    delay, started = 1.0, time.monotonic()
    retry_at = started + delay
    attempt: _Reopen | None = None
    while not stop.is_set():
        heartbeat()
        sender.send(alive)
        if attempt is None and time.monotonic() >= retry_at:
            attempt = _Reopen(reopen)
        elif attempt is not None and attempt.done.is_set():
            if attempt.source is not None:
                log.info("camera back after %.0f s", time.monotonic() - started)
                return attempt.source
            delay = min(delay * 2, 30.0)
            retry_at = time.monotonic() + delay
            log.debug("camera still failing: %s; next try in %.0f s", attempt.error, delay)
            attempt = None
        stop.wait(1.0)
    if attempt is not None:
        attempt.abandon()
    return None


class _Reopen(threading.Thread):
    """One try at reopening the camera, off the heartbeat loop."""

    def __init__(self, reopen: Callable[[], Source]) -> None:
        super().__init__(name="reopen", daemon=True)
        self._reopen = reopen
        self._lock = threading.Lock()
        self._abandoned = False
        self.done = threading.Event()
        self.source: Source | None = None
        self.error = ""
        self.start()

    def run(self) -> None:
        try:
            source = self._reopen()
        except SourceError as exc:
            self.error = str(exc)
        except Exception as exc:  # a bug in a source must not end the sender's retries
            self.error = repr(exc)
        else:
            with self._lock:
                if self._abandoned:
                    source.close()
                else:
                    self.source = source
        self.done.set()

    def abandon(self) -> None:
        """The sender is stopping: close the source if it opens after all."""
        with self._lock:
            self._abandoned = True
            if self.source is not None:
                self.source.close()


def _curve(cfg: SenderConfig, show: bool) -> Curve | None:
    """The CURVE keys to send with (None without hub_key); ``show`` prints the public key."""
    if not cfg.hub_key and not show:
        return None
    hub = check_public_key(cfg.hub_key, "hub_key") if cfg.hub_key else b""
    path = config.sender_key_file(cfg, os.environ)
    public, secret, created = load_or_create(path)
    if created:
        log.info("created this sender's key pair in %s", path)
    if show:
        print(public.decode())
    return Curve(hub, public, secret) if hub else None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        cfg, args = config.load(
            SenderConfig,
            argv,
            os.environ,
            "camnet-sender",
            "Send a camera's frames to a camnet hub over ZeroMQ.",
            {"--show-key": "print this sender's CURVE public key (creating its key pair if missing) and exit"},
            complete="--show-key" not in argv,  # needs no hub nor source
        )
        cfg = dataclasses.replace(cfg, name=cfg.name or socket.gethostname())
        if cfg.server_ip is not None:
            given = args.server_port is not None or "CAMNET_SERVER_PORT" in os.environ
            host, port = hub_address(cfg.server_ip, cfg.server_port, given)
            cfg = dataclasses.replace(cfg, server_ip=host, server_port=port)
        if args.show_key:
            _curve(cfg, show=True)
            return 0
        protocol.validate_name(cfg.name)
    except ConfigError as exc:
        print(f"camnet-sender: {exc}", file=sys.stderr)
        return 2
    except protocol.ProtocolError as exc:
        print(f"camnet-sender: --name: {exc.reason}", file=sys.stderr)
        return 2
    except KeyFileError as exc:
        print(f"camnet-sender: {exc}", file=sys.stderr)
        return 2
    if args.check_config:
        print(redact(config.describe(cfg)))
        return 0
    logging.basicConfig(
        level=cfg.log_level.upper(), stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        curve = _curve(cfg, show=False)
    except KeyFileError as exc:
        print(f"camnet-sender: {exc}", file=sys.stderr)
        return 2

    def reopen() -> Source:
        return open_source(cfg.source, cfg.width, cfg.fps, cfg.loop, cfg.sub_width)

    try:
        source: Source = reopen()
    except SourceMissing as exc:  # a typo: retrying cannot help
        print(f"camnet-sender: {exc}", file=sys.stderr)
        return 1
    except SourceError as exc:  # a camera that is down now may come back: tell the hub, retry
        source = Unavailable(kind_of(cfg.source), str(exc))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    sender = Sender(
        f"tcp://{_zmq_host(cfg.server_ip)}:{cfg.server_port}",
        cfg.timeout,
        curve=curve,
        name=cfg.name,
        explain=lambda: why_silent(cfg.server_ip, cfg.server_port),
    )
    log.info(
        "sending %s as %r to %s:%d at up to %.0f fps%s",
        source.kind,
        cfg.name,
        cfg.server_ip,
        cfg.server_port,
        cfg.fps,
        ", encrypted (CURVE)" if curve else "",
    )
    systemd = Notifier(os.environ)
    systemd.ready(f"sending {source.kind} as {cfg.name!r} to {cfg.server_ip}:{cfg.server_port}")
    try:
        return stream(cfg, source, sender, stop, reopen, systemd.heartbeat)
    finally:
        systemd.stopping()
        sender.close()


class Unavailable:
    """The camera that could not be opened at start: its first read fails with the reason, so
    the sender reports ``camera-error`` to the hub and retries, as when a camera goes away later."""

    def __init__(self, kind: str, reason: str) -> None:
        self.kind, self.reason = kind, reason

    def read(self) -> np.ndarray:
        raise SourceError(self.reason)

    def close(self) -> None:
        pass


def _zmq_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


if __name__ == "__main__":
    sys.exit(main())
