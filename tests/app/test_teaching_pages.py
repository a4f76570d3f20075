"""Positional encodings, masks and step-by-step pages: each renders, reacts, and shows the
model's own numbers."""

import numpy as np
import torch

from model.transformer.positional import sinusoidal_encoding
from tests.app.helpers import chart_spec, decode, heatmap_z, open_page


def test_positional_encoding_heatmap_is_the_formula_and_follows_the_sliders():
    at = open_page("positional.py")
    np.testing.assert_allclose(heatmap_z(at, "pe_heatmap"), sinusoidal_encoding(64, 128),
                               atol=1e-6)  # fmt: skip
    at.slider("pe_d_model").set_value(32).run()
    at.slider("pe_length").set_value(10).run()
    assert heatmap_z(at, "pe_heatmap").shape == (10, 32)
    curves = chart_spec(at, "pe_curves")["data"]
    assert curves and all(len(decode(c["y"])) == 10 for c in curves)


def test_bert_input_decomposition_uses_the_models_embeddings(minilm):
    model, tokenizer = minilm
    at = open_page("positional.py")
    inputs = tokenizer("Where is the cat?", "The cat is in the garden.", return_tensors="pt")
    with torch.inference_mode():
        token = model.embeddings.word_embeddings(inputs["input_ids"])[0].numpy()
        segment = model.embeddings.token_type_embeddings(inputs["token_type_ids"])[0].numpy()
    np.testing.assert_allclose(heatmap_z(at, "pe_part_token"), token, atol=1e-6)
    np.testing.assert_allclose(heatmap_z(at, "pe_part_segment"), segment, atol=1e-6)
    learned = model.embeddings.position_embeddings.weight[:64].detach().numpy()
    np.testing.assert_allclose(heatmap_z(at, "pe_bert_table"), learned, atol=1e-6)


def test_masks_page_shows_the_batch_masks_and_zero_weights():
    at = open_page("masks.py")
    padding = heatmap_z(at, "mask_padding")  # (2 sentences, source length)
    assert padding.shape[0] == 2 and padding[0].sum() < padding[1].sum()  # the short one pads
    look_ahead = heatmap_z(at, "mask_decoder")
    assert np.all(np.triu(look_ahead, 1) == 0)
    for stack in ("encoder", "decoder", "cross"):
        at.radio("mask_stack").set_value(stack).run()
        after = heatmap_z(at, "mask_after")
        probs = heatmap_z(at, "mask_softmax")
        masked = np.isnan(after)
        assert np.all(probs[masked] == 0)
        expected = torch.softmax(torch.tensor(np.where(masked, -np.inf, after)), -1).numpy()
        np.testing.assert_allclose(expected, probs, atol=1e-5)


def test_markov_panel_crossing_out_changes_the_vote():
    at = open_page("masks.py")
    before = chart_spec(at, "mask_votes")["data"][0]
    assert set(before["x"]) == {"please", "down"}
    assert not at.exception


def test_masks_page_asks_for_two_sentences():
    at = open_page("masks.py")
    at.text_input("mask_first").input("   ").run()
    assert not at.exception and any("two sentences" in i.value or "empty" in i.value
                                    for i in at.info)  # fmt: skip


def test_step_by_step_numbers_match_hugging_face(minilm, minilm_reference):
    model, tokenizer = minilm
    at = open_page("step_by_step.py")
    at.selectbox("steps_layer").select(3).run()
    at.selectbox("steps_head").select(4).run()
    at.selectbox("steps_token").select(1).run()
    inputs = tokenizer(at.text_area("steps_text").value, return_tensors="pt")
    seen = {}
    dense = model.encoder.layer[3].attention.output.dense
    handle = dense.register_forward_hook(lambda m, a, out: seen.setdefault("out", out))
    with torch.inference_mode():
        expected = minilm_reference(**inputs, output_attentions=True).attentions[3][0, 4, 1]
        model(**inputs)
    handle.remove()
    table = at.dataframe[0].value
    np.testing.assert_allclose(table["softmax"].to_numpy(), expected.numpy(), atol=1e-4)
    bars = decode(chart_spec(at, "steps_weights")["data"][0]["y"])
    np.testing.assert_allclose(bars, expected.numpy(), atol=1e-6)
    projected = heatmap_z(at, "steps_projected")[0]
    np.testing.assert_allclose(projected, seen["out"][0, 1].numpy(), atol=1e-5)


def test_soft_lookup_panel_reacts():
    at = open_page("step_by_step.py")
    before = decode(chart_spec(at, "steps_lookup_weights")["data"][0]["y"])
    at.slider("steps_q1").set_value(-3.0).run()
    after = decode(chart_spec(at, "steps_lookup_weights")["data"][0]["y"])
    assert not np.allclose(before, after) and np.isclose(after.sum(), 1.0)
