"""The BERT attention page: renders, reacts to text, layer and head, shows the model's numbers."""

import numpy as np
import pytest

from tests.app.helpers import chart_spec, heatmap_z, open_page, reference_attention, switch_on

PAGE = "bert_attention.py"
EXAMPLE = "The animal didn't cross the street because it was too tired."  # pages/home.py


def test_home_lists_every_page():
    at = open_page()
    assert at.title[0].value == "Attention Atlas"
    assert any("BERT attention" in c.value for c in at.caption) or at.get("page_link")


def test_home_previews_the_sharpest_head_with_the_models_numbers(minilm, minilm_reference):
    """Home's preview: MiniLM's lowest-entropy head on the example, recomputed here with
    Hugging Face's own attention (it also loads the browser's chart library while home is
    read, so the first model view is drawn at once: bench/first_view.py)."""
    _, tokenizer = minilm
    at = open_page()
    expected = reference_attention(minilm_reference, tokenizer, EXAMPLE)  # (layers, heads, q, k)
    p = expected.astype(np.float64)
    entropy = -(np.where(p > 0, p * np.log2(np.where(p > 0, p, 1)), 0)).sum(-1).mean(-1)
    layer, head = np.unravel_index(entropy.argmin(), entropy.shape)
    np.testing.assert_allclose(heatmap_z(at, "home_preview"), expected[layer, head], atol=1e-6)
    title = chart_spec(at, "home_preview")["layout"]["title"]["text"]
    assert f"layer {layer}, head {head}" in title


def test_default_view_shows_the_models_attention(minilm, minilm_reference):
    _, tokenizer = minilm
    at = open_page(PAGE)
    assert at.title[0].value == "BERT attention"
    expected = reference_attention(minilm_reference, tokenizer, at.text_area("bert_text").value)
    np.testing.assert_allclose(heatmap_z(at, "bert_head_heatmap"), expected[0, 0], atol=1e-6)
    np.testing.assert_allclose(heatmap_z(at, "bert_mean_heatmap"), expected[0].mean(0), atol=1e-6)


def test_changing_text_layer_and_head_updates_the_heatmap(minilm, minilm_reference):
    _, tokenizer = minilm
    at = open_page(PAGE)
    before = heatmap_z(at, "bert_head_heatmap")
    text = "Paris is the capital of France."
    at.text_area("bert_text").input(text).run()
    at.selectbox("bert_layer").select(4).run()
    at.selectbox("bert_head").select(7).run()
    assert not at.exception
    expected = reference_attention(minilm_reference, tokenizer, text)
    z = heatmap_z(at, "bert_head_heatmap")
    assert z.shape != before.shape or not np.allclose(z, before)
    np.testing.assert_allclose(z, expected[4, 7], atol=1e-6)
    np.testing.assert_allclose(heatmap_z(at, "bert_mean_heatmap"), expected[4].mean(0), atol=1e-6)


@pytest.mark.parametrize("text", ["", "   \n  "])
def test_empty_text_gives_a_hint_and_no_chart(text):
    at = open_page(PAGE)
    at.text_area("bert_text").input(text).run()
    assert not at.exception
    assert any("empty" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 0


def test_long_text_is_truncated_with_a_notice():
    at = open_page(PAGE)
    at.text_area("bert_text").input("word " * 10_000).run()
    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "9490 tokens were dropped" in warning
    assert heatmap_z(at, "bert_head_heatmap").shape == (512, 512)


@pytest.mark.parametrize(
    "text", ["<script>alert(1)</script> hi", "I ❤️ attention 🤖", "שלום עולם, مرحبا"]
)
def test_markup_emoji_and_right_to_left_text_render(text):
    at = open_page(PAGE)
    at.text_area("bert_text").input(text).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2


def test_lecture_mode_reaches_the_charts():
    from tests.app.helpers import chart_spec

    at = open_page(PAGE)
    assert chart_spec(at, "bert_head_heatmap")["layout"].get("font", {}).get("size") is None
    at.toggle("lecture_mode").set_value(True).run()
    assert not at.exception
    spec = chart_spec(at, "bert_head_heatmap")
    assert spec["layout"]["font"]["size"] == 20
    assert spec["data"][0]["colorscale"][0][1] in ("rgb(255,255,255)", "#ffffff")


def test_charts_as_tables_shows_each_charts_numbers(minilm, minilm_reference):
    """The sidebar's "Charts as tables": under each chart, its numbers (the model's own, as
    Hugging Face computes them), row by row under the tokens; off, no table."""
    _, tokenizer = minilm
    at = open_page(PAGE)
    text = "Paris is the capital of France."
    at.text_area("bert_text").input(text).run()
    at.selectbox("bert_layer").select(4).run()
    at.selectbox("bert_head").select(7).run()
    assert not at.table
    switch_on(at, "chart_tables")
    expected = reference_attention(minilm_reference, tokenizer, text)
    tokens = tokenizer.convert_ids_to_tokens(tokenizer(text)["input_ids"])
    assert len(at.table) == len(at.get("plotly_chart")) == 2
    head, mean = (table.value for table in at.table)
    np.testing.assert_allclose(head.to_numpy(dtype=float), expected[4, 7], atol=1e-6)
    np.testing.assert_allclose(mean.to_numpy(dtype=float), expected[4].mean(0), atol=1e-6)
    assert [label.split(" ", 1)[1] for label in head.index] == tokens
    assert list(head.columns) == list(head.index)
    assert any("head 7" in c.value for c in at.caption)
    at.toggle("chart_tables").set_value(False).run()
    assert not at.table
