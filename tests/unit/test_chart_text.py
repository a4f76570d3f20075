"""Charts in words (app/kit/chart_text.py): what a screen reader hears for a chart names its
title and its strongest values, read from the figure's own numbers; "Charts as tables" gives
every number a chart draws, under its labels."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.kit import chart_text, figures
from app.kit.chart_text import describe, tables


def test_an_attention_map_is_its_title_size_and_three_strongest_links():
    weights = np.array([[0.7, 0.2, 0.1], [0.05, 0.9, 0.05], [0.3, 0.3, 0.4]])
    tokens = ["the", "cat", "<sat>"]
    said = describe(figures.attention_heatmap(weights, tokens, tokens, "Layer 2, head 5"))
    assert said.startswith("Layer 2, head 5. a 3 by 3 map; highest: ")
    links = said.split("highest: ")[1].rstrip(".").split("; ")
    assert links == ["1 cat to 1 cat 0.9", "0 the to 0 the 0.7", "2 <sat> to 2 <sat> 0.4"]


def test_bars_and_lines_say_their_largest_values_and_a_grid_counts_its_maps():
    bars = go.Figure(go.Bar(x=["a", "b", "c"], y=[0.1, 0.5, 0.3], name="score"),
                     layout={"title": {"text": "<b>Scores</b> &amp; more"}})  # fmt: skip
    assert describe(bars) == "Scores & more. score: highest b 0.5; c 0.3; a 0.1."
    grid = go.Figure([go.Heatmap(z=np.eye(2)), go.Heatmap(z=np.eye(2))])
    assert describe(grid).endswith("and 1 more maps.")
    assert describe(go.Figure()) == "A chart."
    text_only = go.Figure(go.Heatmap(z=[["x", "y"]]))
    assert describe(text_only).startswith("A chart")  # no numbers to rank: the title alone


def test_a_map_as_a_table_is_its_cells_under_its_labels():
    weights = np.array([[0.7, 0.2, 0.1], [0.05, 0.9, 0.05], [0.3, 0.3, 0.4]])
    tokens = ["the", "cat", "the"]  # a repeated token: the table keeps both, by place
    figure = go.Figure(go.Heatmap(z=weights, x=tokens, y=tokens),
                       layout={"title": {"text": "Layer 2, head 5"}})  # fmt: skip
    [(caption, frame)] = tables(figure)
    assert caption == "Layer 2, head 5"
    assert list(frame.index) == list(frame.columns) == ["0: the", "1: cat", "2: the"]
    np.testing.assert_array_equal(frame.to_numpy(dtype=float), weights)


def test_bars_share_a_table_and_points_keep_their_labels():
    bars = go.Figure([go.Bar(x=["a", "b"], y=[0.1, 0.5], name="clean"),
                      go.Bar(x=["a", "b"], y=[0.2, 0.4], name="corrupted")],
                     layout={"title": {"text": "Scores"}})  # fmt: skip
    [(caption, frame)] = tables(bars)
    assert caption == "Scores" and list(frame.columns) == ["clean", "corrupted"]
    assert frame.loc["b", "corrupted"] == 0.4
    points = go.Figure(go.Scatter(x=[1.0, 2.0], y=[3.0, 4.0], text=["<b>q</b>", "k"], name="q"))
    [(caption, frame)] = tables(points)
    assert caption == "The chart: q"
    assert frame.to_dict("list") == {"label": ["q", "k"], "x": [1.0, 2.0], "y": [3.0, 4.0]}
    assert tables(go.Figure()) == []


def test_a_long_map_says_how_much_of_it_the_table_shows():
    figure = go.Figure(go.Heatmap(z=np.zeros((chart_text.MAX_ROWS + 5, 2))))
    [(caption, frame)] = tables(figure)
    assert len(frame) == chart_text.MAX_ROWS
    assert caption.endswith(f"(first {chart_text.MAX_ROWS} of {chart_text.MAX_ROWS + 5} rows)")
