"""The Explanations view in Chromium, as a class uses it: on each task page, switched on, the
heat strips are drawn, offline and without errors, and in lecture mode at a projector's
1280x720 no text on them overlaps or is cut. Screenshots go to artifacts/explanations/
(ATLAS_UPDATE_DOCS=1 copies them to docs/)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, ROOT
from tests.browser.layout import CHART_LAYOUT, Report
from tests.browser.test_pages import open_page, wait_for_app
from tests.browser.test_projection import open_page_from_menu, set_lecture

SHOTS = ARTIFACTS / "explanations"
TASK_PAGES = {"Named entities": "ner", "Question answering": "qa", "Translation": "translate"}


def show_explanations(page) -> None:
    page.get_by_text("Explain an output").click()
    wait_for_app(page)
    strips = page.locator(".js-plotly-plot", has_text="What explains")
    strips.first.wait_for(timeout=120_000)
    strips.first.scroll_into_view_if_needed()
    page.wait_for_timeout(600)  # Plotly's second layout pass (automargins)


@pytest.mark.parametrize("title", list(TASK_PAGES))
def test_each_task_page_explains_its_output(app_url, watched, title):
    page = watched.page
    SHOTS.mkdir(parents=True, exist_ok=True)
    open_page(page, app_url, title)
    show_explanations(page)
    for method in ("integrated gradients", "occlusion", "rollout"):
        assert page.locator(".js-plotly-plot", has_text=method).count() >= 1, method
    shot = SHOTS / f"{TASK_PAGES[title]}.png"
    page.screenshot(path=str(shot))
    if os.environ.get("ATLAS_UPDATE_DOCS") == "1":
        shutil.copy(shot, ROOT / "docs" / f"explanations-{TASK_PAGES[title]}.png")
    watched.assert_clean()


@contextmanager
def projected(app_url: str, browser) -> Iterator[tuple[Any, Report]]:
    """A page at a projector's 1280x720 in lecture mode, and the report of what it showed,
    which must have no overlap, no cut text and no small cell."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(120_000)
    report = Report()
    open_page(page, app_url, "Home")
    set_lecture(page, True)
    yield page, report
    context.close()
    print(report.line())
    assert not report.overlaps and not report.clipped and not report.small, (
        report.overlaps + report.clipped + report.small
    )


def test_explanations_are_readable_in_lecture_mode(app_url, browser):
    with projected(app_url, browser) as (page, report):
        read_strips(page, report)


def read_strips(page, report: Report) -> None:
    for title in TASK_PAGES:
        open_page_from_menu(page, title)
        show_explanations(page)
        charts = [c for c in page.evaluate(CHART_LAYOUT) if "What explains" in c["title"]]
        assert charts, title
        report.add(f"lecture {title}", charts)
        page.screenshot(path=str(SHOTS / f"lecture-{TASK_PAGES[title]}.png"))


# Slow (about 15 s): the lens and patching maps computed and drawn in Chromium in lecture
# mode, their labels measured.
def test_the_lens_and_patching_maps_are_readable_in_lecture_mode(app_url, browser):
    """The logit lens and the patching maps of each task page, at a projector's 1280x720."""
    with projected(app_url, browser) as (page, report):
        read_maps(page, report)


LENS_TITLE = re.compile(r"layer\s*would")


def read_maps(page, report: Report) -> None:
    for title in TASK_PAGES:
        open_page_from_menu(page, title)
        # a lecture-mode title wraps: "layer" may end one line and "would" begin the next
        switches = {"Read every layer out (logit lens)": LENS_TITLE,
                    "Patch activations (clean into corrupted)": "patched"}  # fmt: skip
        for switch, titled in switches.items():
            page.get_by_text(switch).click()
            wait_for_app(page)
            page.locator(".js-plotly-plot", has_text=titled).first.wait_for(timeout=120_000)
        page.wait_for_timeout(600)
        charts = [c for c in page.evaluate(CHART_LAYOUT)
                  if LENS_TITLE.search(c["title"]) or "patched" in c["title"]]  # fmt: skip
        assert len(charts) >= 3, title
        report.add(f"lecture {title}", charts)
        page.screenshot(path=str(SHOTS / f"lecture-lens-{TASK_PAGES[title]}.png"), full_page=True)


@pytest.mark.parametrize("title", ["Question answering", "Translation"])
def test_the_patching_maps_are_drawn_and_kept(app_url, watched, title):
    """The three patching maps of a QA and a translation example, each chart's screenshot in
    artifacts/explanations/ (ATLAS_UPDATE_DOCS=1: docs/), drawn with no error."""
    page = watched.page
    SHOTS.mkdir(parents=True, exist_ok=True)
    open_page(page, app_url, title)
    page.get_by_text("Patch activations (clean into corrupted)").click()
    wait_for_app(page)
    maps = page.locator(".js-plotly-plot", has_text="patched")
    maps.first.wait_for(timeout=120_000)
    page.wait_for_timeout(600)
    slug = TASK_PAGES[title]
    for index, kind in enumerate(("heads", "stream", "sublayers")):
        chart = maps.nth(index if kind == "heads" else maps.count() - (3 - index))
        chart.scroll_into_view_if_needed()
        shot = SHOTS / f"patching-{slug}-{kind}.png"
        chart.screenshot(path=str(shot))
        if os.environ.get("ATLAS_UPDATE_DOCS") == "1":
            shutil.copy(shot, ROOT / "docs" / shot.name)
    watched.assert_clean()
