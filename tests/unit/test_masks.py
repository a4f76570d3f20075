import torch

from model.core import masks


def test_padding_mask_marks_keys_beyond_length():
    allowed = masks.padding_mask(torch.tensor([2, 4]), max_len=4)
    assert allowed.shape == (2, 1, 1, 4)
    assert allowed[0, 0, 0].tolist() == [True, True, False, False]
    assert allowed[1, 0, 0].tolist() == [True, True, True, True]


def test_look_ahead_mask_is_lower_triangular():
    allowed = masks.look_ahead_mask(3)[0, 0]
    assert allowed.tolist() == [[True, False, False], [True, True, False], [True, True, True]]


def test_decoder_self_mask_combines_padding_and_look_ahead():
    ids = torch.tensor([[5, 6, 0]])
    allowed = masks.decoder_self_mask(ids, pad_id=0)[0, 0]
    assert allowed.tolist() == [[True, False, False], [True, True, False], [True, True, False]]


def test_additive_round_trip_and_exact_zero_after_softmax():
    allowed = masks.decoder_self_mask(torch.tensor([[1, 2, 3, 0]]), pad_id=0)
    additive = masks.to_additive(allowed)
    assert torch.equal(masks.from_additive(additive), allowed)
    probs = torch.softmax(torch.randn(1, 2, 4, 4) + additive, dim=-1)
    assert torch.all(probs[~allowed.expand_as(probs)] == 0)
    assert torch.allclose(probs.sum(-1), torch.ones(1, 2, 4))


def test_fully_masked_row_stays_finite():
    additive = masks.to_additive(torch.zeros(1, 1, 1, 3, dtype=torch.bool))
    probs = torch.softmax(torch.zeros(1, 1, 1, 3) + additive, dim=-1)
    assert torch.isfinite(probs).all()
