"""Lecture mode: large type and high contrast on every page and every chart."""

from __future__ import annotations

import textwrap
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

LECTURE_KEY = "lecture_mode"
STYLES = Path(__file__).resolve().parent / "styles"
BASE_CSS = STYLES / "base.css"  # every page: contrast and focus (WCAG 2.1 AA)
CSS = STYLES / "lecture.css"
LECTURE_COLORSCALE = "Greys"  # black on white reads best on a projector


def lecture_mode() -> bool:
    return bool(st.session_state.get(LECTURE_KEY, False))


LECTURE_PARAM = "lecture"  # in the link while lecture mode is on: a bookmark reopens it so


def lecture_toggle() -> None:
    """The switch, in the sidebar of every page; applies the page styles when on. A link
    with lecture=1 opens a new session in lecture mode, and the link says so while it is on."""
    if LECTURE_KEY not in st.session_state and st.query_params.get(LECTURE_PARAM) == "1":
        st.session_state[LECTURE_KEY] = True
    st.sidebar.toggle(
        "Lecture mode", key=LECTURE_KEY, help="Large type and high contrast for projecting."
    )
    if lecture_mode():
        st.query_params[LECTURE_PARAM] = "1"
    elif LECTURE_PARAM in st.query_params:
        del st.query_params[LECTURE_PARAM]
    # The styles go in the sidebar, below the switch, and an empty style stands in when off:
    # an element that appeared at the top of the page in lecture mode only shifted every
    # element below it, and the browser mounted them anew, emptying the text boxes.
    styles = BASE_CSS.read_text() + (CSS.read_text() if lecture_mode() else "")
    st.sidebar.html(f"<style>{styles}</style>")


LECTURE_SCALE = 1.4  # charts, their cells and their labels grow by this much
LECTURE_SEPARATOR = "#d95f02"  # orange: apart from every grey, and from black and white
TITLE_CHARS = 30  # characters a line of a lecture-mode title holds in a half-width chart


def style_figure(figure: go.Figure, lecture: bool) -> go.Figure:
    """Pure: the figure as it should look in lecture mode (unchanged otherwise): taller, so
    every cell is larger, with larger type everywhere, tick labels included (titles push the
    margins, figures.chart_title, so larger type cannot make them overlap), black on white.
    Sequential heatmaps (attention) turn grey; diverging ones keep their two colours, the
    sign is what they show."""
    if not lecture:
        return figure
    # Edited as plain data and built once: Plotly's update methods validate each change,
    # which cost 17 ms a chart on every run of a page in lecture mode.
    spec = figure.to_plotly_json()
    layout = dict(spec.get("layout", {}))
    layout["font"] = {**layout.get("font", {}), "size": 20, "color": "#000000"}
    title = dict(layout.get("title", {}))
    title["font"] = {**title.get("font", {}), "size": 24}
    text = title.get("text")
    if text and "<br>" not in text:  # lines of TITLE_CHARS fit a half-width chart
        title["text"] = "<br>".join(textwrap.wrap(text, TITLE_CHARS))
    layout["title"] = title
    layout.update(paper_bgcolor="#ffffff", plot_bgcolor="#ffffff",
                  height=round((layout.get("height") or 450) * LECTURE_SCALE))  # fmt: skip
    for name in [k for k in layout if k.startswith(("xaxis", "yaxis"))] or ["xaxis", "yaxis"]:
        axis = dict(layout.get(name, {}))
        tickfont = dict(axis.get("tickfont", {}))
        size = tickfont.get("size")
        tickfont.update(size=min(20, round(size * LECTURE_SCALE)) if size else 16,
                        color="#000000")  # not Plotly's grey  # fmt: skip
        axis["tickfont"] = tickfont
        axis_title = dict(axis.get("title", {}))
        axis_title["font"] = {**axis_title.get("font", {}), "color": "#000000"}
        axis["title"] = axis_title
        layout[name] = axis
    # white gaps vanish against grey maps on white
    layout["shapes"] = [
        {**shape, "line": {**shape.get("line", {}), "color": LECTURE_SEPARATOR}}
        if shape.get("line", {}).get("color") == "white" else shape
        for shape in layout.get("shapes", [])
    ]  # fmt: skip
    data = []
    for trace in spec.get("data", []):
        trace = dict(trace)
        if trace.get("type") == "heatmap":
            if trace.get("zmid") is None:  # sequential (attention) turns grey
                trace["colorscale"] = LECTURE_COLORSCALE
            # the colour bar's title beside it, not above its top number
            colorbar = dict(trace.get("colorbar", {}))
            colorbar["title"] = {**colorbar.get("title", {}), "side": "right"}
            trace["colorbar"] = colorbar
        elif trace.get("type") == "scatter" and "lines" in (trace.get("mode") or ""):
            # thicker, but weights drawn as widths stay so
            line = dict(trace.get("line", {}))
            line["width"] = (line.get("width") or 2) * 2
            trace["line"] = line
        data.append(trace)
    return go.Figure(data=data, layout=layout)


CHART_TEXT = "#31333f"  # Streamlit's own text colour: 12.6:1 on white (its chart grey: 3.72:1)


def readable_text(figure: go.Figure, colour: str = CHART_TEXT) -> go.Figure:
    """Every text of a chart at AA contrast on white: its font, each axis's ticks and title,
    each colour bar's. Set on the figure itself, where Streamlit's chart theme (which draws
    tick labels and axis titles #808495) cannot override it. In place; about 5 ms a chart."""
    figure.update_layout(font_color=colour, legend_font_color=colour)
    figure.update_xaxes(tickfont_color=colour, title_font_color=colour)
    figure.update_yaxes(tickfont_color=colour, title_font_color=colour)
    figure.update_traces(colorbar_tickfont_color=colour, colorbar_title_font_color=colour,
                         selector={"type": "heatmap"})  # fmt: skip
    if figure.layout.coloraxis.colorbar is not None:
        figure.update_layout(coloraxis_colorbar_tickfont_color=colour,
                             coloraxis_colorbar_title_font_color=colour)  # fmt: skip
    return figure
