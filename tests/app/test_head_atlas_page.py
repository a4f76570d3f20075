"""The Head atlas page: its map shows the shipped atlas's numbers, the menu and the head
list follow the behaviour, an example opens the explorer on its sentence and head, and the
syntax table, search, query-key view and sinks draw; a listed model's atlas is computed on
demand, once at a time per server."""

from __future__ import annotations

import numpy as np
import pytest

from app.views import atlas_views
from model.analysis.head_atlas import Atlas
from tests.app.helpers import chart_spec, decode, heatmap_z, open_page

PAGE = "head_atlas.py"


def open_tab(at, name):
    at.session_state["ha_tab"] = name
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.fixture(scope="module")
def shipped() -> dict[str, Atlas]:
    return {model: Atlas.load(path) for model, path in atlas_views.shipped().items()}


def test_the_map_shows_the_shipped_atlas_and_heads_sort_by_behaviour(shipped):
    at = open_page(PAGE)
    assert at.selectbox("ha_model").value == "minilm"
    atlas = shipped["minilm"].stacks["encoder"]
    np.testing.assert_array_equal(heatmap_z(at, "ha_map"), atlas.behaviours["previous token"])
    at.selectbox("ha_behaviour").set_value("to [SEP]").run()
    np.testing.assert_array_equal(heatmap_z(at, "ha_map"), atlas.behaviours["to [SEP]"])
    ranked = atlas.ranked("to [SEP]")
    assert (
        at.selectbox("ha_head").options[0].startswith(f"layer {ranked[0][0]}, head {ranked[0][1]}:")
    )
    assert at.selectbox("ha_head").value == ranked[0][:2]
    assert at.dataframe[0].value.shape == (72, 3)
    assert at.query_params["behaviour"] == "to [SEP]"  # a link reopens the view
    syntax = "syntax: det, dependent -> head"
    at.selectbox("ha_behaviour").set_value(syntax).run()
    np.testing.assert_array_equal(heatmap_z(at, "ha_map"), atlas.relations["det"][0])
    # each cell carries its (layer, head), which a click reads back
    cells = decode(chart_spec(at, "ha_map")["data"][0]["customdata"])
    assert cells.shape == (6, 12, 2) and cells[2, 7].tolist() == [2, 7]


def test_an_example_opens_the_explorer_on_its_sentence_and_head(shipped):
    at = open_page(PAGE)
    at.selectbox("ha_head").set_value((3, 5)).run()
    example = shipped["minilm"].stacks["encoder"].examples.of(3, 5)[0]
    sentence = shipped["minilm"].sentences[example.sentence]
    assert sentence in at.markdown[0].value.replace("\\", "")
    at.button("ha_open_0").click().run()
    assert not at.exception, [e.message for e in at.exception]
    state = at.session_state
    assert (state["ex_model"], state["ex_text"], state["ex_stack"]) == (
        "minilm",
        sentence,
        "encoder",
    )
    assert (state["ex_layer"], state["ex_head"]) == (3, 5)
    assert at.text_area("ex_text").value == sentence  # the explorer is the page now


def test_syntax_beside_clark_et_al_search_and_sinks():
    at = open_page(PAGE)
    open_tab(at, "Syntax")
    table = at.dataframe[0].value
    assert {"relation", "best head", "accuracy", "BERT-base head", "BERT-base accuracy"} <= set(
        table.columns
    )
    det = table[table["relation"] == "det"].iloc[0]
    assert det["BERT-base head"] == "8-11 dep → head" and det["BERT-base accuracy"] == 94.3
    compound = table[table["relation"] == "compound"].iloc[0]
    assert compound["BERT-base head"] == "4-10 dep → head (nn)"
    assert any("What Does BERT Look At?" in c.value for c in at.caption)
    open_tab(at, "Search")
    found = at.dataframe[0].value
    assert list(found.columns) == ["layer", "head", "attention"] and len(found) == 12
    assert found["attention"].is_monotonic_decreasing
    at.text_input("ha_q").input("zyzzyva").run()
    assert any("No sentence of the corpus holds both words" in i.value for i in at.info)
    at.text_input("ha_q").input("   ").run()
    assert not at.exception  # a hint, never a traceback
    assert any("Type a query word and a key word" in i.value for i in at.info)
    for typed in ("<script>alert(1)</script>", "😀", "שלום", "word " * 10_000):
        at.text_input("ha_q").input(typed[:40]).run()
        assert not at.exception, typed
    open_tab(at, "Sinks across lengths")
    spec = chart_spec(at, "ha_sinks")
    assert len(spec["data"]) == 7  # six heads and the mean of all
    assert [int(x) for x in spec["data"][0]["x"]][:3] == [8, 16, 32]


def test_the_query_key_view_lays_out_queries_and_keys():
    at = open_page(PAGE)
    open_tab(at, "Query-key view")
    assert not at.get("plotly_chart")  # nothing is computed before it is asked for
    at.select_slider("ha_points").set_value(500).run()
    at.toggle("ha_qk_on").set_value(True).run()
    assert not at.exception, [e.message for e in at.exception]
    spec = chart_spec(at, "ha_qk")
    assert all(trace["type"] == "scattergl" for trace in spec["data"])
    assert {trace["name"] for trace in spec["data"]} == {"query", "key"}
    assert sum(len(decode(trace["x"])) for trace in spec["data"]) == 500
    at.radio("ha_colour").set_value("pos").run()
    names = {trace["name"] for trace in chart_spec(at, "ha_qk")["data"]}
    assert {"NOUN", "special"} <= names


def test_the_translator_s_three_stacks():
    at = open_page(PAGE)
    at.selectbox("ha_model").set_value("translator").run()
    assert at.radio("ha_stack").options == ["encoder", "decoder", "cross"]
    assert any(o.startswith("syntax: ") for o in at.selectbox("ha_behaviour").options)
    at.radio("ha_stack").set_value("cross").run()
    options = at.selectbox("ha_behaviour").options
    assert "previous token" not in options and not any(o.startswith("syntax") for o in options)
    assert heatmap_z(at, "ha_map").shape == (3, 4)
    open_tab(at, "Sinks across lengths")
    assert any("Sinks across lengths are measured" in i.value for i in at.info)


def test_a_listed_model_s_atlas_is_computed_on_demand_once_at_a_time(
    models_file, monkeypatch, tmp_path
):
    from app.serving import loaders

    monkeypatch.setenv("ATLAS_MODELS", str(models_file))
    monkeypatch.setenv(atlas_views.CACHE_DIR_ENV, str(tmp_path))
    loaders.listed.clear()
    at = open_page(PAGE)
    at.selectbox("ha_model").set_value("listed:tiny-gpt2").run()
    at.select_slider("ha_limit").set_value(50).run()
    assert any("Listed models have no shipped atlas" in i.value for i in at.info)
    assert not at.get("plotly_chart")
    atlas_views._building.acquire()  # another visitor's atlas is being computed
    try:
        at.button("ha_compute").click().run()
        assert any("Another head atlas is being computed" in w.value for w in at.warning)
    finally:
        atlas_views._building.release()
    at.button("ha_compute").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.radio("ha_stack").options == ["decoder"]
    (cached,) = tmp_path.glob("*.npz")
    atlas = Atlas.load(cached)
    assert len(atlas.sentences) == 50
    np.testing.assert_array_equal(
        heatmap_z(at, "ha_map"), atlas.stacks["decoder"].behaviours["previous token"]
    )
    at.run()  # from the disk cache now: no button to press
    assert not at.exception and heatmap_z(at, "ha_map").shape == (2, 4)
    monkeypatch.delenv("ATLAS_MODELS")
    open_page(PAGE)


def test_a_long_atlas_of_a_listed_model_runs_as_a_job(models_file, monkeypatch, tmp_path):
    """Counted long (ATLAS_JOB_AFTER_S=0): the page says what it will cost; Compute starts a
    job, whose progress the page shows while the visitor waits; then the atlas is drawn."""
    from app.serving import jobs, loaders

    monkeypatch.setenv("ATLAS_MODELS", str(models_file))
    monkeypatch.setenv(atlas_views.CACHE_DIR_ENV, str(tmp_path))
    monkeypatch.setenv(jobs.AFTER_ENV, "0")
    loaders.listed.clear()
    at = open_page(PAGE)
    at.selectbox("ha_model").set_value("listed:tiny-llama").run()
    at.select_slider("ha_limit").set_value(50).run()
    assert any("runs as a job" in i.value and "about" in i.value for i in at.info)
    at.button("ha_compute").click().run()
    assert not at.exception, [e.message for e in at.exception]
    key = atlas_views.job_key("listed:tiny-llama", at.selectbox("ha_corpus").value, 50)
    assert jobs.known(key)
    done = jobs.wait(key, timeout=120)
    assert done is not None and done.state == "done", done and done.error
    assert done.progress.done >= 50  # every sentence went through the model, counted
    at.run()
    assert not at.exception and at.radio("ha_stack").options == ["decoder"]
    assert len(list(tmp_path.glob("*.npz"))) == 1
    monkeypatch.delenv("ATLAS_MODELS")
    open_page(PAGE)
