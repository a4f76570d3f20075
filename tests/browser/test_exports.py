"""Slide-ready exports in Chromium: a chart's SVG button downloads the chart as an SVG file
(vectors, its token labels as text), beside Plotly's PNG; bertviz's head view downloads as
SVG too; offline and without errors."""

from __future__ import annotations

from pathlib import Path

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_pages import open_page, wait_for_app


def downloaded(download) -> str:
    path = ARTIFACTS / "exports" / download.suggested_filename
    path.parent.mkdir(parents=True, exist_ok=True)
    download.save_as(str(path))
    return Path(path).read_text(encoding="utf-8")


def test_every_chart_downloads_as_svg(app_url, watched):
    page = watched.page
    open_page(page, app_url, "BERT attention")
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for()
    chart.hover()  # Plotly shows its toolbar under the mouse
    svg_button = chart.locator("[data-testid='atlas-svg']")
    svg_button.wait_for(state="attached", timeout=30_000)
    camera = chart.locator(".modebar-btn[data-title^='Download plot']:not([data-testid])")
    assert camera.count() == 1  # Plotly's own, still PNG
    with page.expect_download() as info:
        svg_button.click()
    text = downloaded(info.value)
    assert info.value.suggested_filename.endswith(".svg")
    assert text.lstrip().startswith("<svg") and "<text" in text and "cls" in text.lower()
    # charts drawn later (another page, a tab) get the button too
    page.locator("[data-testid='stSidebarNav'] a", has_text="Head atlas").first.click()
    wait_for_app(page)
    page.locator(".js-plotly-plot [data-testid='atlas-svg']").first.wait_for(state="attached")
    watched.assert_clean()


def test_bertviz_head_view_downloads_as_svg(app_url, watched):
    page = watched.page
    open_page(page, app_url, "Attention explorer")
    page.get_by_role("tab", name="bertviz").click()
    wait_for_app(page)
    frame = page.frame_locator("iframe").first
    frame.locator("#vis svg").first.wait_for(timeout=60_000)
    with page.expect_download() as info:
        frame.get_by_role("button", name="Download SVG").click()
    text = downloaded(info.value)
    assert info.value.suggested_filename == "bertviz-head-view.svg"
    assert 'xmlns="http://www.w3.org/2000/svg"' in text and "<text" in text
    watched.assert_clean()
