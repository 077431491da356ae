"""``make bench`` scenario ``grid``: what the page's grid costs a phone and a desktop.

A hub process and 16 camnet-style senders (640x480 at 15 fps, each with a 320-wide sub-image),
and Debian's Chromium driven by Playwright showing the grid: a phone (390x844 CSS pixels at
devicePixelRatio 3) and a desktop (1440x900). Measured at the hub (``/metrics``
``camnet_stream_bytes_total{kind="page"}``) and in the page (the frames each visible tile
painted), over the same window: Mbit/s received in all, and the slowest visible tile's frames
a second. Then the camera page of one camera: its frame rate (the main stream, every frame).
"""

from __future__ import annotations

import time
import urllib.request
from typing import Any

from bench.run import CamnetHub, loads, stop

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
VIEWS = {"phone": ({"width": 390, "height": 844}, 3), "desktop": ({"width": 1440, "height": 900}, 1)}


def _page_bytes(hub: CamnetHub) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{hub.http}/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith('camnet_stream_bytes_total{kind="page"}'):
                return float(line.split()[-1])
    return 0.0


_SEQS = """() => Object.fromEntries([...document.querySelectorAll('article.tile')]
  .filter(t => { const r = t.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; })
  .map(t => [t.dataset.camera, Number(t.dataset.painted || 0)]))"""


def _watch(page: Any, hub: CamnetHub, seconds: float, settle: float) -> dict[str, Any]:
    time.sleep(settle)  # the stream is open and the tiles are painting
    seqs_a, bytes_a, t_a = page.evaluate(_SEQS), _page_bytes(hub), time.monotonic()
    time.sleep(seconds)
    seqs_b, bytes_b, t_b = page.evaluate(_SEQS), _page_bytes(hub), time.monotonic()
    rates = [(seqs_b[name] - seqs_a.get(name, 0)) / (t_b - t_a) for name in seqs_b if name in seqs_a]
    widths = page.eval_on_selector_all("article.tile img", "imgs => imgs.map(i => i.naturalWidth).filter(w => w)")
    return {
        "mbit_per_s": (bytes_b - bytes_a) * 8 / (t_b - t_a) / 1e6,
        "visible_tiles": len(rates),
        "slowest_tile_fps": min(rates) if rates else 0.0,
        "median_tile_fps": sorted(rates)[len(rates) // 2] if rates else 0.0,
        "image_widths": sorted(set(widths)),
    }


def grid(cams: int = 16, seconds: float = 10.0, settle: float = 3.0) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    hub = CamnetHub()
    senders = loads(hub.zmq, cams, 15, "640x480", sub=True)
    out: dict[str, Any] = {"cameras": cams}
    try:
        time.sleep(settle)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            for view, (viewport, scale) in VIEWS.items():
                context = browser.new_context(viewport=viewport, device_scale_factor=scale)
                page = context.new_page()
                page.goto(f"http://127.0.0.1:{hub.http}/")
                out[view] = _watch(page, hub, seconds, settle)
                context.close()
            context = browser.new_context(viewport=VIEWS["desktop"][0])
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{hub.http}/camera/cam-00")
            out["camera_page"] = _watch(page, hub, seconds, settle)
            context.close()
            browser.close()
    finally:
        stop(senders)
        hub.close()
    return out


def rows(r: dict[str, Any]) -> list[str]:
    goals = {"phone": "<= 2 Mbit/s, every visible tile >= 2 fps", "desktop": "<= 8 Mbit/s, every tile >= 5 fps",
             "camera_page": "the camera's full rate (15 fps)"}  # fmt: skip
    out = []
    for view in ("phone", "desktop", "camera_page"):
        v = r[view]
        out.append(
            f"| page grid, {r['cameras']} cams x 15 fps, {view.replace('_', ' ')} | 640 px JPEG in every tile | "
            f"{v['mbit_per_s']:.2f} Mbit/s, {v['visible_tiles']} visible, slowest {v['slowest_tile_fps']:.1f} fps "
            f"(median {v['median_tile_fps']:.1f}), images {v['image_widths']} px wide | {goals[view]} |"
        )
    return out
