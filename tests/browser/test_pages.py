"""Every page in a real Chromium: it renders its title and chart, offline, without errors."""

from __future__ import annotations

import os
import shutil

import pytest

from app.navigation import PAGES
from tests.browser.conftest import ARTIFACTS, ROOT

pytestmark = pytest.mark.browser

CHARTS = {"BERT attention": 2}


def open_page(page, app_url: str, title: str) -> None:
    """Arrive at / and click through the menu, as a person does. (Opening a sub-URL directly
    makes Streamlit's front end probe <page>/_stcore/health for its base path: benign 404s.)"""
    page.goto(app_url)
    wait_for_app(page)
    if title != PAGES[0].title:
        page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
        wait_for_app(page)


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
