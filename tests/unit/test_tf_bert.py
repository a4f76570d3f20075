"""The TensorFlow BERT against the PyTorch one it was converted from, on a tiny random
model: every layer's output, every head's attention and the span logits agree, padding
included; a missing weight is refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from model.tf.convert import from_torch
from tests.tiny import tiny_hf


@pytest.fixture(scope="module")
def pair():
    torch_model = tiny_hf("bert", vocab_size=120, head="BertForQuestionAnswering", seed=3)
    return torch_model, from_torch(torch_model)


def test_every_layer_head_and_logit_agrees_padding_included(pair):
    torch_model, tf_model = pair
    rng = np.random.default_rng(0)
    ids = rng.integers(5, 120, size=(2, 11))
    mask = np.ones_like(ids)
    mask[1, 7:] = 0  # the second row is padded
    types = np.zeros_like(ids)
    types[:, 5:] = 1
    with torch.inference_mode():
        out = torch_model(
            input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask),
            token_type_ids=torch.tensor(types), output_attentions=True, output_hidden_states=True,
        )  # fmt: skip
    start, end, attentions, hidden = tf_model(ids, mask, types)
    assert len(hidden) == len(out.hidden_states) == 3  # embeddings and two layers
    for ours, theirs in zip(hidden, out.hidden_states, strict=True):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-5)
    for ours, theirs in zip(attentions, out.attentions, strict=True):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-6)
        assert not ours.numpy()[1, :, :, 7:].any()  # padding gets exactly 0
    np.testing.assert_allclose(start.numpy(), out.start_logits.numpy(), atol=1e-5)
    np.testing.assert_allclose(end.numpy(), out.end_logits.numpy(), atol=1e-5)


def test_a_model_with_other_weights_is_refused():
    torch_model = tiny_hf("bert", vocab_size=120, head="BertForQuestionAnswering", seed=3)
    state = torch_model.state_dict()

    class Pruned:
        config = torch_model.config

        def state_dict(self):
            return {k: v for k, v in state.items() if "qa_outputs" not in k}

    with pytest.raises(ValueError, match=r"no weight 'qa_outputs\.weight'"):
        from_torch(Pruned())
