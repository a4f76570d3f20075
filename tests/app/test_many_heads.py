"""A listed model with Llama-3.2-1B's layout of heads (16 layers x 32 heads, 8 key/value
heads), tiny in every other way: the explorer's views of every head stay readable. All heads
is a layer x head summary (one cell a head, a click opens it) with one layer's heads as small
maps; One token is paged by layers; Head statistics lists all 512."""

from __future__ import annotations

import json

import pytest

from app.kit import figures
from tests.app.helpers import decode, open_page

TEXT = "The cat sat on the mat because it was warm."


@pytest.fixture(scope="module")
def models_file(tmp_path_factory):
    from model.hf.families import BY_TYPE, Size, write_tiny

    root = tmp_path_factory.mktemp("many")
    write_tiny(BY_TYPE["llama"], root / "wide", size=Size(d_model=64, layers=16, heads=32))
    path = root / "models.toml"
    path.write_text('[[model]]\nname = "wide"\nsource = "wide"\n')
    return path


@pytest.fixture
def explorer(models_file, monkeypatch):
    from app.serving import loaders

    monkeypatch.setenv("ATLAS_MODELS", str(models_file))
    loaders.listed.clear()
    at = open_page("explorer.py")
    at.selectbox("ex_model").set_value("listed:wide").run()
    at.text_area("ex_text").input(TEXT).run()
    assert not at.exception, [e.message for e in at.exception]
    yield at
    monkeypatch.delenv("ATLAS_MODELS")
    open_page("explorer.py")


def spec(at, key: str) -> dict:
    chart = next(c for c in at.get("plotly_chart") if key in c.proto.id)
    return json.loads(chart.proto.spec)


def test_all_heads_is_a_summary_of_every_head_and_one_layer_as_small_maps(explorer):
    at = explorer
    at.session_state["ex_layer"] = 5
    at.session_state["ex_tab"] = "All heads"
    at.run()
    assert not at.exception
    summary = spec(at, "ex_grid")
    assert decode(summary["data"][0]["z"]).shape == (16, 32)
    clickable = summary["data"][-1]
    assert len(clickable["customdata"]) == 16 * 32  # every head one cell, each clickable
    small = spec(at, "ex_layer_grid")
    cells = small["data"][-1]["customdata"]
    assert sorted(tuple(c) for c in cells) == [(5, h) for h in range(32)]
    assert small["layout"]["yaxis"]["ticktext"] == ["H0-7", "H8-15", "H16-23", "H24-31"]
    for measure in ("mean distance (tokens)", "share on special tokens"):
        at.radio("ex_grid_measure").set_value(measure).run()
        assert not at.exception and measure in spec(at, "ex_grid")["layout"]["title"]["text"]


def test_one_token_is_paged_by_layers_and_every_row_is_a_head(explorer):
    at = explorer
    at.session_state["ex_tab"] = "One token"
    at.run()
    assert not at.exception
    per_page = figures.TOKEN_ROWS // 32  # 3 layers of 32 heads: 96 rows of 12 px
    labels = spec(at, "ex_token_focus")["data"][0]["y"]
    assert labels[0] == "L0 H0" and len(labels) == per_page * 32
    at.select_slider("ex_token_layers").set_value(2).run()
    labels = spec(at, "ex_token_focus")["data"][0]["y"]
    assert labels[0] == f"L{2 * per_page} H0" and len(labels) == per_page * 32


def test_head_statistics_list_all_512_heads(explorer):
    at = explorer
    at.session_state["ex_tab"] = "Head statistics"
    at.run()
    assert not at.exception and at.dataframe[0].value.shape[0] == 16 * 32
