"""The Attention explorer's own tabs, each a function of one `Shown`: the run of a model on
a text, the stack, the tokens shown and the head chosen. The page (pages/explorer.py) keeps
the frame: the model, the text, the stack and window, the selectors, the tabs by name.

    shown = Shown(source_key, text, pair, run, stack, rows, cols, layer, head)
    tabs.one_head(shown)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from app.kit import explore, figures, tokens, widgets
from app.serving import caches
from app.serving.sources import Run
from app.views.explorer import heads
from model.analysis.attention import (
    FLOW_MAX_TOKENS,
    HeadStats,
    attention_flow,
    attention_rollout,
    head_statistics,
)
from model.core.capture import AXES, AttentionCapture
from model.core.hooks import Stack

LINES_MAX_TOKENS = 120  # the lines view: past this, a tangle; the heatmap reads better


@dataclass(frozen=True)
class Shown:
    """What the explorer shows: `run` of model `source` on `text` (and `pair`), the `stack`,
    the query rows and key columns not hidden (positions in the whole text), the layer and
    head chosen."""

    source: str
    text: str
    pair: str | None
    run: Run
    stack: Stack
    rows: list[int]
    cols: list[int]
    layer: int
    head: int

    @property
    def att(self) -> AttentionCapture:
        return self.run.attention

    @functools.cached_property
    def tokens(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Every query and key token of the stack, hidden or not."""
        q_tokens, k_tokens = self.att.axis_tokens(self.stack)
        return tuple(q_tokens), tuple(k_tokens)

    @property
    def rows_t(self) -> list[str]:
        return [self.tokens[0][i] for i in self.rows]

    @property
    def cols_t(self) -> list[str]:
        return [self.tokens[1][j] for j in self.cols]

    @property
    def shape(self) -> tuple[int, int]:
        return self.att.n_layers(self.stack), self.att.n_heads(self.stack)

    @property
    def key_special(self) -> tuple[bool, ...]:
        return tuple(self.att.special.get(AXES[self.stack][1], ()))

    @functools.cached_property
    def every_layer(self) -> np.ndarray:
        """The stack's attention (layers, heads, q_len, k_len), built only for the views
        that need every layer (at 512 tokens that is 75 MB to assemble)."""
        return self.att.matrices(self.stack).numpy()

    def one_layer(self, index: int) -> np.ndarray:
        """(heads, q_len, k_len) of one layer, no copy where the capture holds it so."""
        if self.att.n_steps(self.stack) > 1:  # decoding steps are put together at once
            return self.every_layer[index]
        return self.att.layer(self.stack, index).numpy()

    def hidden(self, array: np.ndarray) -> np.ndarray:
        """The rows and columns not hidden (a copy only when some are hidden)."""
        q_tokens, k_tokens = self.tokens
        if len(self.rows) == len(q_tokens) and len(self.cols) == len(k_tokens):
            return array
        return array[..., self.rows, :][..., self.cols]


def statistics_of(shown: Shown) -> list[HeadStats]:
    """Every head's statistics, computed once per text and stack (a few seconds at 16 x 32
    heads and 512 tokens)."""
    return caches.result(
        ("head statistics", shown.source, shown.text, shown.pair, shown.stack),
        lambda: head_statistics(shown.every_layer, special=shown.key_special or None),
    )


def one_head(shown: Shown) -> None:
    widgets.head_and_mean(
        shown.hidden(shown.one_layer(shown.layer)),
        shown.rows_t,
        shown.cols_t,
        shown.layer,
        shown.head,
        key="ex",
        positions=(shown.rows, shown.cols),
    )


def all_heads(shown: Shown) -> None:
    n_layers, n_heads = shown.shape
    if n_layers * n_heads > figures.GRID_MAX_HEADS:  # 512 small maps would be 27 px each
        heads.summary(statistics_of(shown), n_layers, n_heads, shown.layer, shown.head)
        st.subheader(f"The heads of layer {shown.layer}")
        widgets.chart(
            figures.layer_heads(shown.hidden(shown.one_layer(shown.layer)), shown.layer),
            key=explore.LAYER_GRID,
            on_select=explore.open_clicked_layer_head,
            selection_mode="points",
        )
        return
    st.caption(
        f"Every head of every layer; click one to open it. Each small map is averaged down "
        f"to at most {figures.GRID_MAX_CELLS} x {figures.GRID_MAX_CELLS} cells and scaled "
        "to its own maximum, so the browser receives one byte per cell at any length; the "
        "exact numbers are in the single-head view."
    )
    widgets.chart(
        figures.head_grid(shown.hidden(shown.every_layer)),
        key=explore.GRID,
        on_select=explore.open_clicked_head,
        selection_mode="points",
    )


def lines(shown: Shown) -> None:
    if len(shown.rows) > LINES_MAX_TOKENS:
        st.info(
            f"The lines view is drawn for up to {LINES_MAX_TOKENS} tokens; use the heatmap "
            "for longer texts."
        )
        return
    widgets.chart(
        figures.token_lines(
            shown.hidden(shown.one_layer(shown.layer)[shown.head]),
            shown.rows_t,
            shown.cols_t,
            title=f"Layer {shown.layer}, head {shown.head}: lines for weights of 0.05 and more",
        ),
        key="ex_lines",
    )


def one_token(shown: Shown) -> None:
    rows_t = shown.rows_t
    widgets.keep_in_range("ex_token", len(rows_t))
    readable = tokens.readable_tokens(rows_t)
    token = st.selectbox(
        "Query token",
        range(len(rows_t)),
        format_func=[f"{r}: {t}" for r, t in zip(shown.rows, readable, strict=True)].__getitem__,
        key="ex_token",
    )
    n_layers, n_heads = shown.shape
    first, last = heads.layer_page(n_layers, n_heads, key="ex_token_layers")
    widgets.chart(
        figures.token_focus(
            shown.hidden(shown.every_layer[first:last]),
            token,
            shown.cols_t,
            title=f"What '{readable[token]}' attends to, in every head"
            + (f" of layers {first} to {last - 1}" if last - first < n_layers else ""),
            key_positions=shown.cols,
            first_layer=first,
        ),
        key="ex_token_focus",
    )


def rollout_and_flow(shown: Shown) -> None:
    if shown.stack == "cross":
        st.info(
            "Rollout and flow follow the residual stream of one stack's self-attention; "
            "pick the encoder or the decoder."
        )
        return
    st.caption(
        "Abnar & Zuidema (2020). Each layer's heads are averaged, the identity is added for "
        "the residual connection, rows renormalised; rollout multiplies the layers, flow "
        "solves a max-flow per token pair."
    )
    square = shown.every_layer  # rollout needs every token, hidden or not
    picked = np.ix_(shown.rows, shown.cols)
    heatmap = functools.partial(
        figures.attention_heatmap,
        query_tokens=shown.rows_t,
        key_tokens=shown.cols_t,
        query_positions=shown.rows,
        key_positions=shown.cols,
    )
    rolled = attention_rollout(square)[-1][picked]
    widgets.chart(heatmap(rolled, title="Attention rollout through all layers"), key="ex_rollout")
    length = len(shown.tokens[0])
    if length > FLOW_MAX_TOKENS:
        st.info(
            f"Attention flow is computed for up to {FLOW_MAX_TOKENS} tokens (one max-flow "
            f"per token pair); this text has {length}."
        )
    elif st.toggle("Compute attention flow", key="ex_flow"):
        with widgets.working(f"Solving {length**2:,} max-flow problems, one per pair of tokens…"):
            flow = caches.flow(
                shown.source, shown.text, shown.pair, shown.stack,
                lambda: attention_flow(square),
            )[picked]  # fmt: skip
        widgets.chart(heatmap(flow, title="Attention flow (max-flow)"), key="ex_flow_map")


def statistics(shown: Shown) -> None:
    table = pd.DataFrame([vars(s) for s in statistics_of(shown)]).round(3)
    table.columns = [
        "layer",
        "head",
        "entropy (bits)",
        "mean distance (tokens)",
        "share on special tokens",
    ]
    st.caption("Click a column header to sort.")
    st.dataframe(table, hide_index=True, key="ex_stats")


def compare(shown: Shown, label: str) -> None:
    """The head chosen on the text and on a second text typed here, side by side (`label`:
    the model's name, for the spinner)."""
    other = widgets.text_box(
        "Second text",
        "The animal didn't cross the street because it was too wide.",
        key="ex_compare",
        height=80,
    )
    other_run = widgets.run_or_hint(
        lambda: caches.capture(shown.source, other),
        f"Running {label} on the second text ({widgets.words(other)})…",
    )
    if other_run is None:
        return
    other_att = other_run.attention
    other_q, other_k = other_att.axis_tokens(shown.stack)
    left, right = widgets.chart_columns(2)
    q_tokens, k_tokens = shown.tokens
    with left:
        widgets.chart(
            figures.attention_heatmap(
                shown.one_layer(shown.layer)[shown.head],
                list(q_tokens),
                list(k_tokens),
                title="First text",
            ),
            key="ex_cmp_a",
        )
    with right:
        widgets.chart(
            figures.attention_heatmap(
                other_att.matrices(shown.stack)[shown.layer, shown.head].numpy(),
                other_q,
                other_k,
                title="Second text",
            ),
            key="ex_cmp_b",
        )


def export(shown: Shown) -> None:
    """The capture as NPZ, and as JSON while it is short enough to read."""
    att = shown.att
    st.subheader("Export")
    left, right = st.columns(2)
    left.download_button(
        "Attention as NPZ",
        data=att.to_npz,
        file_name="attention.npz",
        mime="application/octet-stream",
        key="ex_npz",
        on_click="ignore",
    )
    if len(shown.tokens[0]) <= 128:
        right.download_button(
            "Attention as JSON",
            data=att.to_json,
            file_name="attention.json",
            mime="application/json",
            key="ex_json",
            on_click="ignore",
        )
    else:
        right.caption(
            "JSON export is offered up to 128 tokens (it grows with the square of the "
            "length); NPZ holds the same numbers compactly."
        )
