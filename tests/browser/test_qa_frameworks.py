"""The QA page's framework switch in Chromium: TensorFlow and both side by side draw their
answer, offline and without errors."""

from __future__ import annotations

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_pages import open_page, wait_for_app


def test_the_framework_switch_in_the_browser(app_url, watched):
    page = watched.page
    open_page(page, app_url, "Question answering")
    page.get_by_text("Score", exact=False).first.wait_for(timeout=120_000)
    answer = page.locator("[data-testid='stHeadingWithActionElements'] h3").first.inner_text()
    page.get_by_text("TensorFlow", exact=True).click()
    wait_for_app(page)
    page.get_by_text("hook into the PyTorch model").first.wait_for(timeout=180_000)
    assert page.locator("h3").first.inner_text() == answer
    page.get_by_text("Both", exact=True).click()
    wait_for_app(page)
    page.get_by_text("Largest difference between the two").first.wait_for(timeout=120_000)
    page.screenshot(path=str(ARTIFACTS / "qa-frameworks.png"))
    watched.assert_clean()
