"""Every page in a real Chromium: it renders its title and chart, offline, without errors."""

from __future__ import annotations

import os
import shutil

import pytest

from app.serving.navigation import PAGES
from tests.browser.conftest import ARTIFACTS, ROOT

CHARTS = {  # charts drawn on first load
    "Home": 1,
    "BERT attention": 2,
    "Attention explorer": 2,
    "Positional encodings": 3,
    "Masks": 3,
    "Attention step by step": 3,
    "Translation": 3,
    "Named entities": 1,
    "Question answering": 3,
    "Head atlas": 1,
}


def open_page(page, app_url: str, title: str) -> None:
    """Arrive at / and click through the menu, as a person does. (Opening a sub-URL directly
    makes Streamlit's front end probe <page>/_stcore/health for its base path: benign 404s.)"""
    page.goto(app_url)
    # Home's run must have finished before the menu is used: a keyed text box pre-set through
    # session state can come up blank when its page is opened while the previous page's run
    # is still going (streamlit/streamlit#7338), and the page then runs on an empty text.
    page.get_by_role("link", name=PAGES[-1].title).last.wait_for(timeout=120_000)
    wait_for_app(page)
    if title != PAGES[0].title:
        page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
        wait_for_app(page)


def record_timings(found: dict[str, float]) -> None:
    """Merge into artifacts/timings.json (several tests write there)."""
    import json

    path = ARTIFACTS / "timings.json"
    timings = json.loads(path.read_text()) if path.exists() else {}
    timings.update({name: round(seconds, 3) for name, seconds in found.items()})
    path.write_text(json.dumps(timings, indent=2) + "\n")
    print(found)


def wait_for_app(page) -> None:
    page.wait_for_selector("[data-testid='stApp']")
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000
    )


@pytest.mark.parametrize("page_info", PAGES, ids=[p.title for p in PAGES])
def test_page_renders_offline_without_errors(app_url, watched, page_info):
    page = watched.page
    open_page(page, app_url, page_info.title)
    heading = "Attention Atlas" if page_info.title == "Home" else page_info.title
    page.get_by_role("heading", name=heading).first.wait_for()
    charts = CHARTS.get(page_info.title, 0)
    if charts:
        page.wait_for_function(
            f"() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}",
            timeout=120_000,
        )
    shot = ARTIFACTS / f"{page_info.path.rsplit('/', 1)[-1].removesuffix('.py')}.png"
    page.screenshot(path=str(shot), full_page=False)
    if page_info.title == "BERT attention" and os.environ.get("ATLAS_UPDATE_DOCS") == "1":
        shutil.copy(shot, ROOT / "docs" / "bert-attention.png")
    watched.assert_clean()


def test_markup_typed_into_the_box_is_shown_not_executed(app_url, watched):
    page = watched.page
    open_page(page, app_url, "BERT attention")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    box = page.get_by_label("Text")
    box.fill("<img src=x onerror=alert(1)> hello")
    box.press("Control+Enter")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot text')]"
        ".some(t => t.textContent.includes('hello'))",
        timeout=120_000,
    )
    assert page.locator("img[src='x']").count() == 0
    labels = page.locator(".js-plotly-plot .xtick text").all_text_contents()
    assert any("<" in label for label in labels), labels  # the markup shows as text
    watched.assert_clean()


def test_bertviz_views_draw_offline(app_url, watched):
    page = watched.page
    open_page(page, app_url, "Attention explorer")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    page.get_by_role("tab", name="bertviz").click()
    # something only that view draws, so a frame left from the previous view cannot pass
    only_in = {"head": "#layer option", "model": "#vis svg rect", "neuron": "#att_head option"}
    for view in ("head", "model", "neuron"):
        radio = page.locator("[data-testid='stRadio']").filter(has_text="bertviz view")
        radio.get_by_text(view, exact=True).click()
        wait_for_app(page)
        frame = page.frame_locator("iframe").first
        frame.locator(only_in[view]).first.wait_for(state="attached", timeout=60_000)
        frame.locator("#vis svg").first.wait_for(timeout=60_000)
        assert frame.locator("#vis svg *").count() > 50, view
        page.locator("iframe").first.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"bertviz-{view}.png"))
    watched.assert_clean()


def test_clicking_a_head_in_the_grid_opens_it(app_url, watched):
    page = watched.page
    open_page(page, app_url, "Attention explorer")
    grid = (
        page.locator("[data-testid='stPlotlyChart']")
        .filter(has=page.locator(".scatterlayer .point"))
        .first
    )
    target = grid.locator(".scatterlayer .point").nth(12 * 2 + 5)  # layer 2, head 5
    click_head(page, target, head=5)
    assert "layer=2" in page.url
    page.get_by_text("Layer 2, head 5").first.wait_for()  # and the head opens
    page.screenshot(path=str(ARTIFACTS / "explorer-grid.png"))
    watched.assert_clean()


def click_head(page, target, head: int) -> None:
    """Click a chart's point that opens a head, until the link says that head is open."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    opened = f"() => new URL(location.href).searchParams.get('head') === '{head}'"
    for _ in range(5):
        open_grid_tab(page)
        box = settled_box(page, target)
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x - 5, y)
        page.mouse.move(x, y)  # Plotly picks the point on hover, as under a real mouse
        page.wait_for_timeout(300)
        page.mouse.click(x, y)
        try:
            page.wait_for_function(opened, timeout=10_000)
            return
        except PlaywrightTimeout:
            # Not selected, or a point beside it was (the chart moved under the mouse), which
            # opens that head instead and closes the grid: open the grid again and re-aim.
            continue
    page.wait_for_function(opened, timeout=10_000)


def open_grid_tab(page) -> None:
    """Open the explorer's "All heads" tab (a rerun builds that tab's view only)."""
    tab = page.get_by_role("tab", name="All heads")
    try:
        tab.wait_for(timeout=60_000)
    except Exception as error:  # say what the page showed instead (CI keeps no screenshots)
        page.screenshot(path=str(ARTIFACTS / "explorer-no-tabs.png"), full_page=True)
        main = page.locator("[data-testid='stMain']").inner_text()
        raise AssertionError(f"no tabs on the explorer; it shows:\n{main[:1500]}") from error
    tab.click()
    page.wait_for_function(  # the rerun has written the open tab into the link
        "() => new URL(location.href).searchParams.get('tab') === 'All heads'", timeout=60_000
    )
    wait_for_app(page)


def settled_box(page, locator, tries: int = 20) -> dict:
    """The locator's bounding box once two readings 300 ms apart agree (Plotly lays a chart
    out again after it first draws it, and Streamlit may still be adding elements above)."""
    locator.scroll_into_view_if_needed(timeout=60_000)
    box = locator.bounding_box(timeout=60_000)
    for _ in range(tries):
        page.wait_for_timeout(300)
        again = locator.bounding_box(timeout=60_000)
        if again == box:
            return box
        box = again
    return box


def test_a_long_run_says_what_it_is_doing(app_url, watched):
    """Attention flow on 62 tokens solves 3,844 max-flow problems (seconds): a spinner says
    so while it runs, where the map will appear, and goes when the map comes."""
    page = watched.page
    open_page(page, app_url, "Attention explorer")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    box = page.get_by_label("Text", exact=True)
    box.fill("Rivers carry the rain from the hills down to the sea. " * 5)
    box.press("Control+Enter")
    page.get_by_text("62 query tokens").first.wait_for(timeout=120_000)
    wait_for_app(page)
    page.get_by_role("tab", name="Rollout & flow").click()
    page.get_by_text("Compute attention flow").wait_for(timeout=60_000)
    wait_for_app(page)
    page.get_by_text("Compute attention flow").click()
    spinner = page.locator("[data-testid='stSpinner']").filter(has_text="max-flow")
    spinner.wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "spinner.png"))
    page.get_by_text("Attention flow (max-flow)").first.wait_for(timeout=120_000)
    spinner.wait_for(state="detached", timeout=60_000)
    watched.assert_clean()


def test_watching_attention_form_in_the_browser(app_url, watched):
    page = watched.page
    open_page(page, app_url, "Watch attention form")
    page.get_by_role("button", name="Train").click()
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 2",
        timeout=120_000,
    )
    page.get_by_text("Loss").first.wait_for(timeout=120_000)
    page.screenshot(path=str(ARTIFACTS / "watch.png"), full_page=True)
    watched.assert_clean()


def test_a_512_token_text_in_the_explorer_measured(app_url, watched):
    """The heavy views on a 512-token text: the all-heads grid after its tab is clicked, and
    the single head after the head changes. The times go to artifacts/timings.json (the
    closing notes quote them); a test never fails on a time."""
    import time

    page = watched.page
    open_page(page, app_url, "Attention explorer")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    box = page.get_by_label("Text", exact=True)
    box.fill("The committee discussed the new budget for the library and the museum. " * 50)
    box.press("Control+Enter")
    page.get_by_text("512 query tokens").first.wait_for(timeout=120_000)
    wait_for_app(page)
    page.get_by_text("Tokens shown").first.wait_for()  # a window of the text to focus on
    # the single head is a large square to zoom into, not a strip
    area = page.locator(".js-plotly-plot").first.locator(".nsewdrag").first.bounding_box()
    assert area["width"] >= 600 and abs(area["width"] - area["height"]) <= 0.02 * area["width"]
    timings = {}

    began = time.monotonic()
    page.get_by_role("tab", name="All heads").click()
    page.locator("[data-testid='stPlotlyChart'] .scatterlayer .point").first.wait_for(
        state="attached", timeout=120_000
    )
    timings["all-heads grid at 512 tokens, tab click to drawn (s)"] = time.monotonic() - began

    page.get_by_role("tab", name="One head").click()
    page.get_by_text("Layer 0, head 0").first.wait_for(timeout=120_000)
    wait_for_app(page)
    began = time.monotonic()
    page.locator("[data-testid='stSelectbox']").filter(has_text="Head").first.click()
    page.get_by_role("option", name="7", exact=True).click()
    page.get_by_text("Layer 0, head 7").first.wait_for(timeout=120_000)
    timings["head change at 512 tokens, click to drawn (s)"] = time.monotonic() - began

    from urllib.parse import urlencode

    link = urlencode({"text": "A new text nobody has opened yet, about rivers and roads. " * 45,
                      "layer": 3, "head": 4})  # fmt: skip
    # A copied link opens a sub-URL directly, whose probes of <page>/_stcore/ 404 in
    # Streamlit's front end (benign, see open_page): a session of its own, not watched.
    linked = page.context.browser.new_context().new_page()
    began = time.monotonic()
    linked.goto(f"{app_url}/explorer?{link}")  # a copied link, to a text not yet captured
    linked.get_by_text("Layer 3, head 4").first.wait_for(timeout=120_000)
    linked.wait_for_selector(".js-plotly-plot .main-svg")
    timings["a copied link to a new 512-token text, open to drawn (s)"] = time.monotonic() - began
    linked.context.close()
    record_timings(timings)
    watched.assert_clean()
