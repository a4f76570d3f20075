"""The logit lens: each layer's output read out as the model reads its last one, so the last
layer's row is exactly what the model said; on our transformer, a tiny BERT with a task head
and listed models of every kind."""

import numpy as np
import pytest
import torch

from model.analysis import lens as ln
from model.core import capture as cap
from tests.tiny import tiny_hf, tiny_transformer


def test_the_last_layer_of_our_transformer_says_what_it_said():
    model = tiny_transformer()
    src, tgt = torch.tensor([[5, 6, 7, 8, 2]]), torch.tensor([[1, 9, 10, 11]])
    with torch.inference_mode(), cap.capture(model, activations=True) as rec:
        logits = model(src, tgt)[0]  # (positions, vocab)
    hidden = ln.block_outputs(rec.result, "decoder", model.config.n_layers)
    assert hidden.shape == (2, 4, 32)
    found = ln.lens(hidden, model.generator, str)
    probs = torch.softmax(logits.double(), -1)
    top, index = probs.topk(ln.TOP_K, -1)
    np.testing.assert_array_equal(found.top_ids[-1], index.numpy())
    np.testing.assert_allclose(found.top_probs[-1], top.numpy(), rtol=1e-5)
    assert found.top_names[-1][0][0] == str(int(index[0, 0]))
    # an earlier layer is read out the same way, from its own output
    first = torch.softmax(model.generator(hidden[0]).double(), -1).topk(1, -1).values[:, 0]
    np.testing.assert_allclose(found.top_probs[0, :, 0], first.detach().numpy(), rtol=1e-5)


def test_a_task_head_read_at_every_layer():
    model = tiny_hf("bert", head="BertForTokenClassification", num_labels=5)
    ids = torch.tensor([[2, 17, 31, 44, 3]])
    with torch.inference_mode(), cap.capture(model, activations=True) as rec:
        logits = model(input_ids=ids).logits[0]
    hidden = ln.block_outputs(rec.result, "encoder", 2)
    found = ln.lens(hidden, model.classifier, lambda i: f"label {i}")
    np.testing.assert_array_equal(found.top_ids[-1, :, 0], logits.argmax(-1).numpy())
    reference = model.bert(input_ids=ids, output_hidden_states=True).hidden_states
    for layer in range(2):  # the capture's layer outputs are Hugging Face's hidden states
        torch.testing.assert_close(hidden[layer], reference[layer + 1][0], atol=1e-6, rtol=0)
    start, end = ln.span_lens(hidden, torch.nn.Linear(32, 2))
    assert start.shape == end.shape == (2, 5)
    np.testing.assert_allclose(start.sum(-1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("name", ["tiny-gpt2", "tiny-llama", "tiny-t5", "window-mistral"])
def test_listed_models_last_layer_is_their_output(models_file, name):
    from model.hf import byo
    from model.hf.encoding import encode, model_inputs

    entries = {e.name: e for e in byo.read_models_file(models_file)}
    model, tokenizer, family = byo.load(entries[name])
    found, read = ln.listed_lens(model, tokenizer, family, "the cat sat on the mat", steps=4)
    assert found.layers == 2 and len(read) == found.top_ids.shape[1]
    inputs = model_inputs(model, encode(tokenizer, "the cat sat on the mat", limit=60).inputs)
    with torch.no_grad():
        if family.kind == "seq2seq":
            written = model.generate(**inputs, max_new_tokens=4, do_sample=False, num_beams=1)
            inputs["decoder_input_ids"] = written[:, :-1]
        said = model(**inputs).logits[0].float().argmax(-1)
    np.testing.assert_array_equal(found.top_ids[-1, :, 0], said.numpy())


def test_a_bare_encoder_has_no_lens(models_file):
    from model.core.errors import InputError
    from model.hf import byo

    entries = {e.name: e for e in byo.read_models_file(models_file)}
    model, tokenizer, family = byo.load(entries["tiny-bert"])
    with pytest.raises(InputError, match="no output layer"):
        ln.listed_lens(model, tokenizer, family, "the cat")


def test_the_read_out_is_costed_against_a_forward_pass():
    """GPT-2 small's head (768 x 50,257) over 12 layers x 64 positions, against its 124M
    parameters over 512 tokens: about 0.47 passes; half the positions, half the cost."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    with torch.device("meta"):
        model = GPT2LMHeadModel(GPT2Config())
    passes = ln.readout_passes(model, 64, 512)
    parameters = sum(p.numel() for p in model.parameters())
    assert passes == pytest.approx(12 * 64 * 768 * 50257 / (parameters * 512))
    assert 0.4 < passes < 0.5
    assert ln.readout_passes(model, 32, 512) == pytest.approx(passes / 2)
