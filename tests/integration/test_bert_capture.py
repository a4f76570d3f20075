"""Capture on the real packaged MiniLM: parity with Hugging Face and recomputation."""

import pytest
import torch

from model.core.capture import capture
from model.core.errors import InputError
from model.core.masks import to_additive
from model.hf.encoding import encode, run_with_capture

PAIR = ["The cat sat on the mat.", "Attention is all you need, said the eight authors."]


def test_parity_with_hugging_face_output_attentions(minilm, minilm_reference):
    model, tokenizer = minilm
    inputs = tokenizer(PAIR, return_tensors="pt", padding=True)
    with torch.inference_mode():
        reference = minilm_reference(**inputs, output_attentions=True).attentions
        with capture(model) as rec:
            outputs = model(**inputs)
        expected_hidden = minilm_reference(**inputs).last_hidden_state
    assert len(reference) == rec.result.n_layers() == 6
    for layer, ref in enumerate(reference):
        torch.testing.assert_close(rec.result.record("encoder", layer).probs, ref)
    torch.testing.assert_close(outputs.last_hidden_state, expected_hidden)


def test_probs_recompute_from_q_k_and_padding_mask(minilm):
    model, tokenizer = minilm
    inputs = tokenizer(PAIR, return_tensors="pt", padding=True)
    short = int(inputs["attention_mask"][0].sum())
    with torch.inference_mode(), capture(model, scores=True, qkv=True, masks=True) as rec:
        model(**inputs)
    for layer in range(6):
        r = rec.result.record("encoder", layer)
        assert r.q.shape == (2, 12, inputs["input_ids"].shape[1], 32)
        scores = r.q @ r.k.transpose(-1, -2) / 32**0.5 + to_additive(r.mask)
        torch.testing.assert_close(torch.softmax(scores, -1), r.probs, atol=1e-6, rtol=0)
        torch.testing.assert_close(r.probs.sum(-1), torch.ones_like(r.probs[..., 0]))
        assert torch.all(r.probs[0, :, :, short:] == 0)  # padding columns exactly zero


def test_embedding_components_add_up(minilm):
    model, tokenizer = minilm
    encoded = encode(tokenizer, "Where is the cat?", "The cat is in the garden.")
    att, _ = run_with_capture(model, encoded, embeddings=True)
    parts = att.embeddings
    assert set(parts) == {"token", "position", "segment"}
    emb = model.embeddings
    summed = parts["token"] + parts["position"] + parts["segment"]  # (1, seq, 384)
    with torch.inference_mode():
        expected = emb(**{k: v for k, v in encoded.inputs.items() if k != "attention_mask"})
    torch.testing.assert_close(emb.LayerNorm(summed), expected)
    assert 1 in encoded.segments and encoded.segments[0] == 0


def test_tokens_attached_and_special_tokens_marked(minilm):
    model, tokenizer = minilm
    att, _ = run_with_capture(model, encode(tokenizer, "Hello world"))
    assert att.tokens["source"] == ("[CLS]", "hello", "world", "[SEP]")
    assert att.special["source"] == (True, False, False, True)


def test_long_text_is_truncated_with_an_exact_count(minilm):
    _, tokenizer = minilm
    encoded = encode(tokenizer, "word " * 10_000, limit=512)
    assert len(encoded) == 512
    assert encoded.dropped == 10_000 + 2 - 512


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_is_refused_before_the_model(minilm, text):
    _, tokenizer = minilm
    with pytest.raises(InputError, match="empty"):
        encode(tokenizer, text)


@pytest.mark.parametrize("text", ["I ❤️ transformers 🤖", "שלום עולם", "مرحبا بالعالم"])
def test_emoji_and_right_to_left_text_run(minilm, text):
    model, tokenizer = minilm
    att, _ = run_with_capture(model, encode(tokenizer, text))
    assert att.layer("encoder", 0).shape[-1] == len(att.tokens["source"])


def test_ablation_on_minilm(minilm):
    from model.core.capture import ablate

    model, tokenizer = minilm
    encoded = encode(tokenizer, "Heads can be switched off one at a time.")
    with torch.inference_mode():
        base = model(**encoded.inputs).last_hidden_state
        with ablate(model, {}):
            same = model(**encoded.inputs).last_hidden_state
        with ablate(model, {("encoder", 3): range(12)}):
            changed = model(**encoded.inputs).last_hidden_state
    assert torch.equal(base, same)
    assert not torch.allclose(base, changed)
