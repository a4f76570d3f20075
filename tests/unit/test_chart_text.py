"""Charts in words (app/chart_text.py): what a screen reader hears for a chart names its
title and its strongest values, read from the figure's own numbers."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app import figures
from app.chart_text import describe


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
