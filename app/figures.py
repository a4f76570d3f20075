"""Pure Plotly figure builders: arrays and labels in, a Figure out. No Streamlit here."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

ATTENTION_COLORSCALE = "Blues"


def token_labels(tokens: Sequence[str]) -> list[str]:
    """Axis labels that are unique (a categorical axis would merge repeated tokens) and safe:
    Plotly reads a little HTML in labels, so every token is escaped and shows as typed."""
    return [f"{i} {html.escape(tok, quote=True)}" for i, tok in enumerate(tokens)]


def attention_heatmap(
    matrix: np.ndarray,
    query_tokens: Sequence[str],
    key_tokens: Sequence[str],
    title: str,
    zmax: float | None = None,
) -> go.Figure:
    """One attention matrix: rows are query tokens (top to bottom), columns key tokens.

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
    figure = go.Figure(
        go.Heatmap(
            z=matrix,
            x=token_labels(key_tokens),
            y=token_labels(query_tokens),
            zmin=0.0,
            zmax=zmax,
            colorscale=ATTENTION_COLORSCALE,
            colorbar={"title": {"text": "weight"}, "thickness": 12},
            hovertemplate="query %{y}<br>key %{x}<br>weight %{z:.3f}<extra></extra>",
        )
    )
    size = max(360, min(900, 120 + 18 * len(query_tokens)))
    figure.update_layout(
        title={"text": html.escape(title), "y": 0.99, "yanchor": "top"},
        height=size,
        margin={"l": 10, "r": 10, "t": 130, "b": 10},
        xaxis={"title": {"text": "key (attended to)"}, "tickangle": -60, "side": "top"},
        yaxis={"title": {"text": "query (attending)"}, "autorange": "reversed"},
    )
    figure.update_xaxes(type="category")
    figure.update_yaxes(type="category")
    return figure
