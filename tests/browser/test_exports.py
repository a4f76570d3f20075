"""Slide-ready exports in Chromium: a chart's SVG button downloads the chart as an SVG file
(vectors, its token labels as text), beside Plotly's PNG; bertviz's head view downloads as
SVG too; offline and without errors."""

from __future__ import annotations

from pathlib import Path

from tests.browser.conftest import ARTIFACTS
from tests.browser.layout import CHART_LAYOUT, PAGE_TEXT, Report
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


def test_the_handout_downloads_and_opens_offline(app_url, watched, browser):
    page = watched.page
    open_page(page, app_url, "Inside the Transformer")
    page.get_by_text("Handout: the lecture path as one HTML file").click()
    page.get_by_role("button", name="Prepare the handout").click()
    button = page.get_by_role("button", name="Download the handout (HTML)")
    button.wait_for(timeout=120_000)
    with page.expect_download() as info:
        button.click()
    path = ARTIFACTS / "exports" / "inside-the-transformer.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    info.value.save_as(str(path))
    watched.assert_clean()

    # opened from the disk with every request off this machine refused
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    reader = context.new_page()
    errors: list[str] = []
    fetched: list[str] = []
    reader.on("pageerror", lambda e: errors.append(str(e)))
    reader.on("console", lambda m: m.type == "error" and errors.append(m.text))
    reader.route("**/*", lambda route: (fetched.append(route.request.url), route.continue_()
                                        if route.request.url.startswith("file:")
                                        else route.abort()))  # fmt: skip
    reader.goto(path.as_uri())
    charts = reader.locator("div.chart")
    assert charts.count() >= 25
    drawn = "() => [...document.querySelectorAll('div.chart')].every(d => d.querySelector('svg'))"
    reader.wait_for_function(drawn, timeout=60_000)
    assert reader.locator("math").count() == 15
    reader.wait_for_timeout(600)  # Plotly's second layout pass (automargins)
    report = Report()
    report.add("handout", reader.evaluate(CHART_LAYOUT))
    report.add_page("handout", reader.evaluate(PAGE_TEXT, "body"))
    print(report.line())
    for problem in (*report.overlaps, *report.clipped, *report.small_text, *report.faint):
        print("  ", problem)
    reader.screenshot(path=str(ARTIFACTS / "exports" / "handout.png"))
    context.close()
    assert not errors, errors
    assert all(url.startswith("file:") for url in fetched), fetched
    assert report.charts >= 25 and report.overlaps == [] and report.clipped == [], report.line()
    assert report.small_text == [] and report.faint == [], report.line()
