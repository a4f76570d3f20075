import math

import numpy as np
import pytest
import torch

from model.analysis.teaching import (
    attention_steps,
    head_outputs,
    masked_vote,
    masking_steps,
    output_projection,
    skip_features,
    soft_lookup,
)
from model.core import capture as cap


def test_soft_lookup_is_a_softmax_weighted_mix():
    keys = np.array([[1.0, 0.0], [0.0, 1.0]])
    values = np.array([[10.0], [20.0]])
    result = soft_lookup(np.array([2.0, 0.0]), keys, values)
    expected = np.exp([2 / math.sqrt(2), 0]) / np.exp([2 / math.sqrt(2), 0]).sum()
    np.testing.assert_allclose(result["weights"], expected)
    assert result["output"][0] == pytest.approx(expected @ [10, 20])
    sharp = soft_lookup(np.array([50.0, 0.0]), keys, values, scale=False)
    assert sharp["output"][0] == pytest.approx(10.0)  # a hard lookup in the limit
    with pytest.raises(ValueError, match="keys must be"):
        soft_lookup(np.ones(3), keys, values)


def test_masking_the_uninformative_features_makes_the_vote_decisive():
    features = skip_features()
    assert features["program"] == {"please": 1.0} and features["battery"] == {"down": 1.0}
    assert features["check"] == {"please": 0.5, "down": 0.5}
    everything = masked_vote(features, set(features))
    assert abs(everything["please"] - everything["down"]) <= 1.0
    assert masked_vote(features, {"program"}) == {"please": 1.0}


@pytest.fixture(scope="module")
def tiny(tiny_bert):
    model = tiny_bert
    inputs = {"input_ids": torch.tensor([[2, 7, 9, 11, 3, 0]]),
              "attention_mask": torch.tensor([[1, 1, 1, 1, 1, 0]])}  # fmt: skip
    with torch.no_grad(), cap.capture(model, qkv=True, masks=True) as rec:
        model(**inputs)
    return model, inputs, rec.result


def test_attention_steps_reproduce_the_captured_weights(tiny):
    _, _, att = tiny
    record = att.record("encoder", 1)
    steps = attention_steps(record, head=2, token=3)
    expected = torch.softmax(torch.tensor(steps.masked), -1).numpy()
    np.testing.assert_allclose(expected, steps.weights, atol=1e-6)
    assert not steps.allowed[5] and steps.weights[5] == 0
    np.testing.assert_allclose(steps.scaled, steps.dot / math.sqrt(steps.d_k), rtol=1e-6)
    np.testing.assert_allclose(steps.output, head_outputs(record, 3)[2].numpy(), atol=1e-6)


def test_masking_steps_before_after_softmax(tiny):
    _, _, att = tiny
    before, after, probs = masking_steps(att.record("encoder", 0), head=1)
    assert np.isinf(after[:, 5]).all() and not np.isinf(before).any()
    np.testing.assert_allclose(torch.softmax(torch.tensor(after), -1).numpy(), probs, atol=1e-6)


def test_concatenated_heads_through_w_o_equal_the_models_attention_output(tiny):
    model, inputs, att = tiny
    seen = {}
    dense = output_projection(model, "encoder", 1)
    handle = dense.register_forward_hook(lambda m, a, out: seen.setdefault("out", out))
    with torch.no_grad():
        model(**inputs)
        handle.remove()
        ours = dense(head_outputs(att.record("encoder", 1), token=3).reshape(-1))
    torch.testing.assert_close(ours, seen["out"][0, 3], atol=1e-5, rtol=1e-5)
