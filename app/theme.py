"""Lecture mode: large type and high contrast on every page and every chart."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

LECTURE_KEY = "lecture_mode"
CSS = Path(__file__).resolve().parent / "styles" / "lecture.css"
LECTURE_COLORSCALE = "Greys"  # black on white reads best on a projector


def lecture_mode() -> bool:
    return bool(st.session_state.get(LECTURE_KEY, False))


def lecture_toggle() -> None:
    """The switch, in the sidebar of every page; applies the page styles when on."""
    st.sidebar.toggle(
        "Lecture mode", key=LECTURE_KEY, help="Large type and high contrast for projecting."
    )
    # The styles go in the sidebar, below the switch, and an empty style stands in when off:
    # an element that appeared at the top of the page in lecture mode only shifted every
    # element below it, and the browser mounted them anew, emptying the text boxes.
    st.sidebar.html(CSS if lecture_mode() else "<style></style>")


def style_figure(figure: go.Figure, lecture: bool) -> go.Figure:
    """Pure: the figure as it should look in lecture mode (unchanged otherwise)."""
    if not lecture:
        return figure
    figure = go.Figure(figure)
    figure.update_layout(
        font={"size": 20, "color": "#000000"},
        title_font={"size": 26},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
    )
    figure.update_traces(colorscale=LECTURE_COLORSCALE, selector={"type": "heatmap"})
    figure.update_traces(line={"width": 4}, selector={"type": "scatter", "mode": "lines"})
    return figure
