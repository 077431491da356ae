"""The portal's page in a real Chromium: four live tiles of two hubs, grouped by hub, and the
merged events of both."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.conftest import wait_until
from tests.integration.test_portal import Site, cameras

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_four_live_tiles_of_two_hubs_and_their_events(tmp_path: Path, page) -> None:  # type: ignore[no-untyped-def]
    site = Site(tmp_path)
    try:
        portal = site.portal
        wait_until(lambda: len(cameras(portal)) == 4, timeout=20)
        page.goto(f"http://127.0.0.1:{portal.http}/")
        expect(page.locator("section.hub")).to_have_count(2)
        expect(page.locator("article.tile")).to_have_count(4)
        page.wait_for_function(  # each tile's MJPEG from the portal has shown a frame
            "() => [...document.querySelectorAll('article.tile img')].every(i => i.complete !== undefined"
            " && i.naturalWidth > 0)",
            timeout=20_000,
        )
        hubs_seen = portal.api("/api/hubs")
        assert sorted(h["feeds"] for h in hubs_seen) == [2, 2], "one upstream per camera shown"
        for hub in ("north", "south"):
            section = page.locator(f'section.hub[data-hub="{hub}"]')
            expect(section.locator(".hub-state")).to_have_text("online")
            assert section.locator("h2 a").get_attribute("href") == f"http://127.0.0.1:{site.hubs[hub].http}/"
            expect(section.locator("article.tile")).to_have_count(2)
        screenshot(page, "portal-grid")
        page.locator('article.tile[data-camera="south-yard"]').click()  # one camera, its main stream
        page.wait_for_url("**/camera/south/south-yard")
        page.wait_for_function("() => (document.querySelector('article.tile img') || {}).naturalWidth === 640")
        expect(page.locator("article.tile")).to_have_count(1)
        wait_until(lambda: {e["hub"] for e in portal.api("/api/events")} == {"north", "south"}, timeout=20)
        page.goto(f"http://127.0.0.1:{portal.http}/events")
        expect(page.locator("li.event").first).to_be_visible()
        hubs = page.locator("li.event").evaluate_all("items => items.map(i => i.dataset.hub)")
        assert set(hubs) == {"north", "south"}
        assert page.errors == []
    finally:
        site.close()
