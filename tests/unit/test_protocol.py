"""The message format: imagezmq's two parts, camnet's extra key, and every kind of bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from common.protocol import ProtocolError, encode, jpeg_size, parse, validate_name
from tests.conftest import jpeg, scene

GOOD = jpeg(scene(0, False))


def kind_of(parts: list[bytes], max_bytes: int = 1_000_000) -> str:
    with pytest.raises(ProtocolError) as info:
        parse(parts, max_bytes)
    return info.value.kind


def test_the_reply_names_the_kind_and_the_reason() -> None:
    with pytest.raises(ProtocolError) as info:
        parse([b'{"msg": "cam"}', b"GIF89a"], 1000)
    assert info.value.reply() == b"ERROR not-jpeg: payload is not a JPEG (no FFD8 start marker)"


def test_a_jpeg_padded_after_its_end_marker_is_accepted() -> None:
    padded = GOOD + bytes(4096)  # some encoders pad to a block size
    assert parse([b'{"msg": "cam"}', padded], 1_000_000).jpeg == padded
    assert kind_of([b'{"msg": "cam"}', GOOD[:-2] + bytes(100)]) == "not-jpeg", "still truncated without FFD9"


def test_the_sender_id_travels_in_the_camnet_key() -> None:
    message = parse(encode("cam", GOOD, {"id": "0123abcd"}), 1_000_000, received=12.5)
    assert (message.sender_id, message.received) == ("0123abcd", 12.5)
    assert parse([b'{"msg": "cam"}', GOOD], 1_000_000).sender_id is None, "a stock sender has none"


def test_stock_send_jpg_message() -> None:
    msg = parse([json.dumps({"msg": "garage"}).encode(), GOOD], 1_000_000)
    assert (msg.name, msg.width, msg.height, msg.info) == ("garage", 640, 480, {})
    assert msg.jpeg == GOOD and msg.camera_error is None


def test_stock_send_image_message() -> None:
    pixels = scene(1, False, 64, 48)
    head = json.dumps({"msg": "cam", "dtype": "uint8", "shape": [48, 64, 3]}).encode()
    msg = parse([head, pixels.tobytes()], 1_000_000)
    assert msg.pixels is not None and np.array_equal(msg.pixels, pixels)
    assert (msg.width, msg.height) == (64, 48)


def test_camnet_message_round_trip_keeps_known_info_only() -> None:
    parts = encode(
        "pi-1", GOOD, {"version": "0.1.0", "fps": 14.5, "source": "picamera", "evil": "x" * 1000, "dropped": -3}
    )
    msg = parse(parts, 1_000_000)
    assert msg.info == {"version": "0.1.0", "source": "picamera", "fps": 14.5}


def test_camera_error_heartbeat_has_no_image() -> None:
    msg = parse(encode("pi-1", b"", {"status": "camera-error", "error": "unplugged"}), 1000)
    assert msg.jpeg is None and msg.pixels is None and msg.camera_error == "unplugged"


@pytest.mark.parametrize(
    "parts, kind",
    [
        ([b'{"msg": "a"}'], "bad-parts"),
        ([b'{"msg": "a"}', GOOD, b"extra"], "bad-parts"),
        ([b"not json", GOOD], "bad-metadata"),
        ([b"\xff\xfe", GOOD], "bad-metadata"),
        ([b"[1, 2]", GOOD], "bad-metadata"),
        ([b'{"name": "a"}', GOOD], "bad-metadata"),
        ([b'{"msg": 5}', GOOD], "bad-name"),
        ([b'{"msg": "a", "camnet": [1]}', GOOD], "bad-metadata"),
        ([b'{"msg": "a"}', b"hello, not a jpeg"], "not-jpeg"),
        ([b'{"msg": "a"}', GOOD[: len(GOOD) // 2]], "not-jpeg"),
        ([b'{"msg": "a"}', b"\xff\xd8\xff\xd9"], "not-jpeg"),
        ([b'{"msg": "a", "dtype": "float64", "shape": [2, 2]}', b"\0" * 32], "bad-array"),
        ([b'{"msg": "a", "dtype": "uint8", "shape": [4, 4, 3]}', b"\0" * 47], "bad-array"),
        ([b'{"msg": "a", "dtype": "uint8", "shape": "big"}', b"\0" * 4], "bad-array"),
        ([b'{"msg": "a", "dtype": "uint8", "shape": [100000, 100000]}', b"\0" * 4], "too-large"),
        ([b'{"msg": "' + b"a" * 5000 + b'"}', GOOD], "bad-metadata"),
    ],
)
def test_malformed_messages_are_named(parts: list[bytes], kind: str) -> None:
    assert kind_of(parts) == kind


def test_frame_over_the_size_limit() -> None:
    assert kind_of([b'{"msg": "a"}', GOOD], max_bytes=1000) == "too-large"


def test_jpeg_bomb_dimensions_refused_without_decoding() -> None:
    data = bytearray(GOOD)
    i = data.index(b"\xff\xc0")
    data[i + 5 : i + 9] = (60000).to_bytes(2, "big") * 2
    assert jpeg_size(bytes(data)) == (60000, 60000)
    assert kind_of([b'{"msg": "a"}', bytes(data)]) == "too-large"


@pytest.mark.parametrize(
    "name", ["garage", "Front door", "pi-cam.2", "カメラ", "a" * 64, "café (north) #2", "50% + [x]"]
)
def test_names_allowed(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "", " lead", "trail ", "a/b", "..", ".", "a" * 65, "tab\tname", "nl\nname", "zero\u200bwidth", "bell\x07",
        "<img src=x onerror=alert(1)>", "x' onmouseover='alert(1)", 'x" autofocus onfocus="alert(1)', "a&amp;b",
        "`${alert(1)}`", "<script>",
    ],
)  # fmt: skip
def test_names_refused(name: str) -> None:
    with pytest.raises(ProtocolError) as info:
        validate_name(name)
    assert info.value.kind == "bad-name"


def test_an_older_senders_camera_error_never_shows_a_password() -> None:
    error = "cannot open url source 'rtsp://admin:S3cret@10.0.0.5/stream1'"
    msg = parse(encode("pi-1", b"", {"status": "camera-error", "error": error}), 1000)
    assert msg.camera_error == "cannot open url source 'rtsp://admin:***@10.0.0.5/stream1'"
    assert "S3cret" not in json.dumps(msg.info), "the API shows the sender's info too"
