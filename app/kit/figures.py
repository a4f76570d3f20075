"""Pure Plotly figure builders: arrays and labels in, a Figure out. No Streamlit here."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from markupsafe import escape

from app.kit.tokens import readable_tokens, token_labels

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


def figure_of(*traces: Any, **layout: Any) -> go.Figure:
    """A figure with its layout given whole: Plotly validates it once (an update_layout
    after the fact costs 7 times as much, 15 ms for a heatmap, on every page run)."""
    return go.Figure(data=list(traces), layout=layout)


# -- every head at once -------------------------------------------------------------------------
GRID_MAX_CELLS = 64  # per axis, per small heatmap


def downsample(matrix: np.ndarray, max_cells: int) -> np.ndarray:
    """Exact block means down to at most max_cells x max_cells (unchanged if already small)."""
    matrix = np.asarray(matrix, dtype=np.float64)  # (q_len, k_len)
    for axis in (0, 1):
        n = matrix.shape[axis]
        if n > max_cells:
            edges = np.linspace(0, n, max_cells + 1).round().astype(int)  # block boundaries
            sums = np.add.reduceat(matrix, edges[:-1], axis=axis)
            sizes = np.diff(edges).reshape((-1, 1) if axis == 0 else (1, -1))
            matrix = sums / sizes
    return matrix


def quantise(matrix: np.ndarray) -> np.ndarray:
    """0..255 relative to the matrix's own maximum: each small heatmap shows its pattern."""
    top = float(matrix.max()) or 1.0
    return np.round(255 * matrix / top).astype(np.uint8)


def grid_tiles(matrices: np.ndarray, max_cells: int = GRID_MAX_CELLS) -> np.ndarray:
    """Every head's map, block-averaged to at most max_cells per axis and scaled to its own
    maximum (one byte a cell), laid out as one image: layers down, heads across.
    matrices: (layers, heads, q_len, k_len) -> (layers * rows, heads * cols) uint8."""
    matrices = np.asarray(matrices)
    n_layers, n_heads = matrices.shape[:2]
    rows = [
        np.concatenate(
            [quantise(downsample(matrices[layer, head], max_cells)) for head in range(n_heads)],
            axis=1,
        )
        for layer in range(n_layers)
    ]
    return np.concatenate(rows, axis=0)  # (layers * rows, heads * cols)


GRID_MAX_HEADS = 144  # small maps in one grid (BERT-base's 12 x 12); beyond, a summary map
LAYER_ROW = 8  # small maps per row when one layer's heads are drawn


def layer_heads(matrices: np.ndarray, layer: int, max_cells: int = GRID_MAX_CELLS) -> go.Figure:
    """One layer's heads as small maps, LAYER_ROW to a row (32 heads: 4 rows of 8, each map
    about 130 px wide at 1280 px). matrices: (heads, q, k); a click opens the head."""
    matrices = np.asarray(matrices)
    heads = matrices.shape[0]
    rows = -(-heads // LAYER_ROW)
    per_row = min(heads, LAYER_ROW)
    padded = np.zeros((rows * per_row, *matrices.shape[1:]), dtype=matrices.dtype)
    padded[:heads] = matrices
    cells = [
        [(layer, r * per_row + c) if r * per_row + c < heads else None for c in range(per_row)]
        for r in range(rows)
    ]
    return head_grid(
        padded.reshape(rows, per_row, *matrices.shape[1:]), max_cells,
        row_labels=[f"H{r * per_row}-{min(heads, (r + 1) * per_row) - 1}" for r in range(rows)],
        column_labels=[f"+{c}" for c in range(per_row)], cells=cells,
    )  # fmt: skip


def head_grid(
    matrices: np.ndarray,
    max_cells: int = GRID_MAX_CELLS,
    row_labels: Sequence[str] | None = None,
    column_labels: Sequence[str] | None = None,
    cells: Sequence[Sequence[tuple[int, int] | None]] | None = None,
) -> go.Figure:
    """Layers x heads small heatmaps, drawn as one image. matrices: (layers, heads, q, k).

    What the browser receives is small at any length (one byte per cell, at most max_cells
    per axis and head), and it is one trace: a figure of 72 subplots took a quarter of a
    second to build on every rerun, this one a few milliseconds. `row_labels`,
    `column_labels` and `cells` (the (layer, head) each tile stands for, None for an empty
    one) lay out other grids (`layer_heads`).
    """
    matrices = np.asarray(matrices)
    n_layers, n_heads = matrices.shape[:2]
    tiles = grid_tiles(matrices, max_cells)
    height, width = tiles.shape[0] // n_layers, tiles.shape[1] // n_heads  # one tile
    centres_x = [head * width + (width - 1) / 2 for head in range(n_heads)]
    centres_y = [layer * height + (height - 1) / 2 for layer in range(n_layers)]
    if cells is None:
        cells = [[(layer, head) for head in range(n_heads)] for layer in range(n_layers)]
    figure = go.Figure(
        go.Heatmap(
            z=tiles,
            zmin=0,
            zmax=255,
            colorscale=ATTENTION_COLORSCALE,
            showscale=False,
            hoverinfo="skip",
            name="every head",
        )
    )
    # Heatmaps have no selectable points: one invisible marker at the centre of each small
    # map is what a click selects, and it carries the (layer, head) it stands for.
    placed = [(r, c, cell) for r, row in enumerate(cells) for c, cell in enumerate(row) if cell]
    figure.add_trace(
        go.Scatter(
            x=[centres_x[c] for _, c, _ in placed],
            y=[centres_y[r] for r, _, _ in placed],
            mode="markers",
            marker={"size": 40, "opacity": 0},
            customdata=[list(cell) for _, _, cell in placed],
            hovertemplate="layer %{customdata[0]}, head %{customdata[1]}: click to open"
            "<extra></extra>",
            showlegend=False,
        )
    )
    line = {"color": "white", "width": 3}  # the gaps between the small maps
    bottom, right = tiles.shape[0] - 0.5, tiles.shape[1] - 0.5
    shapes = [
        {"type": "line", "x0": x, "x1": x, "y0": -0.5, "y1": bottom, "line": line}
        for x in (head * width - 0.5 for head in range(1, n_heads))
    ] + [
        {"type": "line", "x0": -0.5, "x1": right, "y0": y, "y1": y, "line": line}
        for y in (layer * height - 0.5 for layer in range(1, n_layers))
    ]
    columns = column_labels or [f"H{h}" for h in range(n_heads)]
    figure.update_xaxes(
        tickvals=centres_x, ticktext=list(columns), side="top", showgrid=False, zeroline=False,
    )  # fmt: skip
    figure.update_yaxes(
        tickvals=centres_y, ticktext=list(row_labels or [f"L{i}" for i in range(n_layers)]),
        autorange="reversed", showgrid=False, zeroline=False,
    )  # fmt: skip
    figure.update_layout(
        shapes=shapes,
        height=max(320, 70 * n_layers + 80),
        margin={"l": 10, "r": 10, "t": 60, "b": 10},  # the toolbar clears the head labels
        clickmode="event+select",
        hoverdistance=60,
        showlegend=False,
    )
    return figure


def grid_cell(point: dict) -> tuple[int, int]:
    """(layer, head) of the small map a selected grid point stands for."""
    layer, head = point["customdata"]
    return int(layer), int(head)


# -- token-to-token lines -----------------------------------------------------------------------
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


# -- explanations -------------------------------------------------------------------------------
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
