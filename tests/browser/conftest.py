"""A real Chromium (Debian's, driven by Playwright) and real cameras feeding a real hub."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest

from hub.app import Hub
from tests.conftest import ARTIFACTS, RawSender, jpeg, scene

CHROMIUM = "/usr/bin/chromium"
# As root on a closed network Chromium needs no sandbox and must not reach for Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    # No skip: a missing Playwright or Chromium must fail the run (make test installs both).
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: errors.append("dialog opened: " + dialog.message))
    page.errors = errors
    yield page
    context.close()


def screenshot(page, name: str) -> str:  # type: ignore[no-untyped-def]
    """Save a screenshot where a person can look at it, and print the path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return str(path)


class CameraFeeder:
    """Real senders on loopback: each named camera sends pre-encoded frames at ``fps``; with
    ``sub_width`` each frame carries a sub-image that wide, as the camnet sender's do."""

    def __init__(self, hub: Hub, fps: float = 8.0, width: int = 320, sub_width: int = 0) -> None:
        self.hub = hub
        self.fps = fps
        self.frames = {m: [jpeg(scene(i, m, width, width * 3 // 4), 70) for i in range(12)] for m in (True, False)}
        self.subs = {
            m: [jpeg(scene(i, m, sub_width, sub_width * 3 // 4), 70) for i in range(12)] if sub_width else []
            for m in (True, False)
        }
        self.cameras: dict[str, tuple[RawSender, bool]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feeder", daemon=True)
        self._thread.start()

    def add(self, name: str, moving: bool = True) -> None:
        with self._lock:
            self.cameras[name] = (RawSender(self.hub.config.zmq_port), moving)

    def remove(self, name: str) -> None:
        with self._lock:
            sender, _ = self.cameras.pop(name)
        sender.close()

    def _run(self) -> None:
        i = 0
        while not self._stop.is_set():
            started = time.monotonic()
            with self._lock:  # add/remove wait for a round to finish
                for name, (sender, moving) in self.cameras.items():
                    if self.subs[moving]:  # offered, and sent (the hub answers "OK sub")
                        head = json.dumps({"msg": name, "camnet": {"id": name, "sub": 320}}).encode()
                        sender.send([head, self.frames[moving][i % 12], self.subs[moving][i % 12]])
                    else:
                        sender.send([json.dumps({"msg": name}).encode(), self.frames[moving][i % 12]])
            i += 1
            self._stop.wait(max(0.0, 1 / self.fps - (time.monotonic() - started)))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for sender, _ in self.cameras.values():
            sender.close()


@pytest.fixture
def feeder(hub: Hub) -> Iterator[CameraFeeder]:
    feeder = CameraFeeder(hub)
    yield feeder
    feeder.close()
