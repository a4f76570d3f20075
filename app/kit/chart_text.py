"""A chart in words: what a screen reader says for it (WCAG 1.1.1, a text alternative).

Every chart goes through app/widgets.chart, which puts `describe(figure)` in the figure's
`layout.meta`; the page script of app/kit/exports.py gives each chart that text as its
accessible name. For a map: its title, its size and its strongest cells (for attention, the
three strongest links with their weights); for bars and lines: the largest values. With
"Charts as tables" on (the sidebar), `tables(figure)` puts its numbers under it as well."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
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


MAX_ROWS = 200  # a table shows at most this many rows of a map (and says so)


def _unique(labels: list[str]) -> list[str]:
    """Labels a table can take as its index or columns: a repeated token ("the" twice) gets
    its place, as the chart's axis shows it."""
    if len(set(labels)) == len(labels):
        return labels
    return [f"{i}: {label}" for i, label in enumerate(labels)]


def tables(figure: go.Figure) -> list[tuple[str, pd.DataFrame]]:
    """The numbers a chart draws, as tables with a caption each: a map's cells under its row
    and column labels; bars, lines and points as one row per point (label, then one column
    per series). The values are the figure's own, unrounded."""
    found: list[tuple[str, pd.DataFrame]] = []
    title = plain(figure.layout.title.text or "") or "The chart"
    series: dict[tuple[str, ...], dict[str, Any]] = {}
    for number, trace in enumerate(figure.data):
        name = plain(getattr(trace, "name", None) or "") or f"series {number + 1}"
        if trace.type == "heatmap" and trace.z is not None:
            z = np.asarray(trace.z, dtype=object)
            if z.ndim != 2 or not z.size:
                continue
            rows = _unique(_labels(trace.y, z.shape[0]))
            columns = _unique(_labels(trace.x, z.shape[1]))
            frame = pd.DataFrame(z[:MAX_ROWS], index=rows[:MAX_ROWS], columns=columns)
            more = f" (first {MAX_ROWS} of {z.shape[0]} rows)" if z.shape[0] > MAX_ROWS else ""
            caption = f"{title}: {name}" if len(figure.data) > 1 else title
            found.append((caption + more, frame))
        elif getattr(trace, "y", None) is not None and getattr(trace, "x", None) is not None:
            x, y = list(trace.x), list(trace.y)
            if len(x) != len(y):
                continue
            if all(isinstance(v, str) for v in x):  # categories: one column per series
                key = tuple(plain(v) for v in x)
                series.setdefault(key, {})[name] = y
            else:  # points: their own table, with their labels where they have them
                points: dict[str, list[Any]] = {"x": x, "y": y}
                text = getattr(trace, "text", None)
                if text is not None and not isinstance(text, str) and len(text) == len(x):
                    points = {"label": [plain(t) for t in text], **points}
                found.append((f"{title}: {name}", pd.DataFrame(points)))
    for labels, values in series.items():
        frame = pd.DataFrame(values, index=_unique(list(labels)))
        found.append((title, frame))
    return found
