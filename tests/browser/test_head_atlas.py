"""The Head atlas in Chromium, as a researcher uses it: the map paints from the shipped atlas
(the time from the menu click to the map is recorded), a click on a head shows its strongest
links, one of them opens the explorer on that sentence and head, and the syntax table and
the query-key view draw, offline and without errors. Screenshots go to artifacts/
(ATLAS_UPDATE_DOCS=1 copies two to docs/)."""

from __future__ import annotations

import os
import shutil
import time

from tests.browser.conftest import ARTIFACTS, ROOT
from tests.browser.test_pages import open_page, record_timings, settled_box, wait_for_app

MAP = "[data-testid='stPlotlyChart']"


def shot(page, name: str, docs: str | None = None, at: str | None = None) -> None:
    """A screenshot, scrolled so that the text `at` is at the top of the window."""
    if at is not None:
        page.get_by_text(at).first.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(300)
    path = ARTIFACTS / f"head-atlas-{name}.png"
    page.screenshot(path=str(path))
    if docs and os.environ.get("ATLAS_UPDATE_DOCS") == "1":
        shutil.copy(path, ROOT / "docs" / docs)


def test_a_researcher_walks_the_head_atlas(app_url, watched):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = watched.page
    open_page(page, app_url, "Home")
    began = time.monotonic()
    page.locator("[data-testid='stSidebarNav'] a", has_text="Head atlas").first.click()
    page.locator(f"{MAP} .scatterlayer .point").first.wait_for(state="attached", timeout=120_000)
    record_timings({"head atlas: menu click to map drawn (s)": time.monotonic() - began})
    wait_for_app(page)
    page.get_by_role("heading", name="Head atlas").first.wait_for()

    # a click on layer 3, head 5 of the map shows that head's strongest links
    target = page.locator(f"{MAP} .scatterlayer .point").nth(3 * 12 + 5)
    chosen = page.get_by_text("Layer 3, head 5: its strongest links")
    for _ in range(5):
        box = settled_box(page, target)
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x - 5, y)
        page.mouse.move(x, y)
        page.wait_for_timeout(300)
        page.mouse.click(x, y)
        try:
            chosen.first.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    chosen.first.wait_for(timeout=10_000)
    wait_for_app(page)
    shot(page, "map", docs="head-atlas-map.png", at="Behaviour")

    # an example opens the explorer on its sentence, layer and head
    page.get_by_role("button", name="Explorer").first.click()
    page.wait_for_function(
        "() => new URL(location.href).searchParams.get('head') === '5'", timeout=60_000
    )
    assert "layer=3" in page.url and "/explorer" in page.url
    page.get_by_text("Layer 3, head 5").first.wait_for(timeout=60_000)

    # back to the atlas: the syntax table and the query-key view
    page.locator("[data-testid='stSidebarNav'] a", has_text="Head atlas").first.click()
    wait_for_app(page)
    page.get_by_role("tab", name="Syntax").click()
    page.get_by_text("What Does BERT Look At?").first.wait_for(timeout=60_000)
    wait_for_app(page)
    shot(page, "syntax", docs="head-atlas-syntax.png", at="Behaviour")
    page.get_by_role("tab", name="Query-key view").click()
    wait_for_app(page)
    page.get_by_text("Lay the vectors out").click()
    page.locator(f"{MAP} canvas").first.wait_for(state="attached", timeout=180_000)
    wait_for_app(page)
    page.wait_for_timeout(600)
    shot(page, "query-keys", at="Lay the vectors out")
    watched.assert_clean()
