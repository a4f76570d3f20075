"""A page's run leaves nothing behind. Streamlit keeps the state of a widget that a run does
not draw (the closed tabs of a lazy st.tabs, a section not shown this time), its callbacks
and format functions included; a function defined in a page script keeps that run's whole
namespace alive, captures and arrays with it. One visitor's forty 512-token texts held
2.4 GB of old runs that way. So once a run has finished, no page namespace may survive it:
what outlives a run is only what the caches (app/serving/sources.py) choose to keep."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from tests.app.helpers import MAIN, open_page

PAGES = Path(MAIN).resolve().parent.parent / "pages"


def leftovers() -> list[str]:
    """The pages whose namespace is still alive, one entry per namespace."""
    gc.collect()
    return [
        str(space["__file__"])
        for space in gc.get_objects()
        if type(space) is dict and str(space.get("__file__", "")).startswith(str(PAGES))
    ]


# Slow (about 15 s): every tab of the explorer on two texts, memory read after each run.
def test_the_explorer_keeps_no_old_run_through_every_tab_and_two_texts():
    at = open_page("explorer.py")
    for text in ("The cat sat on the mat.", "A dog barked at the moon all night long."):
        at.text_area("ex_text").input(text).run()
        for tab in [t.label for t in at.tabs]:
            at.session_state["ex_tab"] = tab
            at.run()
            assert not at.exception, [e.message for e in at.exception]
    at.text_area("ex_text").input("   ").run()  # a run that draws no view at all
    assert leftovers() == []


def test_inside_the_transformer_keeps_no_old_run_walking_the_blocks():
    at = open_page("architecture.py")
    for _ in range(6):
        at.button("arch_next").click().run()
        assert not at.exception, [e.message for e in at.exception]
    at.radio("arch_model").set_value("translator").run()
    for _ in range(3):
        at.button("arch_next").click().run()
    assert leftovers() == []


@pytest.mark.parametrize(
    "page", ["translate.py", "ner.py", "qa.py", "masks.py", "step_by_step.py", "positional.py"]
)
def test_the_other_pages_keep_no_old_run(page):
    at = open_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert leftovers() == []
