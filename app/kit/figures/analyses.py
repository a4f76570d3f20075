"""The analyses' charts: explanation strips, the logit lens's and patching's layer maps (cells
that open the explorer), the head atlas's maps, query-key scatter and sink curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from markupsafe import escape

from app.kit.figures.axes import (
    ATTENTION_COLORSCALE,
    MARGIN,
    chart_title,
    figure_of,
    safe,
    token_axis,
)
from app.kit.tokens import token_labels


def explanation_strips(
    rows: Mapping[str, np.ndarray],
    tokens: Sequence[str],
    title: str,
    scaled_on: Sequence[bool] | None = None,
) -> go.Figure:
    """One heat strip per explanation over the same tokens, top to bottom in `rows`' order.
    Each strip is scaled by its own largest magnitude (methods differ in units: weights,
    logit shares) over the tokens `scaled_on` marks (the text's own; attention's large
    weights on [CLS] and [SEP] would leave every other cell pale), beyond which it is
    clipped; red for tokens that raise the output, blue for those that lower it. The hover
    gives the value as computed."""
    names = list(rows)
    raw = np.stack([np.asarray(rows[name], dtype=np.float64) for name in names])  # (rows, n)
    among = raw if scaled_on is None or not any(scaled_on) else raw[:, list(scaled_on)]
    scale = np.abs(among).max(axis=1, keepdims=True)
    shown = np.clip(np.divide(raw, scale, out=np.zeros_like(raw), where=scale > 0), -1, 1)
    figure = go.Figure(
        go.Heatmap(
            z=shown.astype(np.float32),
            x=token_labels(tokens),
            y=safe(names),
            customdata=raw.astype(np.float32),
            zmin=-1.0,
            zmax=1.0,
            zmid=0.0,
            colorscale="RdBu_r",
            colorbar={"title": {"text": "share of the row's largest"}, "thickness": 12},
            hovertemplate="%{y}<br>%{x}: %{customdata:.4g}<extra></extra>",
            xgap=1,
            ygap=2,
        )
    )
    figure.update_layout(
        title=chart_title(title),
        height=160 + 40 * len(names),
        margin=MARGIN,
        xaxis=token_axis(len(tokens), tickangle=-60),
        yaxis={"autorange": "reversed", "automargin": True},
    )
    return figure


# -- layer maps: the logit lens, activation patching ---------------------------------------------
def _layer_map(z: np.ndarray, x: list, title: str, x_title: str, **trace: Any) -> go.Figure:
    """A layer x column heatmap, layer 0 at the bottom as the stream rises, one row of
    44 px per layer; `trace` sets the colours, texts and hovers."""
    return figure_of(
        go.Heatmap(z=z, x=x, y=[f"layer {i}" for i in range(z.shape[0])], xgap=1, ygap=1,
                   **trace),
        title=chart_title(title),
        height=200 + 44 * z.shape[0],
        margin=MARGIN,
        xaxis=token_axis(len(x), title={"text": x_title}, tickangle=-60),
        yaxis={"automargin": True},
    )  # fmt: skip


def layer_grid(
    z: np.ndarray,
    columns: Sequence[str],
    title: str,
    text: Sequence[Sequence[str]] | None = None,
    hover: Sequence[Sequence[str]] | None = None,
    x_title: str = "position",
    z_title: str = "probability",
) -> go.Figure:
    """A layer x position grid: each cell's colour a probability, its text (when given) what
    that layer would say there, and its hover the alternatives (`hover`: Plotly markup, each
    text in it already escaped: `lens_hover`)."""
    trace: dict[str, Any] = {
        "zmin": 0.0,
        "zmax": 1.0,
        "colorscale": ATTENTION_COLORSCALE,
        "colorbar": {"title": {"text": z_title}, "thickness": 12},
        "hovertemplate": f"%{{y}}, %{{x}}<br>{z_title} %{{z:.3f}}<extra></extra>",
    }
    if text is not None:
        trace |= {"text": [safe(row) for row in text], "texttemplate": "%{text}",
                  "textfont": {"size": 10}}  # fmt: skip
    if hover is not None:
        trace |= {"customdata": [list(row) for row in hover],
                  "hovertemplate": "%{y}, %{x}<br>%{customdata}<extra></extra>"}  # fmt: skip
    z = np.asarray(z, dtype=np.float32)  # (layers, positions)
    return _layer_map(z, token_labels(columns), title, x_title, **trace)


def lens_hover(names: Sequence[str], probs: Sequence[float]) -> str:
    """One cell's alternatives for `layer_grid`'s hover: each escaped, one per line."""
    return "<br>".join(f"{escape(n)} {p:.3f}" for n, p in zip(names, probs, strict=True))


def patch_map(
    z: np.ndarray,
    columns: Sequence[str],
    title: str,
    x_title: str,
    cells: np.ndarray | None = None,
) -> go.Figure:
    """Activation patching's effects: 1 (red) the clean answer fully restored by patching
    that cell in, 0 no effect, below 0 (blue) further away. `cells`: (layers, columns, 2)
    customdata a click reads back (`grid_cell`: layer, head)."""
    z = np.asarray(z, dtype=np.float32)
    reach = max(1.0, float(np.abs(z).max()) if z.size else 1.0)
    trace: dict[str, Any] = {
        "zmin": -reach,
        "zmax": reach,
        "zmid": 0.0,
        "colorscale": "RdBu_r",
        "colorbar": {"title": {"text": "restored"}, "thickness": 12},
        "hovertemplate": "%{y}, %{x}<br>restored %{z:.3f}<extra></extra>",
    }
    if cells is None:
        return _layer_map(z, safe(columns), title, x_title, **trace)
    trace["customdata"] = np.asarray(cells).tolist()
    figure = _layer_map(z, safe(columns), title, x_title, **trace)
    return clickable_cells(figure, safe(columns), np.asarray(cells), "restored", z)


# -- the head atlas ------------------------------------------------------------------------------
def head_map(
    values: np.ndarray,
    title: str,
    z_title: str,
    zmax: float | None = None,
    chosen: tuple[int, int] | None = None,
    zmin: float = 0.0,
) -> go.Figure:
    """A layer x head map of one behaviour across a corpus; each cell's customdata is its
    (layer, head), which a click reads back (`grid_cell`); the `chosen` head is outlined.
    The scale runs from `zmin` (0 unless given) to `zmax` (the largest value unless given)."""
    z = np.asarray(values, dtype=np.float32)
    layers, heads = z.shape
    cells = np.stack(np.meshgrid(np.arange(layers), np.arange(heads), indexing="ij"), -1)
    columns = [f"H{h}" for h in range(heads)]
    figure = _layer_map(
        z, columns, title, "head",
        zmin=zmin, zmax=zmax if zmax is not None else max(float(z.max()), zmin + 1e-6),
        colorscale=ATTENTION_COLORSCALE, customdata=cells.tolist(),
        colorbar={"title": {"text": z_title}, "thickness": 12},
        hovertemplate=f"%{{y}}, %{{x}}<br>{escape(z_title)} %{{z:.3f}}<extra></extra>",
    )  # fmt: skip
    if chosen is not None:
        layer, head = chosen
        figure.add_shape(type="rect", x0=head - 0.5, x1=head + 0.5, y0=layer - 0.5,
                         y1=layer + 0.5, line={"color": "#d62728", "width": 3})  # fmt: skip
    return clickable_cells(figure, columns, cells, z_title, z)


def clickable_cells(
    figure: go.Figure, columns: Sequence[str], cells: np.ndarray, z_title: str, z: np.ndarray
) -> go.Figure:
    """A layer map whose cells a click selects: heatmaps have no selectable points, so an
    invisible marker sits on each cell, carrying its (layer, column) as customdata
    (`grid_cell`) and the cell's hover."""
    layers, width = z.shape
    figure.add_trace(go.Scatter(
        x=[columns[c] for _ in range(layers) for c in range(width)],
        y=[f"layer {layer}" for layer in range(layers) for _ in range(width)],
        mode="markers", marker={"size": 26, "opacity": 0, "symbol": "square"},
        customdata=np.asarray(cells).reshape(-1, 2).tolist(),
        text=[f"{z[layer, c]:.3f}" for layer in range(layers) for c in range(width)],
        hovertemplate=f"%{{y}}, %{{x}}<br>{escape(z_title)} %{{text}}<extra></extra>",
        showlegend=False,
    ))  # fmt: skip
    figure.data[0].hoverinfo = "skip"
    figure.update_layout(clickmode="event+select", hoverdistance=30)
    return figure


def query_key_scatter(
    points: Any, color: str, hover: Sequence[str], title: str, categorical: bool
) -> go.Figure:
    """AttentionViz's joint query-key view: one WebGL scatter trace per colour group (or one
    with a colour scale for a number), queries as circles, keys as diamonds."""
    figure = go.Figure()
    symbols = {"query": "circle", "key": "diamond"}
    hover = safe(hover)
    if categorical:
        for value in sorted(points[color].astype(str).unique()):
            rows = np.flatnonzero(points[color].astype(str).to_numpy() == value)
            figure.add_trace(go.Scattergl(
                x=points["x"].to_numpy()[rows], y=points["y"].to_numpy()[rows], mode="markers",
                name=str(escape(value)), text=[hover[i] for i in rows], hoverinfo="text",
                marker={"size": 5, "opacity": 0.75,
                        "symbol": [symbols[s] for s in points["side"].to_numpy()[rows]]},
            ))  # fmt: skip
    else:
        figure.add_trace(go.Scattergl(
            x=points["x"], y=points["y"], mode="markers", text=hover, hoverinfo="text",
            marker={"size": 5, "opacity": 0.75, "color": points[color], "colorscale": "Viridis",
                    "colorbar": {"title": {"text": color}, "thickness": 12},
                    "symbol": [symbols[s] for s in points["side"]]},
            showlegend=False,
        ))  # fmt: skip
    figure.update_layout(
        title=chart_title(title), height=560, margin=MARGIN,
        xaxis={"visible": False}, yaxis={"visible": False, "scaleanchor": "x"},
    )  # fmt: skip
    return figure


def sink_curves(
    lengths: Sequence[int], series: Mapping[str, Sequence[float] | np.ndarray], title: str
) -> go.Figure:
    """Each named head's share of attention on the sinks against the input's length in
    tokens (a log axis: 8 to 512)."""
    figure = go.Figure()
    for name, ys in series.items():
        figure.add_trace(go.Scatter(
            x=list(lengths), y=np.asarray(ys, dtype=np.float32), mode="lines+markers",
            name=str(escape(name)),
            hovertemplate=f"{escape(name)}<br>%{{x}} tokens: %{{y:.3f}}<extra></extra>",
        ))  # fmt: skip
    figure.update_layout(
        title=chart_title(title), height=380, margin=MARGIN,
        xaxis={"title": {"text": "input length (tokens)"}, "type": "log",
               "tickvals": list(lengths), "automargin": True},
        yaxis={"title": {"text": "share of attention"}, "range": [0, 1.02]},
    )  # fmt: skip
    return figure
