"""Views of every head that stay readable at the sizes researchers bring (16 x 32 heads for
Llama-3.2-1B, 32 x 32 for larger ones): a layer x head summary, one cell a head, that opens
a head on a click; and the one-token view paged by layers.

At 12 x 12 heads the explorer draws every head's map at once; at 16 x 32 those maps would
be 27 x 57 px at a projector's 1280 px, and a one-token chart 512 rows of 2 px.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app.kit import explore, figures, widgets
from model.analysis.attention import HeadStats

MEASURES = {  # what a summary cell can show, from the head's statistics
    "entropy (bits)": "entropy",
    "mean distance (tokens)": "mean_distance",
    "share on special tokens": "special_share",
}


def summary_map(stats: list[HeadStats], n_layers: int, n_heads: int, measure: str) -> np.ndarray:
    """(layers, heads): one statistic of every head."""
    field = MEASURES[measure]
    z = np.zeros((n_layers, n_heads), dtype=np.float32)
    for found in stats:
        z[found.layer, found.head] = getattr(found, field)
    return z


def summary(stats: list[HeadStats], n_layers: int, n_heads: int, layer: int, head: int) -> None:
    """Every head as one cell of a layer x head map, coloured by a statistic chosen here; a
    click opens that head (the chosen one is outlined)."""
    st.caption(
        f"{n_layers} layers x {n_heads} heads: too many small maps for one screen, so each "
        "head is one cell here, coloured by a statistic of its attention on this text, from "
        "the lowest head's value to the highest's. Click a cell to open that head; the heads "
        "of its layer are drawn below as small maps."
    )
    measure = str(
        st.radio("Colour each head by", list(MEASURES), horizontal=True, key="ex_grid_measure")
        or next(iter(MEASURES))
    )
    z = summary_map(stats, n_layers, n_heads, measure)
    low, high = float(z.min()), float(z.max())  # the heads' own range: their differences show
    figure = figures.head_map(
        z, f"Every head: {measure}", measure, zmax=max(high, low + 1e-6), chosen=(layer, head),
        zmin=low,
    )  # fmt: skip
    widgets.chart(
        figure,
        key=explore.GRID,
        on_select=explore.open_clicked_head,
        selection_mode="points",
    )


def layer_page(n_layers: int, n_heads: int, key: str) -> tuple[int, int]:
    """The layers [first, last) a view of one row per head shows at once: every layer while
    they fit figures.TOKEN_ROWS rows, else a page of them, chosen here."""
    per_page = max(1, figures.TOKEN_ROWS // n_heads)
    if n_layers <= per_page:
        return 0, n_layers
    pages = [(first, min(n_layers, first + per_page)) for first in range(0, n_layers, per_page)]
    names = [f"layers {a}-{b - 1}" if b - a > 1 else f"layer {a}" for a, b in pages]
    widgets.keep_in_range(key, len(pages))
    chosen = int(
        st.select_slider(
            f"Layers shown ({per_page} at a time: {n_heads} heads each)",
            options=range(len(pages)),
            format_func=names.__getitem__,
            key=key,
        )
    )
    return pages[chosen]
