"""The attention explorer's view as state: which model, text, stack, layer, head and tab it
shows. The explorer page reads these keys; any other page that opens the explorer on a view
goes through `open_explorer`, so the keys are written in one place."""

from __future__ import annotations

import streamlit as st

from app.kit.state import Param
from model.core.capture import STACKS, Stack

PAGE = "../pages/explorer.py"
TABS = (
    "One head",
    "All heads",
    "Lines",
    "One token",
    "Rollout & flow",
    "Head statistics",
    "bertviz",
    "Compare",
    "Explanations",
    "Logit lens",
    "Patching",
)
GRID = "ex_grid"  # the all-heads grid (or its layer x head summary), whose clicks open a head
LAYER_GRID = "ex_layer_grid"  # one layer's heads, under the summary of a large model


def params(models: tuple[str, ...]) -> dict[str, Param]:
    """The explorer's view in its URL (a shared link reopens it)."""
    return {
        "model": Param("ex_model", str, models),
        "text": Param("ex_text"),
        "stack": Param("ex_stack", str, STACKS),
        "layer": Param("ex_layer", int),
        "head": Param("ex_head", int),
        "tab": Param("ex_tab", str, TABS),
    }


def show(layer: int, head: int, tab: str = TABS[0], **where: str) -> None:
    """Set the explorer's view: a head of a layer in a tab; `where` may name the model, the
    text and the stack (model=, text=, stack=)."""
    st.session_state.update(ex_layer=layer, ex_head=head, ex_tab=tab)
    st.session_state.update({f"ex_{name}": value for name, value in where.items()})


GO = "ex_go"  # set by a click elsewhere: the page follows it into the explorer


def pick_clicked_head(chart_key: str, model: str, text: str, pair: str, stack: Stack) -> None:
    """A click on a head of a map on another page (activation patching): the explorer is
    set to that head, and `follow` takes the visitor there once the page has run."""
    from app.kit.figures import grid_cell

    points = st.session_state[chart_key].selection.points
    if points and points[0].get("customdata") is not None:
        show(*grid_cell(points[0]), model=model, text=text, pair=pair, stack=stack)
        st.session_state[GO] = True


def follow() -> None:
    """Go to the explorer if a click asked for it (a callback cannot switch pages)."""
    if st.session_state.pop(GO, False):
        st.switch_page(PAGE)


def open_explorer(model: str, text: str, stack: Stack, layer: int, head: int) -> None:
    """Go to the explorer, opened on one head of `model` reading `text`."""
    show(layer, head, model=model, text=text, stack=stack)
    st.switch_page(PAGE)


def open_clicked_head() -> None:
    """A click on the all-heads grid opens that head in the first tab.

    Callbacks and format functions handed to widgets live in app/, never in a page: Streamlit
    keeps a widget's state while a run does not draw it (a closed lazy tab), and a function
    defined in a page would keep that run's whole namespace alive with it
    (tests/app/test_leftovers.py)."""
    from app.kit.figures import grid_cell

    points = st.session_state[GRID].selection.points
    if points:
        show(*grid_cell(points[0]))


def open_clicked_layer_head() -> None:
    """A click on one layer's heads (under a large model's summary) opens that head."""
    from app.kit.figures import grid_cell

    points = st.session_state[LAYER_GRID].selection.points
    if points:
        show(*grid_cell(points[0]))
