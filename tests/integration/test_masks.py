"""Per-camera motion settings and masks in a running hub: a [cameras.<name>] table, masks
saved over the API, applied at once, kept in the data directory across a restart."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hub.app import Hub
from tests.conftest import RawSender, get, jpeg, scene, url, wait_until

WHOLE_VIEW = [[0, 0], [1, 0], [1, 1], [0, 1]]


def put(hub: Hub, path: str, body: object) -> tuple[int, Any]:
    data = json.dumps(body).encode() if not isinstance(body, bytes) else body
    request = urllib.request.Request(
        url(hub, path), data=data, method="PUT", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def camera(hub: Hub, name: str) -> dict[str, Any]:
    _, body, _ = get(hub, "/api/cameras")
    return next(c for c in json.loads(body) if c["name"] == name)


def stream_moving(sender: RawSender, names: list[str], frames: range) -> None:
    for i in frames:
        data = jpeg(scene(i, moving=True))
        for name in names:
            assert sender.frame(name, data) == b"OK"


def test_a_cameras_table_masks_its_motion_and_no_other(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(cameras={"masked": {"masks": (tuple(map(tuple, WHOLE_VIEW)),)}})
    sender = RawSender(hub.config.zmq_port)
    try:
        stream_moving(sender, ["masked", "open"], range(20))
        wait_until(lambda: camera(hub, "open")["analyzed"] >= 15 and camera(hub, "masked")["analyzed"] >= 15)
        assert camera(hub, "open")["motion"] is True
        assert camera(hub, "masked")["motion"] is False and camera(hub, "masked")["motion_seconds"] == 0
    finally:
        sender.close()


def test_masks_saved_over_the_api_apply_at_once_and_survive_a_restart(
    hub_factory: Callable[..., Hub], tmp_path: Path
) -> None:
    data_dir = tmp_path / "state"
    hub = hub_factory(data_dir=str(data_dir))
    status, body = put(hub, "/api/cameras/garage/masks", {"masks": [WHOLE_VIEW]})
    assert status == 404 and "no camera named 'garage'" in body["error"]
    sender = RawSender(hub.config.zmq_port)
    try:
        stream_moving(sender, ["garage"], range(12))
        wait_until(lambda: camera(hub, "garage")["motion"])
        assert json.loads(get(hub, "/api/cameras/garage/masks")[1]) == {"camera": "garage", "config": [], "saved": []}
        for bad, message in [
            ({"masks": [[[0, 0], [1, 0]]]}, "polygon 1 needs 3 to 64 corners"),
            ({"masks": [[[0, 0], [2, 0], [1, 1]]]}, "not [x, y] in 0-1"),
            ({"mask": []}, 'send JSON {"masks"'),
            (b"{not json", 'send JSON {"masks"'),
        ]:
            status, body = put(hub, "/api/cameras/garage/masks", bad)
            assert status == 400 and message in body["error"], (bad, body)
        status, body = put(hub, "/api/cameras/garage/masks", {"masks": [WHOLE_VIEW]})
        assert status == 200 and body["saved"] == [WHOLE_VIEW]
        stream_moving(sender, ["garage"], range(12, 24))
        wait_until(lambda: not camera(hub, "garage")["motion"])
    finally:
        sender.close()
    assert json.loads((data_dir / "masks.json").read_text())["cameras"]["garage"] == [WHOLE_VIEW]
    hub.stop()
    again = hub_factory(data_dir=str(data_dir))
    sender = RawSender(again.config.zmq_port)
    try:
        stream_moving(sender, ["garage"], range(20))
        wait_until(lambda: camera(again, "garage")["analyzed"] >= 15)
        assert camera(again, "garage")["motion"] is False, "the saved mask applies after a restart"
        assert json.loads(get(again, "/api/cameras/garage/masks")[1])["saved"] == [WHOLE_VIEW]
        status, body = put(again, "/api/cameras/garage/masks", {"masks": []})
        assert status == 200 and body["saved"] == []
    finally:
        sender.close()


def test_masks_of_a_camera_named_only_in_the_config_can_be_saved(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(cameras={"porch": {"threshold": 30}})
    status, body = put(hub, "/api/cameras/porch/masks", {"masks": [WHOLE_VIEW]})
    assert status == 200 and body == {"camera": "porch", "config": [], "saved": [WHOLE_VIEW]}
    assert hub.motion_settings("porch").masks == (tuple(map(tuple, WHOLE_VIEW)),)
    assert hub.motion_settings("porch").threshold == 30


def test_an_unreadable_masks_file_is_set_aside_not_lost(hub_factory: Callable[..., Hub], tmp_path: Path) -> None:
    data_dir = tmp_path / "state"
    data_dir.mkdir()
    (data_dir / "masks.json").write_text("{half a file")
    hub = hub_factory(data_dir=str(data_dir))
    assert hub.masks.get("garage") == ()
    kept = list(data_dir.glob("masks.json.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_text() == "{half a file"


def test_a_data_dir_that_cannot_be_made_or_a_newer_file_stops_the_hub_with_a_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hub import cli

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert cli.main(["--ip", "127.0.0.1", "--port", "0", "--data-dir", str(blocker / "state")]) == 2
    assert "cannot create the data directory" in capsys.readouterr().err
    newer = tmp_path / "newer"
    newer.mkdir()
    (newer / "masks.json").write_text('{"version": 2, "cameras": {}}')
    assert cli.main(["--ip", "127.0.0.1", "--port", "0", "--data-dir", str(newer)]) == 2
    assert "has version 2; this camnet reads version 1" in capsys.readouterr().err
    assert (newer / "masks.json").read_text() == '{"version": 2, "cameras": {}}', "never overwritten"
