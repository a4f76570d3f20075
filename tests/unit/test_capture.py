"""The capture API on a tiny randomly initialised BERT: fast, and the same code path as MiniLM."""

import copy
import threading

import numpy as np
import pytest
import torch

from model.core import capture as cap
from model.core import hooks, instrument
from model.core.masks import to_additive


def batch(lengths, max_len=7):
    ids = torch.randint(5, 64, (len(lengths), max_len))
    mask = torch.zeros(len(lengths), max_len, dtype=torch.long)
    for i, n in enumerate(lengths):
        mask[i, :n] = 1
    return {"input_ids": ids, "attention_mask": mask}


def test_records_every_layer_with_head_shapes(tiny_bert):
    with cap.capture(tiny_bert) as rec:
        tiny_bert(**batch([7]))
    att = rec.result
    assert att.stacks == ("encoder",)
    assert att.n_layers() == 2 and att.n_heads() == 4 and att.n_steps() == 1
    assert att.layer("encoder", 1).shape == (4, 7, 7)
    assert att.stacked().shape == (2, 4, 7, 7)
    assert not att.record("encoder", 0).probs.requires_grad


def test_every_layer_is_read_as_one_tensor_without_a_copy(tiny_bert):
    """The recorder writes each layer into one stacked tensor as the call runs: reading the
    whole stack (the all-heads views at 16 x 32 heads) copies nothing, and its memory is
    counted once."""
    from app.serving.budget_cache import tensor_bytes

    with cap.capture(tiny_bert) as rec:
        out = tiny_bert(**batch([7, 5]), output_attentions=False)
    att = rec.result
    for item in range(2):
        whole = att.stacked("encoder", batch=item)  # (layers, heads, q, k)
        assert whole.data_ptr() == att.layer("encoder", 0, batch=item).data_ptr()
        expected = torch.stack([att.layer("encoder", i, batch=item) for i in range(2)])
        assert torch.equal(whole, expected)
    assert tensor_bytes(att.tensors()) == 2 * 2 * 4 * 7 * 7 * 4  # layers x batch x heads x q x k
    assert out is not None


def test_probs_recompute_from_captured_q_k_and_mask(tiny_bert):
    with cap.capture(tiny_bert, scores=True, qkv=True, masks=True) as rec:
        tiny_bert(**batch([7, 4]))
    for layer in range(2):
        r = rec.result.record("encoder", layer)
        scores = r.q @ r.k.transpose(-1, -2) / r.q.shape[-1] ** 0.5 + to_additive(r.mask)
        torch.testing.assert_close(torch.softmax(scores, -1), r.probs, atol=1e-6, rtol=0)
        torch.testing.assert_close(torch.softmax(r.scores, -1), r.probs, atol=1e-6, rtol=0)
        assert torch.all(r.probs[1, :, :, 4:] == 0)  # padding keys get exactly nothing
        torch.testing.assert_close(r.probs.sum(-1), torch.ones(2, 4, 7))


def test_nothing_recorded_outside_a_capture_and_nothing_left_on_modules(tiny_bert):
    before = {name: set(vars(m)) for name, m in tiny_bert.named_modules()}
    with cap.capture(tiny_bert, scores=True, qkv=True, masks=True, embeddings=True) as rec:
        tiny_bert(**batch([5]))
    tiny_bert(**batch([5]))  # outside: must not add records
    assert len(rec.result.records) == 2
    after = {name: set(vars(m)) for name, m in tiny_bert.named_modules()}
    assert before == after
    assert hooks._HANDLERS.get() == ()


def test_result_is_read_only(tiny_bert):
    with cap.capture(tiny_bert) as rec:
        tiny_bert(**batch([5]))
    att = rec.result
    with pytest.raises(AttributeError):
        att.records = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        att.tokens["source"] = ("x",)  # type: ignore[index]
    with pytest.raises(ValueError):
        att.to_numpy()[0, 0, 0, 0] = 1.0


def test_result_unavailable_while_open(tiny_bert):
    with cap.capture(tiny_bert) as rec, pytest.raises(RuntimeError, match="still open"):
        _ = rec.result


def test_exports_round_trip(tiny_bert):
    import io
    import json

    with cap.capture(tiny_bert) as rec:
        tiny_bert(**batch([4], max_len=4))
    att = rec.result.with_tokens({"source": ["[CLS]", "a", "<b>", "[SEP]"]})
    arrays = np.load(io.BytesIO(att.to_npz()))
    np.testing.assert_array_equal(arrays["encoder"], att.to_numpy())
    assert list(arrays["tokens_source"]) == ["[CLS]", "a", "<b>", "[SEP]"]
    payload = json.loads(att.to_json())
    np.testing.assert_allclose(payload["attention"]["encoder"], att.to_numpy(), atol=1e-6)
    assert payload["tokens"]["source"][2] == "<b>"


def test_token_count_mismatch_is_a_clear_error(tiny_bert):
    with cap.capture(tiny_bert) as rec:
        tiny_bert(**batch([4], max_len=4))
    with pytest.raises(ValueError, match="number of tokens is 3"):
        rec.result.with_tokens({"source": ["a", "b", "c"]})


def test_two_threads_sharing_one_model_get_their_own_numbers(tiny_bert):
    inputs = [batch([7]), batch([3], max_len=3)]
    expected = []
    for x in inputs:
        with cap.capture(tiny_bert) as rec:
            tiny_bert(**x)
        expected.append(rec.result)
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def work(i):
        for _ in range(20):
            barrier.wait()
            with cap.capture(tiny_bert) as rec:
                tiny_bert(**inputs[i])
            got = rec.result
            if results[i] is not None:
                continue
            results[i] = got
            for a, b in zip(got.records, expected[i].records, strict=True):
                assert torch.equal(a.probs, b.probs)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[0].layer("encoder", 0).shape == (4, 7, 7)
    assert results[1].layer("encoder", 0).shape == (4, 3, 3)


def test_unsupported_model_is_a_clear_error():
    with pytest.raises(ValueError, match="no attention module"):
        cap.instrument(torch.nn.Sequential(torch.nn.Linear(2, 2)))


def test_a_deep_copy_of_an_instrumented_model_captures_for_itself(tiny_bert):
    twin = cap.instrument(copy.deepcopy(tiny_bert))
    with cap.capture(twin) as rec:
        twin(**batch([5]))
    assert len(rec.result.records) == 2
    with cap.capture(tiny_bert) as original:
        twin(**batch([5]))
    assert original.result.records == ()  # the copy does not record into the original's capture


# -- the open hook points: recording and ablation are two handlers; a third needs no site change
class Doubler:
    """A handler written here, not in model/: scales one head's output and counts what it hears."""

    def __init__(self, owner, head):
        self.owner, self.head, self.heard = owner, head, []

    def __call__(self, point, site, value, info):
        self.heard.append((point, site.stack, site.layer))
        if point != "heads":
            return None
        value = value.clone()
        value.select(info["head_dim"], self.head).mul_(2.0)
        return value


def test_a_new_handler_hears_every_site_and_can_change_a_heads_output(tiny_bert):
    inputs = batch([6])
    with torch.no_grad():
        plain = tiny_bert(**inputs).last_hidden_state
        handler = Doubler(id(tiny_bert), head=1)
        with instrument.intervene(tiny_bert, handler):
            doubled = tiny_bert(**inputs).last_hidden_state
        again = tiny_bert(**inputs).last_hidden_state
    heard = {(p, s, layer) for p, s, layer in handler.heard}
    assert heard >= {("attention", "encoder", 0), ("heads", "encoder", 1)}
    assert ("embedding", "encoder", -1) in heard
    assert not torch.allclose(doubled, plain)
    torch.testing.assert_close(again, plain)  # nothing stays behind after the block


def test_handlers_compose_and_stay_with_their_own_model(tiny_bert):
    """A capture inside an ablation records the ablated run; a handler of another model
    hears nothing."""
    other = cap.instrument(copy.deepcopy(tiny_bert))
    stranger = Doubler(id(other), head=0)
    inputs = batch([6])
    with (
        torch.no_grad(),
        cap.ablate(tiny_bert, {("encoder", 0): range(4)}),
        instrument.intervene(other, stranger),
        cap.capture(tiny_bert) as rec,
    ):
        ablated = tiny_bert(**inputs).last_hidden_state
    assert stranger.heard == [] and len(rec.result.records) == 2
    with torch.no_grad(), cap.ablate(tiny_bert, {("encoder", 0): range(4)}):
        torch.testing.assert_close(tiny_bert(**inputs).last_hidden_state, ablated)
    with (
        pytest.raises(ValueError, match="another model"),
        instrument.intervene(tiny_bert, stranger),
    ):
        pass
