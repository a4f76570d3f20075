"""Pure Plotly figure builders: arrays and labels in, a Figure out. No Streamlit here.

By chart family: `axes` (what every chart shares), `attention`, `grids` (every head at
once), `values` (matrices, bars, curves) and `analyses` (explanations, lens, patching, head
atlas). Pages and views call them through this package: `figures.attention_heatmap(...)`."""

from app.kit.figures.analyses import (
    clickable_cells,
    explanation_strips,
    head_map,
    layer_grid,
    lens_hover,
    patch_map,
    query_key_scatter,
    sink_curves,
)
from app.kit.figures.attention import (
    LINE_BINS,
    TOKEN_ROWS,
    attention_heatmap,
    token_focus,
    token_lines,
)
from app.kit.figures.axes import (
    ATTENTION_COLORSCALE,
    LABEL_EVERY,
    MARGIN,
    chart_title,
    figure_of,
    safe,
    tick_size,
    token_axis,
)
from app.kit.figures.grids import (
    GRID_MAX_CELLS,
    GRID_MAX_HEADS,
    LAYER_ROW,
    downsample,
    grid_cell,
    grid_tiles,
    head_grid,
    layer_heads,
    quantise,
)
from app.kit.figures.values import (
    OUTLIER_FACTOR,
    OUTLIERS_SHOWN,
    bars,
    curves,
    matrix_heatmap,
    robust_limit,
    start_end_scores,
)

__all__ = [
    "ATTENTION_COLORSCALE",
    "GRID_MAX_CELLS",
    "GRID_MAX_HEADS",
    "LABEL_EVERY",
    "LAYER_ROW",
    "LINE_BINS",
    "MARGIN",
    "OUTLIERS_SHOWN",
    "OUTLIER_FACTOR",
    "TOKEN_ROWS",
    "attention_heatmap",
    "bars",
    "chart_title",
    "clickable_cells",
    "curves",
    "downsample",
    "explanation_strips",
    "figure_of",
    "grid_cell",
    "grid_tiles",
    "head_grid",
    "head_map",
    "layer_grid",
    "layer_heads",
    "lens_hover",
    "matrix_heatmap",
    "patch_map",
    "quantise",
    "query_key_scatter",
    "robust_limit",
    "safe",
    "sink_curves",
    "start_end_scores",
    "tick_size",
    "token_axis",
    "token_focus",
    "token_lines",
]
