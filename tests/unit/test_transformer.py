"""The from-scratch transformer: maths, masks, capture on every stack, decoding, learning."""

import math

import pytest
import torch

from model.core import capture as cap
from model.core.masks import to_additive
from model.training.toy import ToySetup, train_toy
from model.transformer.attention import scaled_dot_product_attention
from model.transformer.config import TransformerConfig
from model.transformer.decoding import beam_search, forced_decode_steps, greedy_decode
from model.transformer.positional import PositionalEncoding, sinusoidal_encoding
from tests.tiny import tiny_transformer

PAD, BOS, EOS = 0, 1, 2


@pytest.fixture(scope="module")
def model():
    return tiny_transformer()


def padded_sources():
    return torch.tensor([[5, 6, 7, 8, 9], [5, 6, 7, PAD, PAD]])  # (2, 5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"d_model": 30, "n_heads": 4}, "divisible by n_heads"),
        ({"d_model": 0}, "d_model must be a positive integer"),
        ({"dropout": 1.0}, "dropout"),
        ({"max_len": 1}, "max_len"),
        ({"d_model": 9, "n_heads": 3}, "even d_model"),
    ],
)
def test_config_rejects_bad_values_clearly(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TransformerConfig(src_vocab_size=10, tgt_vocab_size=10, **kwargs)


def test_sinusoidal_encoding_equals_the_closed_formula():
    d_model, length = 16, 12
    pe = sinusoidal_encoding(length, d_model)
    for pos in range(length):
        for i in range(d_model // 2):
            angle = pos / 10000 ** (2 * i / d_model)
            assert pe[pos, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-6)
            assert pe[pos, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-6)


def test_positions_are_a_fixed_table_and_offsets_work():
    fixed = PositionalEncoding(8, max_len=10)
    assert not list(fixed.parameters())  # nothing to learn, nothing saved
    torch.testing.assert_close(fixed(3, offset=2)[0], sinusoidal_encoding(10, 8)[2:5])
    with pytest.raises(ValueError, match="max_len is 10"):
        fixed(5, offset=6)


def test_our_attention_equals_torch_sdpa():
    torch.manual_seed(1)
    q, k, v = torch.randn(2, 3, 5, 8), torch.randn(2, 3, 7, 8), torch.randn(2, 3, 7, 8)
    allowed = torch.rand(2, 1, 5, 7) > 0.3
    allowed[..., 0] = True  # every query keeps one key
    ours, probs = scaled_dot_product_attention(q, k, v, allowed)
    expected = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
    torch.testing.assert_close(ours, expected, atol=1e-6, rtol=1e-5)
    assert torch.all(probs[~allowed.expand_as(probs)] == 0)


def test_embeddings_scaled_and_components_captured(model):
    src = padded_sources()
    with cap.capture(model, embeddings=True) as rec:
        model.encode(src)
    parts = rec.result.embeddings
    raw = model.src_embed.table(src)  # (2, 5, 32)
    torch.testing.assert_close(parts["encoder.token"], raw * math.sqrt(32))
    torch.testing.assert_close(parts["encoder.position"][0], sinusoidal_encoding(16, 32)[:5])


def test_every_stack_recomputes_from_captured_q_k_and_mask(model):
    src, tgt = padded_sources(), torch.tensor([[BOS, 5, 6, 7], [BOS, 8, PAD, PAD]])
    with torch.no_grad(), cap.capture(model, scores=True, qkv=True, masks=True) as rec:
        model(src, tgt)
    att = rec.result
    assert att.stacks == ("encoder", "decoder", "cross")
    for stack in att.stacks:
        for layer in range(2):
            r = att.record(stack, layer)
            expected = torch.softmax(
                r.q @ r.k.transpose(-1, -2) / math.sqrt(r.q.shape[-1]) + to_additive(r.mask), -1
            )
            torch.testing.assert_close(expected, r.probs, atol=1e-6, rtol=0)
            torch.testing.assert_close(r.probs.sum(-1), torch.ones_like(r.probs[..., 0]))
    decoder = att.record("decoder", 0).probs  # (2, heads, 4, 4)
    upper = torch.ones(4, 4, dtype=torch.bool).triu(1)
    assert torch.all(decoder[..., upper] == 0)  # look-ahead: no future position gets weight
    assert torch.all(att.record("encoder", 1).probs[1, :, :, 3:] == 0)  # source padding
    assert torch.all(att.record("cross", 1).probs[1, :, :, 3:] == 0)
    assert torch.all(decoder[1, :, 1:, 2:] == 0)  # target padding keys


def test_cached_greedy_decoding_equals_full_recomputation(model):
    src = torch.tensor([[5, 6, 7, 8]])
    with cap.capture(model) as rec:
        hyp = greedy_decode(model, src, BOS, EOS, max_new=6)
    # Without the cache, the same prefix gives the same choices.
    prefix = torch.tensor([[BOS, *hyp.ids[:-1]]])
    with torch.no_grad():
        logits = model(src, prefix)  # (1, steps, vocab)
        with cap.capture(model) as full:
            model(src, prefix)
    assert tuple(logits[0].argmax(-1).tolist()) == hyp.ids
    steps = rec.result
    assert steps.n_steps("decoder") == len(hyp.ids) and steps.n_steps("encoder") == 1
    assert steps.layer("decoder", 0, step=2).shape == (4, 1, 3)  # one query, three keys
    for stack in ("decoder", "cross"):
        torch.testing.assert_close(
            steps.assembled(stack), full.result.stacked(stack), atol=1e-5, rtol=1e-4
        )


def test_decoding_stops_at_the_length_limit(model):
    hyp = greedy_decode(model, torch.tensor([[5, 6]]), BOS, eos=999, max_new=5)
    assert len(hyp.ids) == 5 and not hyp.finished
    beam = beam_search(model, torch.tensor([[5, 6]]), BOS, eos=999, beam_size=3, max_new=5)
    assert len(beam.ids) == 5


def test_beam_of_one_is_greedy_and_forced_steps_capture_the_same(model):
    src = torch.tensor([[9, 8, 7, 6, 5]])
    greedy = greedy_decode(model, src, BOS, EOS, max_new=8)
    assert beam_search(model, src, BOS, EOS, beam_size=1, max_new=8).ids == greedy.ids
    assert len(beam_search(model, src, BOS, EOS, beam_size=4, max_new=8).ids) <= 8
    with cap.capture(model) as during:
        greedy_decode(model, src, BOS, EOS, max_new=8)
    with cap.capture(model) as forced:
        forced_decode_steps(model, src, BOS, greedy.ids)
    for a, b in zip(during.result.records, forced.result.records, strict=True):
        torch.testing.assert_close(a.probs, b.probs)


def test_ablation_none_changes_nothing_and_a_whole_layer_changes_the_output(model):
    src, tgt = padded_sources(), torch.tensor([[BOS, 5, 6], [BOS, 8, 9]])
    with torch.no_grad():
        base = model(src, tgt)
        with cap.ablate(model, {}):
            same = model(src, tgt)
        for stack in ("encoder", "decoder", "cross"):
            for mode in ("zero", "mean"):
                with cap.ablate(model, {(stack, 1): range(4)}, mode=mode):
                    changed = model(src, tgt)
                assert not torch.allclose(base, changed), (stack, mode)
        after = model(src, tgt)
    assert torch.equal(base, same) and torch.equal(base, after)


def test_zeroed_head_contributes_nothing(model):
    src = padded_sources()
    with torch.no_grad():
        heads = {}

        def grab(module, args, output):
            heads["concat_in"] = args[0]

        handle = model.encoder_layers[0].self_attn.w_o.register_forward_hook(grab)
        with cap.ablate(model, {("encoder", 0): [2]}):
            model.encode(src)
        handle.remove()
    d_head = 8
    assert torch.all(heads["concat_in"][..., 2 * d_head : 3 * d_head] == 0)
    assert not torch.all(heads["concat_in"][..., :d_head] == 0)


def test_bad_ablation_mode_is_a_clear_error(model):
    with pytest.raises(ValueError, match="'zero' or 'mean'"), cap.ablate(model, {}, mode="half"):
        pass


def test_the_model_learns_to_reverse():
    _, losses = train_toy(ToySetup(task="reverse"), steps=200)
    first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
    assert last < 0.5 * first, (first, last)


def test_probe_shows_the_cross_attention_of_a_fixed_example():
    from model.training.toy import ToySetup, probe_attention

    setup = ToySetup(task="copy")
    model, _ = train_toy(setup, steps=5)
    att = probe_attention(model, setup)
    target, source = att.axis_tokens("cross")  # (queries, keys)
    assert len(source) == 8 and len(target) == 9 and target[0] == "<s>"
    assert att.mean_over_heads("cross", 0).shape == (9, 8)
