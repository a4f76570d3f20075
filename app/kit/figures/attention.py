"""Attention drawn: one matrix as a heatmap, token-to-token lines, one token's weights in
every head."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from app.kit.figures.axes import (
    ATTENTION_COLORSCALE,
    MARGIN,
    chart_title,
    figure_of,
    safe,
    token_axis,
)
from app.kit.tokens import readable_tokens, token_labels


def attention_heatmap(
    matrix: np.ndarray,
    query_tokens: Sequence[str],
    key_tokens: Sequence[str],
    title: str,
    zmax: float | None = None,
    query_positions: Sequence[int] | None = None,
    key_positions: Sequence[int] | None = None,
    query_title: str = "query (attending)",
) -> go.Figure:
    """One attention matrix: rows are query tokens (top to bottom), columns key tokens
    (numbered by `*_positions` in the text when only some are shown); `query_title` names the
    rows when they are not queries (one query's weights in each head).

    The z values are the matrix itself as float32, exactly what the model computed.
    """
    matrix = np.asarray(matrix, dtype=np.float32)  # (q_len, k_len)
    if matrix.ndim != 2:
        raise ValueError(f"an attention matrix is 2-D (queries, keys), not shape {matrix.shape}")
    if matrix.shape != (len(query_tokens), len(key_tokens)):
        raise ValueError(
            f"attention has shape {matrix.shape}, while there are {len(query_tokens)} query "
            f"tokens and {len(key_tokens)} key tokens"
        )
    # Cells are square, so a wide map of few rows (a question over its context) is as tall
    # as its rows need, not a strip under blank space.
    rows, n = len(query_tokens), max(len(query_tokens), len(key_tokens))
    tall = max(rows, n // 2)
    return figure_of(
        go.Heatmap(
            z=matrix,
            x=token_labels(key_tokens, key_positions),
            y=token_labels(query_tokens, query_positions),
            zmin=0.0,
            zmax=zmax,
            colorscale=ATTENTION_COLORSCALE,
            colorbar={"title": {"text": "weight"}, "thickness": 12},
            hovertemplate="query %{y}<br>key %{x}<br>weight %{z:.3f}<extra></extra>",
        ),
        title=chart_title(title),
        height=min(900, max(420 if rows >= n else 300, 200 + 16 * tall)),
        margin=MARGIN,
        # keys along the bottom: a title above a top axis's labels has no margin of its own
        # (Plotly's margins take the larger push per side, not the sum), and they overlapped
        xaxis=token_axis(
            len(key_tokens), title={"text": "key (attended to)"}, tickangle=-60, constrain="domain"
        ),
        # square cells: a 512-token map is a square to zoom into, not a strip
        yaxis=token_axis(
            len(query_tokens),
            title={"text": query_title},
            autorange="reversed",
            scaleanchor="x",
            constrain="domain",
        ),
    )


LINE_BINS = (0.05, 0.15, 0.3, 0.5, 1.01)  # weights below the first are not drawn


def token_lines(
    matrix: np.ndarray, query_tokens: Sequence[str], key_tokens: Sequence[str], title: str
) -> go.Figure:
    """Queries on the left, keys on the right, a line for each weight of at least 0.05;
    the heavier the weight, the darker and thicker the line."""
    matrix = np.asarray(matrix, dtype=np.float64)  # (q_len, k_len)
    figure = go.Figure()
    for low, high in itertools.pairwise(LINE_BINS):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for i, j in zip(*np.nonzero((matrix >= low) & (matrix < high)), strict=True):
            xs += [0.0, 1.0, None]
            ys += [float(i), float(j), None]
        if xs:
            figure.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    line={"width": 1 + 6 * low, "color": f"rgba(31, 119, 180, {0.25 + low})"},
                    hoverinfo="skip",
                    name=f"weight {low:.2f}-{min(high, 1):.2f}",
                )
            )
    for x, tokens, anchor in ((0.0, query_tokens, "right"), (1.0, key_tokens, "left")):
        figure.add_trace(
            go.Scatter(
                x=[x] * len(tokens),
                y=list(range(len(tokens))),
                mode="text",
                text=safe(readable_tokens(tokens)),
                textposition=f"middle {anchor}",
                hoverinfo="skip",
                showlegend=False,
            )
        )
    figure.update_layout(
        title=chart_title(title),
        height=max(300, 28 * max(len(query_tokens), len(key_tokens)) + 120),  # a line each
        xaxis={"visible": False, "range": [-0.6, 1.6]},
        yaxis={"visible": False, "autorange": "reversed"},
        margin=MARGIN,
        legend={"orientation": "h"},
    )
    return figure


TOKEN_ROWS = 96  # rows of the one-token view at once (12 px each): more are paged by layer


def token_focus(
    matrices: np.ndarray,
    token: int,
    key_tokens: Sequence[str],
    title: str,
    key_positions: Sequence[int] | None = None,
    first_layer: int = 0,
) -> go.Figure:
    """What one query token attends to in every head: rows are layer.head, columns keys.
    matrices: (layers, heads, q, k), the layers from `first_layer` on (a page of them)."""
    n_layers, n_heads = matrices.shape[:2]
    rows = np.asarray(matrices[:, :, token, :], dtype=np.float32)  # (layers, heads, k_len)
    rows = rows.reshape(n_layers * n_heads, -1)  # (layers*heads, k_len)
    labels = [f"L{first_layer + layer} H{head}" for layer in range(n_layers)
              for head in range(n_heads)]  # fmt: skip
    figure = attention_heatmap(rows, labels, key_tokens, title=title, key_positions=key_positions)
    figure.update_traces(y=labels)  # "L2 H5", not numbered as tokens are
    figure.update_layout(height=min(1100, max(420, 200 + 12 * len(labels))))
    figure.update_yaxes(  # one row per head, every one labelled
        title={"text": "layer, head"}, scaleanchor=None, tickmode="linear", tick0=0, dtick=1
    )
    return figure
