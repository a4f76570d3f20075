"""Training pieces of the translator: batching and the learning-rate schedule."""

import random

import pytest
import torch

from model.core.masks import decoder_self_mask, key_padding_mask, padding_mask, to_additive
from model.training.translation import bucket_batches, make_batches, noam_rate


@pytest.fixture(scope="module")
def pairs():
    rng = random.Random(0)
    return [
        ([rng.randrange(4, 50) for _ in range(rng.randint(1, 12))],
         [1, *(rng.randrange(4, 50) for _ in range(rng.randint(1, 12))), 2])
        for _ in range(300)
    ]  # fmt: skip


def test_buckets_hold_every_pair_once_within_the_token_budget(pairs):
    batches = bucket_batches(pairs, max_tokens=120, pad_id=0)
    seen = []
    for src, tgt in batches:
        assert src.shape[0] == tgt.shape[0]
        longest_pair = int(((src != 0).sum(1) + (tgt != 0).sum(1)).max())
        assert longest_pair * src.shape[0] <= 120 or src.shape[0] == 1
        for row_src, row_tgt in zip(src.tolist(), tgt.tolist(), strict=True):
            seen.append((tuple(x for x in row_src if x), tuple(x for x in row_tgt if x)))
    assert sorted(seen) == sorted((tuple(s), tuple(t)) for s, t in pairs)


def test_make_batches_is_the_buckets_in_an_order_set_by_the_seed(pairs):
    """Training builds the buckets once and shuffles them each epoch; that must give exactly
    what make_batches gives for the epoch's seed."""
    buckets = bucket_batches(pairs, 120, 0)
    for seed in (3, 4):
        shuffled = list(buckets)
        random.Random(seed).shuffle(shuffled)
        made = make_batches(pairs, 120, 0, seed)
        assert len(made) == len(shuffled)
        for (a_src, a_tgt), (b_src, b_tgt) in zip(made, shuffled, strict=True):
            assert torch.equal(a_src, b_src) and torch.equal(a_tgt, b_tgt)
    assert not all(
        torch.equal(a[0], b[0])
        for a, b in zip(make_batches(pairs, 120, 0, 3), make_batches(pairs, 120, 0, 4), strict=True)
    )


def test_noam_rate_warms_up_linearly_then_decays_as_the_inverse_square_root():
    d_model, warmup = 256, 100
    assert noam_rate(50, d_model, warmup) == pytest.approx(noam_rate(100, d_model, warmup) / 2)
    assert noam_rate(400, d_model, warmup) == pytest.approx(noam_rate(100, d_model, warmup) / 2)
    peak = max(range(1, 1000), key=lambda s: noam_rate(s, d_model, warmup))
    assert peak == warmup
    assert noam_rate(100, d_model, warmup, factor=0.4) == pytest.approx(
        0.4 * noam_rate(100, d_model, warmup)
    )


def test_masks_are_built_on_the_device_of_their_input():
    """Training on a GPU builds every mask from ids on the GPU; `meta` tensors check the
    device is followed without needing one."""
    ids = torch.zeros(2, 5, dtype=torch.long, device="meta")
    assert key_padding_mask(ids, 0).device.type == "meta"
    allowed = decoder_self_mask(ids, 0)
    assert allowed.device.type == "meta" and allowed.shape == (2, 1, 5, 5)
    assert to_additive(allowed).device.type == "meta"
    assert padding_mask(torch.tensor([2, 3], device="meta"), 5).device.type == "meta"
