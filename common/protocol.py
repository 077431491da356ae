"""The sender-to-hub message format: imagezmq's two-part REQ/REP message. No I/O here.

imagezmq sends every frame as two ZeroMQ message parts:

* ``send_jpg``:   ``{"msg": NAME}`` as JSON, then the JPEG bytes;
* ``send_image``: ``{"msg": NAME, "dtype": "uint8", "shape": [H, W, 3]}``, then raw pixels.

camnet's sender uses the ``send_jpg`` form and adds one key, ``"camnet"``, holding what the
hub shows about the camera (sender version, source, fps, camera errors) and the sender's
stable ``id``, which binds a camera name to one sender. A stock
``imagezmq.ImageHub`` ignores that key, and the hub treats a message without it as a stock
sender's, so both directions interoperate. The hub answers every message with ``b"OK"``, or
with ``b"ERROR <kind>: <reason>"`` when it drops the message.

Sub-images. A camnet sender offers one by putting ``"sub": <width>`` in its "camnet" object;
a camnet hub answers such a message ``b"OK sub"`` instead of ``b"OK"``. Only after that
answer does the sender add a third part, a small JPEG of the same frame (the camera's
sub-stream); after any timeout or reconnect it sends two parts again until a hub says
``OK sub`` anew. A stock ``ImageHub`` never says it, so it always receives exactly
``(name, jpg)``; stock senders never offer, so they always get ``b"OK"``; a camnet sender of
an older version never offers either.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from common.redact import redact

REPLY_OK = b"OK"
REPLY_OK_SUB = b"OK sub"  # to a sender that offered sub-images: send them
SUB_WIDTH, SUB_QUALITY = 320, 70  # a sub-image, as an IP camera's sub-stream: width and JPEG quality
NAME_MAX = 64
CAMERA_OK = "ok"
CAMERA_ERROR = "camera-error"
# Keys of the "camnet" object a sender may send, with their types and size limits.
_INFO_STR = {"version": 32, "source": 32, "error": 200, "status": 16, "id": 64}
_INFO_NUM = ("fps", "dropped", "width", "height", "sub")
# JPEG start-of-frame markers (baseline, progressive, lossless...) carry the image size.
_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD8)})


class ProtocolError(ValueError):
    """A message the hub cannot use. ``kind`` is a short stable label used to count errors."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason

    def reply(self) -> bytes:
        """The answer sent back to the sender for this error."""
        return f"ERROR {self.kind}: {self.reason}".encode()


@dataclass(frozen=True, slots=True)
class Message:
    """One parsed message: a frame (JPEG or raw pixels) or a camera-error heartbeat."""

    name: str
    jpeg: bytes | None = None
    pixels: np.ndarray | None = None
    width: int = 0
    height: int = 0
    info: dict[str, Any] = field(default_factory=dict)
    received: float = 0.0  # wall-clock time the hub received it (a label: NTP may step it)
    mono: float = 0.0  # monotonic time the hub received it (every duration is measured on it)
    sub: bytes | None = None  # the sender's small JPEG of the same frame (its sub-stream)
    sub_width: int = 0
    sub_height: int = 0

    @property
    def sender_id(self) -> str | None:
        """The camnet sender's stable id; None for a stock imagezmq sender."""
        return self.info.get("id") or None

    @property
    def camera_error(self) -> str | None:
        """The sender's description of a failing camera, or None when the camera works."""
        if self.info.get("status") == CAMERA_ERROR:
            return str(self.info.get("error") or "camera error")
        return None


MARKUP = frozenset("<>&\"'`")


def validate_name(name: object) -> str:
    """Return ``name`` if it can name a camera, else raise ProtocolError("bad-name").

    Names come from senders and are untrusted. They may hold any printable Unicode except
    ``/`` (they are URL path segments) and the characters that mean something in HTML
    (``< > & " ' ```), up to 64 characters, without surrounding spaces and not only dots.
    Pages render names as text anyway; refusing markup at the door means no page, log viewer
    or home-automation dashboard downstream ever receives it (ZoneMinder's CVE-2016-10203).
    """
    if not isinstance(name, str):
        raise ProtocolError("bad-name", f"camera name must be a string, got {type(name).__name__}")
    shown = repr(name[:NAME_MAX])
    if not name or len(name) > NAME_MAX:
        raise ProtocolError("bad-name", f"camera name must be 1 to {NAME_MAX} characters, got {len(name)}")
    if name != name.strip() or name.strip(".") == "" or "/" in name:
        raise ProtocolError("bad-name", f"camera name {shown} has a '/', surrounding spaces or only dots")
    markup = sorted(set(name) & MARKUP)
    if markup:
        raise ProtocolError(
            "bad-name", f"camera name {shown} has {' '.join(markup)}; HTML markup characters are not allowed in names"
        )
    for ch in name:
        if ch != " " and unicodedata.category(ch)[0] in "CZ":
            raise ProtocolError("bad-name", f"camera name {shown} has a control or non-printable character")
    return name


def jpeg_size(data: bytes) -> tuple[int, int]:
    """Return (width, height) read from a JPEG's header without decoding it.

    Raises ProtocolError("not-jpeg") when ``data`` is not a complete JPEG: wrong start marker,
    no frame header, or no end-of-image marker (a truncated upload).
    """
    n = len(data)
    if n < 4 or data[0] != 0xFF or data[1] != 0xD8:
        raise ProtocolError("not-jpeg", "payload is not a JPEG (no FFD8 start marker)")
    # Some encoders pad after the end marker, so look for it anywhere (the size is bounded).
    if data.rfind(b"\xff\xd9", 2) < 0:
        raise ProtocolError("not-jpeg", "JPEG is truncated (no FFD9 end marker)")
    i = 2
    while i + 4 <= n:
        if data[i] != 0xFF:
            break
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _STANDALONE_MARKERS:
            i += 2
            continue
        if marker in _SOF_MARKERS and i + 9 <= n:
            height = int.from_bytes(data[i + 5 : i + 7], "big")
            width = int.from_bytes(data[i + 7 : i + 9], "big")
            if width and height:
                return width, height
            break
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    raise ProtocolError("not-jpeg", "JPEG has no readable frame header (SOF marker)")


def parse(
    parts: list[bytes], max_bytes: int, max_pixels: int = 4096 * 4096, received: float = 0.0, mono: float = 0.0
) -> Message:
    """Turn the parts of one received ZeroMQ message into a Message, or raise ProtocolError.

    Checks everything that can be checked without decoding the image: the number of parts,
    the JSON, the name, the payload size, a JPEG's header and dimensions, a raw array's
    dtype and shape against its byte count.
    """
    if len(parts) not in (2, 3):
        raise ProtocolError(
            "bad-parts", f"expected 2 message parts (JSON metadata, image) or 3 (and a sub-image), got {len(parts)}"
        )
    head, payload = parts[0], parts[1]
    meta, name, info = _parse_head(head)
    if len(payload) > max_bytes:
        raise ProtocolError("too-large", f"frame is {len(payload)} bytes; the hub accepts at most {max_bytes}")
    if info.get("status") == CAMERA_ERROR and not payload:
        return Message(name, info=info, received=received, mono=mono)
    if "dtype" in meta or "shape" in meta:
        pixels = _parse_array(meta, payload, max_pixels)
        return Message(
            name, pixels=pixels, width=pixels.shape[1], height=pixels.shape[0], info=info, received=received, mono=mono
        )
    width, height = jpeg_size(payload)
    if width * height > max_pixels:
        raise ProtocolError("too-large", f"JPEG is {width}x{height}; the hub accepts at most {max_pixels} pixels")
    sub, sub_width, sub_height = _parse_sub(parts[2] if len(parts) == 3 else None, info, width, height)
    return Message(name, jpeg=bytes(payload), width=width, height=height, info=info, received=received, mono=mono,
                   sub=sub, sub_width=sub_width, sub_height=sub_height)  # fmt: skip


@functools.lru_cache(maxsize=256)
def _parse_head(head: bytes) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """The metadata part: the JSON object, the camera name and the sender's "camnet" info.
    A sender's head repeats from frame to frame, so each is parsed once (the results are
    shared: read them, never change them); a malformed one raises every time."""
    if len(head) > 4096:
        raise ProtocolError("bad-metadata", f"metadata is {len(head)} bytes; at most 4096 are allowed")
    try:
        meta = json.loads(head)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError("bad-metadata", f"metadata is not JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise ProtocolError("bad-metadata", f"metadata must be a JSON object, got {type(meta).__name__}")
    if "msg" not in meta:
        raise ProtocolError("bad-metadata", "metadata has no 'msg' key (the camera name)")
    return meta, validate_name(meta["msg"]), _parse_info(meta.get("camnet"))


def _parse_sub(part: bytes | None, info: dict[str, Any], width: int, height: int) -> tuple[bytes | None, int, int]:
    """A sub-image must come from a sender that offered it, be a JPEG and be smaller than the frame."""
    if part is None:
        return None, 0, 0
    if not info.get("sub"):
        raise ProtocolError("bad-parts", "a third message part (a sub-image) needs 'sub' in the 'camnet' metadata")
    try:
        sub_width, sub_height = jpeg_size(part)
    except ProtocolError as exc:
        raise ProtocolError("bad-sub", f"the sub-image is not a JPEG: {exc.reason}") from None
    if sub_width > width or sub_height > height:
        raise ProtocolError(
            "bad-sub", f"the sub-image is {sub_width}x{sub_height}, larger than its {width}x{height} frame"
        )
    return bytes(part), sub_width, sub_height


def _parse_info(raw: object) -> dict[str, Any]:
    """Keep the well-formed keys of the sender's "camnet" object; ignore the rest."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ProtocolError("bad-metadata", "'camnet' metadata must be a JSON object")
    info: dict[str, Any] = {}
    for key, limit in _INFO_STR.items():
        value = raw.get(key)
        if isinstance(value, str):
            info[key] = "".join(ch for ch in value[:limit] if ch.isprintable())
    if "error" in info:  # shown on the page and in the API: an older sender's text may hold a URL's password
        info["error"] = redact(info["error"])
    for key in _INFO_NUM:
        value = raw.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1e9:
            info[key] = value
    return info


def _parse_array(meta: dict[str, Any], payload: bytes, max_pixels: int) -> np.ndarray:
    """Rebuild a stock sender's ``send_image`` array, checking dtype and shape against the bytes."""
    shape = meta.get("shape")
    if meta.get("dtype") != "uint8":
        raise ProtocolError("bad-array", f"image dtype must be 'uint8', got {meta.get('dtype')!r}")
    if not (
        isinstance(shape, list)
        and len(shape) in (2, 3)
        and all(isinstance(d, int) and d > 0 for d in shape)
        and (len(shape) == 2 or shape[2] in (1, 3))
    ):
        raise ProtocolError("bad-array", f"image shape must be [H, W] or [H, W, 3], got {shape!r}")
    if shape[0] * shape[1] > max_pixels:
        raise ProtocolError("too-large", f"image is {shape[1]}x{shape[0]}; at most {max_pixels} pixels")
    expected = int(np.prod(shape))
    if len(payload) != expected:
        raise ProtocolError("bad-array", f"shape {shape} needs {expected} bytes, got {len(payload)}")
    return np.frombuffer(payload, dtype=np.uint8).reshape(shape)


def encode(name: str, jpeg: bytes, info: dict[str, Any], sub: bytes | None = None) -> list[bytes]:
    """Build the parts of a camnet sender's message (imagezmq's ``send_jpg`` plus "camnet"),
    and the sub-image as a third part when the hub has said it takes one."""
    head = json.dumps({"msg": name, "camnet": info}, separators=(",", ":")).encode()
    return [head, jpeg] if sub is None else [head, jpeg, sub]
