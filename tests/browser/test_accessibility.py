"""WCAG 2.1 AA on the app's own content, measured where a student reads it: axe-core (bundled
by axe-playwright-python, offline) on every page in both modes in Chromium, at a projector's
1280x720; and the text of every chart, which axe cannot see (Plotly draws it as SVG), read
back from the page with its computed colour against the chart's background; and every chart
named by its text alternative (app/kit/chart_text.py), as a screen reader announces it.

Excluded, and said here: Streamlit's own sidebar navigation (`stSidebarNav`), whose list
markup (`<ul>` holding `<div>`s) is the framework's, not the app's."""

from __future__ import annotations

import json

import pytest

from app.serving.navigation import PAGES
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_pages import wait_for_app

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
STREAMLIT_OWN = [["[data-testid='stSidebarNav']"]]
AA = 4.5

# The lowest contrast of any text in the page's charts: fill against white (every chart's
# background is white in both modes), by WCAG's relative luminance.
CHART_TEXT = """() => {
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92
                                        : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const found = [];
  document.querySelectorAll(".js-plotly-plot .main-svg text").forEach((t) => {
    if (!t.textContent.trim() || t.getBBox().width === 0) return;
    const fill = getComputedStyle(t).fill.match(/\\d+(\\.\\d+)?/g);
    if (!fill) return;
    const opacity = fill.length > 3 ? Number(fill[3]) : 1;
    const rgb = fill.slice(0, 3).map(Number).map((v) => v * opacity + 255 * (1 - opacity));
    found.push([t.textContent.slice(0, 30), 1.05 / (lum(rgb) + 0.05)]);
  });
  return found;
}"""


# Charts drawn on the page, and those without an accessible name (app/kit/chart_text.py).
UNNAMED = """() => {
  const shown = [...document.querySelectorAll('.js-plotly-plot')]
    .filter((c) => c.getBoundingClientRect().width > 0);
  return [shown.length, shown.filter((c) => !c.getAttribute('aria-label')).length];
}"""


def slug(info) -> str:
    name = info.path.rsplit("/", 1)[-1].removesuffix(".py")
    return "" if name == "home" else name


# Slow (about 50 s, once for the module): axe-core and the contrast and chart-name checks on
# every page in both modes (26 views), each drawn in full; every test of this file reads it.
@pytest.fixture(scope="module")
def audit(app_url, browser):
    """Every page in both modes: (axe's violations, the chart texts below AA) per view."""
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(120_000)
    found = {}
    read = charts = 0  # chart texts measured, charts seen
    for mode in ("", "?lecture=1"):
        for info in PAGES:
            page.goto(f"{app_url}/{slug(info)}{mode}")
            wait_for_app(page)
            page.wait_for_timeout(500)  # the charts' text laid out
            # and no element left faded from an earlier run (Streamlit dims stale ones)
            page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')")
            for look in range(2):  # a violation must hold on a second look: Streamlit dims
                result = Axe().run(  # what a run still going will replace
                    page,
                    context={"exclude": STREAMLIT_OWN},
                    options={"runOnly": {"type": "tag", "values": TAGS}},
                )
                if not result.response["violations"] or look:
                    break
                page.wait_for_timeout(2000)
                wait_for_app(page)
            drawn, unnamed = page.evaluate(UNNAMED)
            charts += drawn
            texts = page.evaluate(CHART_TEXT)
            read += len(texts)
            low = [(text, round(ratio, 2)) for text, ratio in texts if ratio < AA]
            found[f"{info.title}{' (lecture)' if mode else ''}"] = (
                [(v["id"], len(v["nodes"]), v["nodes"][0]["target"]) for v in
                 result.response["violations"]],
                low,
                unnamed,
            )  # fmt: skip
    context.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "accessibility.json").write_text(json.dumps(found, indent=1) + "\n")
    violations = sum(n for axe, _, _ in found.values() for _, n, _ in axe)
    contrast = sum(len(low) for _, low, _ in found.values())
    unnamed = sum(n for _, _, n in found.values())
    print(f"read: {read:,} chart texts, {charts} charts")
    print(
        f"accessibility: {len(PAGES)} pages x 2 modes checked, app violations {violations}, "
        f"contrast below {AA} {contrast}, charts without a text alternative {unnamed}"
    )
    assert read > 100 and charts > 20  # the charts were there to be read
    return found


def test_axe_finds_no_wcag_aa_violation_in_the_apps_own_content(audit):
    broken = {view: axe for view, (axe, _, _) in audit.items() if axe}
    assert broken == {}, json.dumps(broken, indent=1)


def test_every_chart_text_reads_at_aa_contrast(audit):
    low = {view: texts for view, (_, texts, _) in audit.items() if texts}
    assert low == {}, low


def test_every_chart_has_a_text_alternative(audit):
    unnamed = {view: n for view, (_, _, n) in audit.items() if n}
    assert unnamed == {}, unnamed


def test_charts_as_tables_puts_a_table_under_every_chart_and_passes_axe(app_url, browser):
    """The sidebar's "Charts as tables" in Chromium: under each chart of the BERT page, an
    HTML table with a header for every row and column, and axe still finds nothing."""
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{app_url}/bert_attention")
    wait_for_app(page)
    page.get_by_text("Charts as tables", exact=True).click()
    wait_for_app(page)
    tables = page.locator("[data-testid='stTable'] table")
    tables.first.wait_for()
    charts = page.locator(".js-plotly-plot").count()
    assert charts >= 2 and tables.count() == charts
    rows = tables.first.locator("tbody tr")
    assert rows.count() > 5 and rows.first.locator("th").count() == 1  # the token, as a header
    result = Axe().run(page, context={"exclude": STREAMLIT_OWN},
                       options={"runOnly": {"type": "tag", "values": TAGS}})  # fmt: skip
    violations = [(v["id"], v["nodes"][0]["target"]) for v in result.response["violations"]]
    assert violations == []
    context.close()
