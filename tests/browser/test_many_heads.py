"""A model with Llama-3.2-1B's 16 layers x 32 heads, in lecture mode on a projector's
1280x720: the all-heads summary (one cell a head), one layer's heads as small maps, and the
one-token view paged by layers are readable (cells of 12 px at least, no two labels over
each other, nothing cut), and a click on a head of the summary opens it. Screenshots go to
artifacts/many-heads/."""

from __future__ import annotations

from tests.browser.conftest import ARTIFACTS
from tests.browser.layout import CHART_LAYOUT, MIN_CELL, Report
from tests.browser.test_listed_models import choose_model
from tests.browser.test_pages import click_head, open_grid_tab, open_page, wait_for_app
from tests.browser.test_projection import set_lecture
from tests.conftest import WIDE

SHOTS = ARTIFACTS / "many-heads"


def test_the_views_of_512_heads_read_at_1280x720_in_lecture_mode(app_url, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(120_000)
    open_page(page, app_url, "Attention explorer")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    set_lecture(page, True)
    choose_model(page, f"{WIDE} (listed: Llama)")
    page.get_by_text("The model wrote:").first.wait_for()
    report = Report()
    for tab, charts in (("All heads", 2), ("One token", 1)):
        page.get_by_role("tab", name=tab).click()
        wait_for_app(page)
        page.wait_for_function(
            f"() => document.querySelectorAll('[role=tabpanel] .js-plotly-plot .main-svg')"
            f".length >= {charts}"
        )
        page.wait_for_timeout(600)  # Plotly's second layout pass (automargins)
        found = page.evaluate(CHART_LAYOUT)
        report.add(f"1280x720 {tab}", found)
        for i, chart in enumerate(page.get_by_role("tabpanel").locator(".js-plotly-plot").all()):
            chart.scroll_into_view_if_needed()  # as the room sees it: the window, scrolled
            page.screenshot(path=str(SHOTS / f"{tab.lower().replace(' ', '-')}-{i}.png"))
        if tab == "All heads":
            summary = next(c for c in found if c["title"].startswith("Every head"))
            (cells,) = summary["cells"]
            assert (cells["rows"], cells["cols"]) == (16, 32)
            assert min(cells["width"], cells["height"]) >= MIN_CELL, cells
    print(report.line())
    assert report.overlaps == [] and report.clipped == [], report.line()
    assert report.small == [], report.small
    # a click on a cell of the summary (layer 12, head 3) opens that head in the first tab
    open_grid_tab(page)
    summary = page.get_by_role("tabpanel").locator("[data-testid='stPlotlyChart']").first
    click_head(page, summary.locator(".scatterlayer .point").nth(12 * 32 + 3), head=3)
    assert "layer=12" in page.url
    context.close()
