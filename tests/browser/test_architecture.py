"""Inside the Transformer in a real Chromium: the whole lecture path on both models, with
Lecture mode on and off, and a click on the diagram. Screenshots of every step go to
artifacts/architecture/; the re-render times to artifacts/timings.json (never a test limit)."""

from __future__ import annotations

import statistics
import time

import pytest

from app.views.architecture.blocks import BLOCKS, ENCODER_PATH, TRANSLATOR_PATH
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_pages import open_page, record_timings, settled_box, wait_for_app

SHOTS = ARTIFACTS / "architecture"


def heading(page, block: str):
    return page.get_by_role("heading", name=BLOCKS[block].title, exact=True).first


def open_architecture(page, app_url: str, model: str, lecture: bool) -> None:
    open_page(page, app_url, "Inside the Transformer")
    # the first run has finished (see open_page on streamlit/streamlit#7338)
    heading(page, "input").wait_for(timeout=120_000)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
    wait_for_app(page)
    if model == "minilm":
        page.get_by_text("MiniLM (a BERT encoder)").click()
        page.get_by_text("MiniLM (all-MiniLM-L6-v2)").first.wait_for(timeout=120_000)  # redrawn
        wait_for_app(page)
    if lecture:
        page.get_by_text("Lecture mode").click()
        page.wait_for_function(  # the lecture styles have reached the page
            "() => getComputedStyle(document.body).fontSize === '22px'", timeout=60_000
        )
        page.get_by_text("Follow one sentence").wait_for(state="detached", timeout=60_000)
        wait_for_app(page)
        # Switching modes keeps what was typed (the lecture styles once shifted the page's
        # elements and the browser mounted the text box anew, empty, about 1 time in 4).
        assert page.get_by_label("Text", exact=True).input_value().startswith("The cat")
    heading(page, "input").wait_for(timeout=120_000)


@pytest.mark.parametrize("lecture", [False, True], ids=["normal", "lecture"])
@pytest.mark.parametrize("model", ["translator", "minilm"])
def test_the_lecture_path_in_the_browser(app_url, watched, model, lecture):
    page = watched.page
    open_architecture(page, app_url, model, lecture)
    path = TRANSLATOR_PATH if model == "translator" else ENCODER_PATH
    SHOTS.mkdir(parents=True, exist_ok=True)
    mode = "lecture" if lecture else "normal"
    times = []
    for index, block in enumerate(path):
        heading(page, block).wait_for(timeout=60_000)
        wait_for_app(page)
        page.wait_for_function(  # a lecturer can bookmark each step
            f"() => new URL(location.href).searchParams.get('block') === '{block}'"
        )
        page.wait_for_selector(".js-plotly-plot .main-svg")
        heading(page, block).scroll_into_view_if_needed()  # the shot shows the block
        page.screenshot(path=str(SHOTS / f"{model}-{mode}-{index + 1:02d}-{block}.png"))
        if index + 1 < len(path):
            began = time.monotonic()
            page.get_by_role("button", name="Next block").first.click()
            heading(page, path[index + 1]).wait_for(timeout=60_000)
            wait_for_app(page)
            times.append(time.monotonic() - began)
    assert page.get_by_role("button", name="Next block").first.is_disabled()
    record_timings(
        {
            f"architecture {model} {mode}: Next block, click to drawn, median (s)": (
                statistics.median(times)
            ),
            f"architecture {model} {mode}: Next block, click to drawn, max (s)": max(times),
        }
    )
    watched.assert_clean()


def test_clicking_a_block_in_the_diagram_opens_it(app_url, watched):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = watched.page
    open_architecture(page, app_url, "translator", lecture=False)
    diagram = (
        page.locator("[data-testid='stPlotlyChart']")
        .filter(has=page.locator(".scatterlayer .point"))
        .first
    )
    boxes = diagram.locator(".scatterlayer .trace").last.locator(".point")  # the blocks' trace
    from app.views.architecture.diagram import boxes_of
    from model.analysis.anatomy import spec_of
    from model.tasks.translation import OurTranslator

    order = [box.block for box in boxes_of(spec_of(OurTranslator.load().model))]
    times = []
    for block in ("ffn", "cross", "softmax"):
        target = boxes.nth(order.index(block))  # the points follow the boxes' order
        for _ in range(5):
            box = settled_box(page, target)
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(x - 5, y)
            page.mouse.move(x, y)  # Plotly picks the point on hover, as under a real mouse
            page.wait_for_timeout(300)
            began = time.monotonic()
            page.mouse.click(x, y)
            try:
                heading(page, block).wait_for(timeout=10_000)
                break
            except PlaywrightTimeout:
                continue
        heading(page, block).wait_for(timeout=10_000)
        wait_for_app(page)
        times.append(time.monotonic() - began)
        page.wait_for_function(
            f"() => new URL(location.href).searchParams.get('block') === '{block}'"
        )
    page.screenshot(path=str(SHOTS / "diagram-click-softmax.png"))
    record_timings({"architecture: diagram click to drawn, max of 3 (s)": max(times)})
    watched.assert_clean()
