"""The portal's index on a real SQLite file: a camera its hub stops listing (the hub restarting)
stays shown offline for a while and then goes; events merge newest first across hubs; tokens
are kept but never listed."""

from __future__ import annotations

from pathlib import Path

from hub.portal.index import PortalIndex


def camera(name: str, status: str = "online") -> dict:
    return {"name": name, "status": status, "recording": status == "online", "labels": []}


def test_unlisted_cameras_stay_offline_then_go(tmp_path: Path) -> None:
    index = PortalIndex(tmp_path)
    index.hub_record("shop", "http://shop:8000", "1", {"events": True}, [camera("till"), camera("door")])
    index.hub_record("shop", "http://shop:8000", "1", {"events": True}, [])  # restarted: no sender back yet
    assert [(c["name"], c["status"], c["recording"]) for c in index.cameras()] == [
        ("door", "offline", False), ("till", "offline", False)]  # fmt: skip
    index.hub_record("shop", "http://shop:8000", "1", {}, [camera("till")])
    assert {c["name"]: c["status"] for c in index.cameras("shop")} == {"door": "offline", "till": "online"}
    index._run("UPDATE cameras SET seen = 0 WHERE name = 'door'")  # unlisted for long: gone
    index.hub_record("shop", "http://shop:8000", "1", {}, [camera("till")])
    assert [c["name"] for c in index.cameras()] == ["till"]
    assert (tmp_path / "portal.db").stat().st_mode & 0o777 == 0o600
    index.close()


def test_events_merge_newest_first_and_tokens_stay_secret(tmp_path: Path) -> None:
    index = PortalIndex(tmp_path)
    for hub, ident, start, labels in (("a", 1, 100.0, []), ("b", 1, 300.0, ["person"]), ("a", 2, 200.0, ["car"])):
        index.event(hub, {"id": ident, "camera": "cam", "start": start, "labels": labels, "state": "done"})
    index.event("a", {"id": 2, "camera": "cam", "start": 200.0, "labels": ["car"], "state": "cut"})  # updated
    assert [(e["hub"], e["id"]) for e in index.events()] == [("b", 1), ("a", 2), ("a", 1)]
    assert [e["state"] for e in index.events(hub="a")] == ["cut", "done"]
    assert [(e["hub"], e["id"]) for e in index.events(before=300.0)] == [("a", 2), ("a", 1)]
    assert [(e["hub"], e["id"]) for e in index.events(label="person")] == [("b", 1)]
    assert index.refresh_from("a") == 200.0 and index.refresh_from("nobody") is None
    index.event("a", {"id": 3, "camera": "cam", "start": 150.0, "labels": [], "state": "recording"})
    assert index.refresh_from("a") == 150.0, "from the oldest event still recording: its end comes too"
    index.set_token("a", "camnet_secret")
    assert index.token("a") == "camnet_secret" and "camnet_secret" not in str(index.tokens())
    assert index.remove_token("a") and not index.remove_token("a")
    index.close()
