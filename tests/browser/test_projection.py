"""What a projector and a newcomer see, measured in a real Chromium with Playwright's
bounding boxes: on every page's main chart, in normal and in Lecture mode, no title overlaps an
axis title or a tick label; the BERT page labels every token; the sidebar shows whole page
names. Screenshots of every page in both modes go to artifacts/projection/."""

from __future__ import annotations

import pytest

from app.serving.navigation import PAGES
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_pages import CHARTS, open_page, wait_for_app

SHOTS = ARTIFACTS / "projection"

# The boxes of one chart's parts, in page pixels: the chart title, the axis titles, and every
# tick label, each as [x0, y0, x1, y1].
CHART_PARTS = """(chart) => {
    const box = (el) => { const r = el.getBoundingClientRect();
                          return [r.left, r.top, r.right, r.bottom]; };
    const all = (sel) => [...chart.querySelectorAll(sel)]
        .filter(el => el.textContent.trim() !== '').map(box);
    return {
        titles: all('.g-gtitle text'),
        axisTitles: all('.g-xtitle text, .g-ytitle text, .g-x2title text, .g-y2title text'),
        ticks: all('.xtick text, .ytick text'),
    };
}"""


def overlaps(a: list[float], b: list[float], slack: float = 1.0) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > slack and min(a[3], b[3]) - max(a[1], b[1]) > slack


def title_clashes(parts: dict[str, list[list[float]]]) -> list[str]:
    """One line per title and kind of part it overlaps, with how many."""
    found = []
    for title in parts["titles"]:
        for kind in ("axisTitles", "ticks"):
            hits = [other for other in parts[kind] if overlaps(title, other)]
            if hits:
                found.append(f"title at {[round(v) for v in title]} overlaps {len(hits)} {kind}")
    return found


def test_overlap_arithmetic():
    """The check itself can fail: boxes that share area clash, boxes that touch do not."""
    assert overlaps([0, 0, 10, 10], [5, 5, 20, 20])
    assert not overlaps([0, 0, 10, 10], [10, 0, 20, 10])
    assert title_clashes({"titles": [[0, 0, 100, 20]], "axisTitles": [[50, 10, 90, 30]],
                          "ticks": []})  # fmt: skip


def set_lecture(page, on: bool) -> None:
    page.locator("[data-testid='stSidebar']").get_by_text("Lecture mode").click()
    page.wait_for_function(  # the lecture styles have reached the page, or left it
        f"() => (getComputedStyle(document.body).fontSize === '22px') === {str(on).lower()}",
        timeout=60_000,
    )
    wait_for_app(page)


# Slow (about 16 s a mode): every page drawn in Chromium and each chart's title measured
# against its axes, on the session's shared server.
@pytest.mark.parametrize("lecture", [False, True], ids=["normal", "lecture"])
def test_no_title_overlaps_an_axis_on_any_page(app_url, watched, lecture):
    page = watched.page
    mode = "lecture" if lecture else "normal"
    SHOTS.mkdir(parents=True, exist_ok=True)
    open_page(page, app_url, PAGES[0].title)
    if lecture:
        set_lecture(page, True)
    clashes, measured = [], []
    for info in PAGES:
        open_page_from_menu(page, info.title)
        charts = CHARTS.get(info.title, 0)
        if charts:
            page.wait_for_function(
                f"() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}",
                timeout=120_000,
            )
            page.wait_for_timeout(500)  # Plotly's second layout pass (automargins)
            chart = page.locator(".js-plotly-plot").first
            chart.scroll_into_view_if_needed()
            parts = chart.evaluate(CHART_PARTS)
            assert parts["titles"], f"{info.title}: its main chart has no title"
            clashes += [f"{info.title} ({mode}): {c}" for c in title_clashes(parts)]
            measured.append(info.title)
        name = info.path.rsplit("/", 1)[-1].removesuffix(".py")
        page.screenshot(path=str(SHOTS / f"{name}-{mode}.png"))
    assert len(measured) == len(CHARTS)
    assert clashes == []
    names = page.locator("[data-testid='stSidebarNav'] a span").all()
    cut = [n.text_content() for n in names if n.evaluate("e => e.scrollWidth > e.clientWidth")]
    assert cut == [], f"page names cut off in the sidebar: {cut}"
    watched.assert_clean()


def open_page_from_menu(page, title: str) -> None:
    page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    heading = "Attention Atlas" if title == "Home" else title
    page.get_by_role("heading", name=heading).first.wait_for(timeout=120_000)
    wait_for_app(page)


@pytest.mark.parametrize("lecture", [False, True], ids=["normal", "lecture"])
def test_every_token_is_labelled_on_the_bert_page(app_url, watched, lecture):
    page = watched.page
    open_page(page, app_url, "BERT attention")
    if lecture:
        set_lecture(page, True)
    page.get_by_text("tokens, including [CLS]").first.wait_for(timeout=120_000)
    caption = page.get_by_text("tokens, including [CLS]").first.text_content()
    n = int(caption.split()[0])
    chart = page.locator(".js-plotly-plot").first
    chart.locator(".xtick text").first.wait_for()
    page.wait_for_timeout(500)
    assert chart.locator(".xtick text").count() == n
    assert chart.locator(".ytick text").count() == n
    watched.assert_clean()
