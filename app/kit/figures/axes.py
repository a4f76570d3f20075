"""What every chart shares: labels escaped exactly once, token axes and their tick sizes,
titles that wrap, margins, a figure built with its layout whole."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import plotly.graph_objects as go
from markupsafe import escape

ATTENTION_COLORSCALE = "Blues"


def safe(labels: Iterable[object]) -> list[str]:
    """Labels for Plotly, escaped exactly once: text as typed is escaped ("<b>" shows as
    "<b>", never bold), and labels already escaped (`token_labels`) are kept as they are."""
    return [str(escape(label)) for label in labels]


LABEL_EVERY = 64  # up to this many tokens on an axis, every token gets its label


def tick_size(n: int) -> int:
    """Tick label font size for an axis of n labels: smaller as they crowd."""
    return 12 if n <= 24 else 10 if n <= 48 else 9


def token_axis(n: int, **extra: object) -> dict:
    """A category axis of n tokens. Up to LABEL_EVERY, every token is labelled (left to
    itself Plotly drops every other label once they crowd); past that Plotly picks the labels
    and shows more as the user zooms in, and the hover names the token. Its margin grows to
    fit its labels and title."""
    axis: dict = {"type": "category", "automargin": True, "tickfont": {"size": tick_size(n)}}
    if n <= LABEL_EVERY:
        axis.update(tickmode="linear", tick0=0, dtick=1)
    return axis | extra


def chart_title(text: str) -> dict:
    """A title above the plot that pushes the margin (title.automargin with yref "paper"),
    so it never runs into a top axis's labels or title, whatever the font size."""
    return {
        "text": str(escape(text)),
        "x": 0,
        "xanchor": "left",
        "xref": "paper",
        "y": 1,
        "yanchor": "bottom",
        "yref": "paper",
        "automargin": True,
        "pad": {"b": 10},
    }


MARGIN = {"l": 10, "r": 10, "t": 30, "b": 10}  # automargin adds what labels and titles need


def figure_of(*traces: Any, **layout: Any) -> go.Figure:
    """A figure with its layout given whole: Plotly validates it once (an update_layout
    after the fact costs 7 times as much, 15 ms for a heatmap, on every page run)."""
    return go.Figure(data=list(traces), layout=layout)
