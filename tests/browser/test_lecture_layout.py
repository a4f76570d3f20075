"""Lecture mode as a room sees it: every page, every tab of the explorer, every block of
Inside the Transformer's lecture path and the task pages' logit lens, in Chromium at a
laptop's 1600x1000 and a projector's 1280x720. On every chart no two texts overlap, no text
is cut by the chart or the page, and a token map of up to 64 tokens has cells of 12 px at
least; no tab bar overflows and no formula is cut; every text, in the charts (cell labels
against their cell's colour) and on the page (widgets, captions, tables, formulas), is
16 px or more and 4.5:1 or more. Screenshots go to artifacts/lecture/. It prints

    lecture layout: N charts on M views checked, overlaps 0, clipped 0, smallest cell X px,
    smallest text T px, lowest contrast C
"""

from __future__ import annotations

import pytest

from app.kit import explore
from app.serving.navigation import PAGES
from tests.browser.conftest import ARTIFACTS
from tests.browser.layout import (
    APP_ROOTS,
    CHART_LAYOUT,
    MIN_CELL,
    MIN_CONTRAST,
    MIN_TEXT,
    PAGE_TEXT,
    Report,
)
from tests.browser.test_pages import CHARTS, open_page, wait_for_app
from tests.browser.test_projection import open_page_from_menu, set_lecture

SHOTS = ARTIFACTS / "lecture"
VIEWPORTS = {"1600x1000": (1600, 1000), "1280x720": (1280, 720)}
EXPLORER_TABS = explore.TABS
ATLAS_TABS = {"Syntax": 0, "Search": 0, "Query-key view": 1, "Sinks across lengths": 1}
LENS_PAGES = ("Translation", "Named entities", "Question answering")
# tabs that draw other than one chart for MiniLM (a table, an iframe, a message: no output
# layer to explain or read out), and Compare's two
TAB_CHARTS = {"Head statistics": 0, "bertviz": 0, "Explanations": 0, "Logit lens": 0,
              "Patching": 0, "Compare": 2}  # fmt: skip
# what else a view must not cut: tab bars that scroll, formulas wider than their box
OVERFLOW = """() => [
    ...[...document.querySelectorAll('[role="tablist"], [data-baseweb="tab-list"]')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => 'tab bar: ' + e.textContent),
    ...[...document.querySelectorAll('.katex-display, .stMarkdown')]
        .filter(e => e.scrollWidth > e.clientWidth + 4)  // KaTeX's italic overhang: 2 px
        .map(e => 'text: ' + e.textContent.slice(0, 50)),
    // tables and charts that run off the page's right edge
    ...[...document.querySelectorAll('[data-testid="stTable"], [data-testid="stDataFrame"], '
                                     + '.stMarkdown table, .js-plotly-plot')]
        .filter(e => e.getBoundingClientRect().width > 0
                     && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .map(e => 'off the page: ' + e.textContent.slice(0, 50)),
    // a grid whose columns run past its right edge, unsaid (a canvas: its scroller tells)
    ...[...document.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller')]
        .filter(e => e.scrollWidth > e.clientWidth + 1)
        .map(e => 'table scrolls sideways: '
                  + e.closest('[data-testid="stDataFrame"]').textContent.slice(0, 50)),
    // a chart taller than the window cannot be seen whole
    ...[...document.querySelectorAll('.js-plotly-plot')]
        .filter(e => e.getBoundingClientRect().height > window.innerHeight)
        .map(e => 'taller than the window: '
                  + ((e.querySelector('.g-gtitle text') || {}).textContent || '').slice(0, 50)),
    // Plotly's toolbar over a chart's title
    ...[...document.querySelectorAll('.js-plotly-plot')].filter(e => {
        const bar = e.querySelector('.modebar'), title = e.querySelector('.g-gtitle text');
        if (!bar || !title) return false;
        const [a, b] = [bar.getBoundingClientRect(), title.getBoundingClientRect()];
        return a.width > 0 && Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1
               && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
    }).map(e => 'toolbar over the title: ' + e.querySelector('.g-gtitle text').textContent),
]"""


def look(page, report: Report, view: str, charts: int = 1) -> None:
    if charts:
        page.wait_for_function(
            f"() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}",
            timeout=120_000,
        )
    page.wait_for_timeout(600)  # Plotly's second layout pass (automargins)
    report.add(view, page.evaluate(CHART_LAYOUT))
    report.add_page(view, page.evaluate(PAGE_TEXT, APP_ROOTS))
    report.clipped += [f"{view}: {what}" for what in page.evaluate(OVERFLOW)]
    slug = "".join(c if c.isalnum() else "-" for c in view.lower()).strip("-")
    # the view's last visible chart, scrolled to, in the window as the room sees it
    page.evaluate("""() => { const shown = [...document.querySelectorAll('.js-plotly-plot')]
        .filter(c => c.getBoundingClientRect().width > 0);
        if (shown.length) shown[shown.length - 1].scrollIntoView({block: 'center'}); }""")
    page.screenshot(path=str(SHOTS / f"{slug}.png"))


# Slow (about 48 s a size): every chart of 44 views measured in Chromium (labels, cells,
# text sizes, contrast, overflow) at the two projector sizes of issue 43; one server for both.
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_lecture_mode_is_readable_on_every_chart(app_url, browser, size):
    SHOTS.mkdir(parents=True, exist_ok=True)
    width, height = VIEWPORTS[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(120_000)
    report = Report()
    open_page(page, app_url, PAGES[0].title)
    set_lecture(page, True)
    for info in PAGES:
        open_page_from_menu(page, info.title)
        look(page, report, f"{size} {info.title}", CHARTS.get(info.title, 0))
        if info.title in LENS_PAGES:  # the lens's grid labels each cell with a word
            page.get_by_text("Read every layer out (logit lens)").click()
            wait_for_app(page)
            look(page, report, f"{size} {info.title} lens", CHARTS.get(info.title, 0) + 1)
        if info.title == "Head atlas":
            for tab in ATLAS_TABS:
                page.get_by_role("tab", name=tab).click()
                wait_for_app(page)
                if tab == "Query-key view":  # laid out on request (t-SNE: seconds)
                    page.get_by_text("Lay the vectors out").click()
                    wait_for_app(page)
                look(page, report, f"{size} atlas {tab}", ATLAS_TABS[tab])
        if info.title == "Attention explorer":
            for tab in EXPLORER_TABS[1:]:
                page.get_by_role("tab", name=tab).click()
                wait_for_app(page)
                look(page, report, f"{size} explorer {tab}", TAB_CHARTS.get(tab, 1))
        if info.title == "Inside the Transformer":
            step = 1
            below = page.get_by_role("button", name="Next block").last  # under the view
            while below.is_enabled():
                below.click()
                wait_for_app(page)
                step += 1
                look(page, report, f"{size} inside step {step}")
    context.close()
    print(report.line())
    for problem in (*report.overlaps, *report.clipped, *report.small, *report.small_text,
                    *report.faint):  # fmt: skip
        print("  ", problem)
    assert report.overlaps == [] and report.clipped == [], report.line()
    assert report.small == [], f"cells under {MIN_CELL} px: {report.small}"
    assert report.small_text == [], f"texts under {MIN_TEXT} px: {report.small_text[:20]}"
    assert report.faint == [], f"texts under {MIN_CONTRAST}:1: {report.faint[:20]}"
