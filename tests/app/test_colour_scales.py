"""Colour scales that show the structure: on its default input, no heatmap the app ships is
more than 95% one colour (one outlier once set the scale of six maps, which looked blank)."""

import json

import pytest

from app.serving.navigation import PAGES
from tests.app.helpers import one_colour_share, open_page

PAGE_FILES = [p.path.rsplit("/", 1)[-1] for p in PAGES if p.title != "Home"]


def heatmaps(at) -> list[tuple[str, dict]]:
    found = []
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        title = spec["layout"].get("title", {}).get("text", chart.proto.id)
        found += [(title, t) for t in spec["data"] if t["type"] == "heatmap"]
    return found


@pytest.mark.parametrize("page", PAGE_FILES)
def test_no_heatmap_is_one_colour_on_the_default_input(page):
    at = open_page(page)
    maps = heatmaps(at)
    if page == "explorer.py":  # and the grid of every head
        at.session_state["ex_tab"] = "All heads"
        maps += heatmaps(at.run())
    shares = {title: round(one_colour_share(trace), 3) for title, trace in maps}
    assert all(share <= 0.95 for share in shares.values()), shares
