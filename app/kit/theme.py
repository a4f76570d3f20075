"""Lecture mode: large type and high contrast on every page and every chart."""

from __future__ import annotations

import html
import textwrap
from pathlib import Path
from typing import Any

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
    styles = BASE_CSS.read_text() + (CSS.read_text() + KATEX_MINIMUM if lecture_mode() else "")
    st.sidebar.html(f"<style>{styles}</style>")


def _katex_minimum(px: int) -> str:
    """CSS that keeps KaTeX's smaller sizes (sub- and superscripts, fractions' parts) at `px`
    or more. KaTeX sizes a script by classes, `.sizing.reset-sizeA.sizeB`, at SIZES[B] /
    SIZES[A] of its parent (its own stylesheet, katex.css); each shrinking one keeps its
    ratio, but not below `px`."""
    sizes = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.44, 1.728, 2.074, 2.488)  # KaTeX's, in em
    rules = [
        f".katex .sizing.reset-size{a + 1}.size{b + 1}, .katex .fontsize-ensurer.reset-size"
        f"{a + 1}.size{b + 1} {{ font-size: max({px}px, {sizes[b] / sizes[a]:.5f}em) !important; }}"
        for a in range(len(sizes))
        for b in range(a)
    ]
    return "\n".join(rules)


LECTURE_SCALE = 1.4  # charts, their cells and their labels grow by this much
LECTURE_MIN_TEXT = 16  # px: no text of a chart is smaller in lecture mode (the back row)
KATEX_MINIMUM = _katex_minimum(LECTURE_MIN_TEXT)  # in lecture mode: formulas' scripts too
_FONTS = ("font", "tickfont", "textfont", "insidetextfont", "outsidetextfont")


def _at_least(spec: Any, size: int) -> Any:
    """The spec with every font that names a size below `size` raised to it (colour-bar
    titles and ticks, cell labels, annotations, legends: wherever a figure set one)."""
    if isinstance(spec, list):
        return [_at_least(item, size) for item in spec]
    if not isinstance(spec, dict):
        return spec
    out = {}
    for key, value in spec.items():
        value = _at_least(value, size)
        if key in _FONTS and isinstance(value, dict):
            given = value.get("size")
            if isinstance(given, (int, float)) and given < size:
                value = {**value, "size": size}
        out[key] = value
    return out


LECTURE_MAX_HEIGHT = 640  # px: a chart seen whole in a 1280x720 window (Streamlit's bar over it)
LECTURE_PLOT_WIDTH = 700  # px: a full-width chart's plot area at 1280x720 with the menu open
LECTURE_LABEL_SCALE = [[0.0, "#ffffff"], [1.0, "#8c8c8c"]]  # black reads on all of it, 6.2:1


def abbreviate(label: str, chars: int) -> str:
    """`label` (Plotly text, its markup escaped) cut to `chars` characters as shown, with
    an ellipsis where it was cut; an entity (&lt;) is never cut in half."""
    shown = html.unescape(label)
    return label if len(shown) <= chars else html.escape(shown[: chars - 1] + "…", quote=False)


def _labelled_cells(trace: dict) -> dict:
    """A grid whose cells carry words (the logit lens), read from the back: each word cut to
    what its cell holds at LECTURE_MIN_TEXT (the hover keeps it whole), none where a cell
    holds less than two letters; a sequential grid turns light enough for black words on
    every cell (a diverging one keeps its two colours, the sign, and Plotly's text colour)."""
    text = [list(row) for row in trace["text"]]
    columns = max((len(row) for row in text), default=1) or 1
    chars = int(LECTURE_PLOT_WIDTH / columns / (0.6 * LECTURE_MIN_TEXT))  # a glyph: ~0.6 em
    trace = dict(trace)
    if trace.get("zmid") is None:
        trace["colorscale"] = LECTURE_LABEL_SCALE
        trace["textfont"] = {**trace.get("textfont", {}), "color": "#000000"}
    if chars < 2:
        trace.pop("texttemplate")
        return trace
    trace["text"] = [[abbreviate(str(label), chars) for label in row] for row in text]
    return trace


LECTURE_SEPARATOR = "#d95f02"  # orange: apart from every grey, and from black and white
TITLE_CHARS = 26  # characters a line of a lecture-mode title holds in a half-width chart


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
    height = min(round((layout.get("height") or 450) * LECTURE_SCALE), LECTURE_MAX_HEIGHT)
    layout.update(paper_bgcolor="#ffffff", plot_bgcolor="#ffffff", height=height)
    for name in [k for k in layout if k.startswith(("xaxis", "yaxis"))] or ["xaxis", "yaxis"]:
        axis = dict(layout.get(name, {}))
        tickfont = dict(axis.get("tickfont", {}))
        size = tickfont.get("size")
        grown = min(20, round(size * LECTURE_SCALE)) if size else LECTURE_MIN_TEXT
        tickfont.update(size=max(LECTURE_MIN_TEXT, grown), color="#000000")  # not Plotly's grey
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
            if trace.get("texttemplate") and trace.get("text") is not None:
                trace = _labelled_cells(trace)
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
    return go.Figure(data=_at_least(data, LECTURE_MIN_TEXT),
                     layout=_at_least(layout, LECTURE_MIN_TEXT))  # fmt: skip


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
