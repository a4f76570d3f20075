"""Numbers that are not attention weights: matrices with a robust colour range and their
outliers marked, bars, curves, a QA reader's start and end scores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
from app.kit.tokens import token_labels

OUTLIER_FACTOR = 1.5  # a value this far beyond the bulk's range counts as an outlier


def robust_limit(matrix: np.ndarray, percent: float = 1.0) -> float:
    """The half-width of a colour scale centred on 0 that holds the values from the
    `percent`th to the (100 - percent)th percentile, so one outlier (a learned position of
    1.87 among values within 0.07) no longer turns the rest of the map white. Where nothing
    lies more than OUTLIER_FACTOR beyond that range, the scale holds every value."""
    finite = np.asarray(matrix, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return 1.0
    low, high = np.percentile(finite, [percent, 100 - percent])
    limit, extreme = max(abs(low), abs(high)), float(np.abs(finite).max())
    if extreme <= OUTLIER_FACTOR * limit:  # bounded data (sinusoids): nothing stands out
        return extreme or 1.0
    return float(limit)


OUTLIERS_SHOWN = 2000  # the most extreme cells beyond the colour scale get a marker


def matrix_heatmap(
    matrix: np.ndarray,
    row_labels: Sequence[object],
    col_labels: Sequence[object],
    title: str,
    diverging: bool = True,
    value_format: str = ".3f",
) -> go.Figure:
    """Any labelled matrix (vectors, scores, embeddings).

    Diverging data is centred on 0, its colour scale running over the 1st to 99th percentile
    (`robust_limit`); the cells beyond it keep their true value (in the hover) and are marked
    with a dot, and the colour bar's title gives the true minimum and maximum. Columns
    labelled 0, 1, 2... (the dimensions of a vector) go on a numeric axis: a category axis of
    hundreds of labels is slow for the browser to lay out and unreadable."""
    matrix = np.asarray(matrix, dtype=np.float32)
    numbered = list(col_labels) == list(range(matrix.shape[1]))
    rows = safe(row_labels)
    cols = None if numbered else safe(col_labels)
    scale: dict = {"colorscale": ATTENTION_COLORSCALE}
    colorbar: dict = {"thickness": 12}
    outliers = None
    if diverging:
        limit = robust_limit(matrix)
        scale = {"colorscale": "RdBu", "zmid": 0.0, "zmin": -limit, "zmax": limit}
        finite = matrix[np.isfinite(matrix)]
        if finite.size:
            colorbar["title"] = {
                "text": f"min {finite.min():.3g}<br>max {finite.max():.3g}",
                "side": "top",
                "font": {"size": 11},
            }
        beyond = np.argwhere(np.abs(np.nan_to_num(matrix)) > limit)  # (cells, 2)
        if len(beyond) > OUTLIERS_SHOWN:
            extremes = np.abs(matrix[beyond[:, 0], beyond[:, 1]])
            beyond = beyond[np.argsort(-extremes)[:OUTLIERS_SHOWN]]
        if len(beyond):
            outliers = go.Scatter(
                x=[int(j) if cols is None else cols[j] for j in beyond[:, 1]],
                y=[rows[i] for i in beyond[:, 0]],
                customdata=matrix[beyond[:, 0], beyond[:, 1]],
                mode="markers",
                marker={"symbol": "circle", "size": 4, "color": "#ffd700",
                        "line": {"width": 0.5, "color": "#000000"}},
                name=f"beyond ±{limit:.3g}",
                hovertemplate=f"%{{y}}, %{{x}}: %{{customdata:{value_format}}} (beyond the "
                "colour scale)<extra></extra>",
                showlegend=False,
            )  # fmt: skip
    xaxis = {"type": "linear", "automargin": True} if numbered else token_axis(len(col_labels))
    yaxis = token_axis(len(rows), autorange="reversed")
    if outliers is not None:
        # the markers must not widen the axes beyond the map (autorange pads for markers)
        xaxis |= {"autorange": False, "range": [-0.5, matrix.shape[1] - 0.5]}
        yaxis |= {"autorange": False, "range": [matrix.shape[0] - 0.5, -0.5]}
    heatmap = go.Heatmap(
        z=matrix,
        x=cols,
        y=rows,
        hovertemplate=f"%{{y}}, %{{x}}: %{{z:{value_format}}}<extra></extra>",
        colorbar=colorbar,
        **scale,
    )
    return figure_of(
        *([heatmap] if outliers is None else [heatmap, outliers]),
        title=chart_title(title),
        height=max(260, min(900, 90 + 20 * matrix.shape[0])),
        margin=MARGIN,
        yaxis=yaxis,
        xaxis=xaxis,
    )


def bars(values: Sequence[float] | np.ndarray, labels: Sequence[str], title: str) -> go.Figure:
    figure = go.Figure(
        go.Bar(
            x=safe(labels),
            y=list(values),
            hovertemplate="%{x}: %{y:.3f}<extra></extra>",
        )
    )
    figure.update_layout(
        title=chart_title(title), height=320, margin=MARGIN, xaxis=token_axis(len(labels))
    )
    return figure


def curves(
    series: Mapping[str, Sequence[float] | np.ndarray], x_title: str, title: str
) -> go.Figure:
    figure = go.Figure()
    for name, ys in series.items():
        figure.add_trace(go.Scatter(y=np.asarray(ys, dtype=np.float32), mode="lines", name=name))
    figure.update_layout(
        title=chart_title(title),
        height=340,
        xaxis={"title": {"text": x_title}, "automargin": True},
        margin=MARGIN,
    )
    return figure


def start_end_scores(
    tokens: Sequence[str], start: Sequence[float], end: Sequence[float], title: str
) -> go.Figure:
    """A QA model's start and end scores over the context tokens, side by side."""
    labels = token_labels(tokens)
    figure = go.Figure(
        [
            go.Bar(
                x=labels,
                y=list(start),
                name="start",
                hovertemplate="%{x}: start %{y:.2f}<extra></extra>",
            ),
            go.Bar(
                x=labels, y=list(end), name="end", hovertemplate="%{x}: end %{y:.2f}<extra></extra>"
            ),
        ]
    )
    figure.update_layout(
        title=chart_title(title),
        barmode="group",
        height=340,
        xaxis=token_axis(len(labels)),
        margin=MARGIN,
    )
    return figure
