"""Every head at once: small maps averaged down and quantised to a byte a cell, one layer's
heads, the grid of all, and the head a click on it names."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from app.kit.figures.axes import ATTENTION_COLORSCALE

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
