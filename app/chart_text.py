"""A chart in words: what a screen reader says for it (WCAG 1.1.1, a text alternative).

Every chart goes through app/widgets.chart, which puts `describe(figure)` in the figure's
`layout.meta`; the page script of app/exports.py gives each chart that text as its
accessible name. For a map: its title, its size and its strongest cells (for attention, the
three strongest links with their weights); for bars and lines: the largest values."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

STRONGEST = 3
_TAGS = re.compile(r"<[^>]+>")


def plain(text: object) -> str:
    """A Plotly label as words: no tags (<br>, <b>), no entities (&lt;)."""
    return " ".join(html.unescape(_TAGS.sub(" ", str(text))).split())


def _labels(values: Any, n: int) -> list[str]:
    if values is None:
        return [str(i) for i in range(n)]
    found = [plain(v) for v in values]
    return found if len(found) == n else [str(i) for i in range(n)]


def _map(trace: Any) -> str:
    z = np.asarray(trace.z, dtype=float)
    if z.ndim != 2 or not z.size or np.isnan(z).all():
        return ""
    x, y = _labels(trace.x, z.shape[1]), _labels(trace.y, z.shape[0])
    order = np.argsort(np.nan_to_num(z, nan=-np.inf), axis=None)[::-1][:STRONGEST]
    cells = [f"{y[r]} to {x[c]} {z[r, c]:.3g}" for r, c in zip(*np.unravel_index(order, z.shape),
                                                              strict=True)]  # fmt: skip
    return f"a {z.shape[0]} by {z.shape[1]} map; highest: " + "; ".join(cells)


def _values(trace: Any) -> str:
    y = np.asarray(trace.y if trace.y is not None else [], dtype=float).ravel()
    if not y.size or np.isnan(y).all():
        return ""
    x = _labels(trace.x, len(y))
    order = np.argsort(np.nan_to_num(y, nan=-np.inf))[::-1][:STRONGEST]
    name = f"{plain(trace.name)}: " if trace.name else ""
    return name + "highest " + "; ".join(f"{x[i]} {y[i]:.3g}" for i in order)


def describe(figure: go.Figure) -> str:
    """The chart in one or two sentences (its title, then what it shows most strongly)."""
    title = plain(figure.layout.title.text or "") or "A chart"
    traces: Sequence[Any] = figure.data
    maps = [t for t in traces if t.type == "heatmap" and t.z is not None]
    parts = [title]
    try:
        if maps:
            parts.append(_map(maps[0]))
            if len(maps) > 1:
                parts.append(f"and {len(maps) - 1} more maps")
        else:
            parts += [_values(t) for t in traces[:STRONGEST] if getattr(t, "y", None) is not None]
    except (TypeError, ValueError):  # values that are not numbers (text tables)
        pass
    return ". ".join(p for p in parts if p) + "."
