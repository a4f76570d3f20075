"""Masks, written down once.

Convention: a boolean tensor, True where a query position may attend to a key
position, broadcastable to (batch, heads, q_len, k_len). `to_additive` is the
only place it becomes the float mask added to the scores before the softmax,
and `from_additive` reads a Hugging Face additive mask back into it.
"""

from __future__ import annotations

import torch


def padding_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """Keys beyond each sequence's length are padding. lengths: (batch,)."""
    positions = torch.arange(max_len, device=lengths.device)  # (k_len,)
    keep = positions[None, :] < lengths[:, None]  # (batch, k_len)
    return keep[:, None, None, :]  # (batch, 1, 1, k_len)


def key_padding_mask(ids: torch.Tensor, pad_id: int) -> torch.Tensor:
    """Padding mask from token ids. ids: (batch, k_len)."""
    return (ids != pad_id)[:, None, None, :]  # (batch, 1, 1, k_len)


def look_ahead_mask(size: int, device: torch.device | str | None = None) -> torch.Tensor:
    """A decoder position may attend to itself and earlier positions only."""
    square = torch.ones(size, size, dtype=torch.bool, device=device)  # (size, size)
    return square.tril()[None, None]  # (1, 1, size, size)


def decoder_self_mask(tgt_ids: torch.Tensor, pad_id: int) -> torch.Tensor:
    """Look-ahead and target padding together. tgt_ids: (batch, t_len)."""
    t_len = tgt_ids.shape[1]
    causal = look_ahead_mask(t_len, tgt_ids.device)  # (1, 1, t_len, t_len)
    return key_padding_mask(tgt_ids, pad_id) & causal  # (batch, 1, t_len, t_len)


def to_additive(allowed: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """True -> 0, False -> the most negative finite value, so exp() gives exactly 0 and a
    row with every key masked still gives finite numbers."""
    zeros = torch.zeros(allowed.shape, dtype=dtype, device=allowed.device)  # as allowed
    return zeros.masked_fill(~allowed, torch.finfo(dtype).min)


def from_additive(additive: torch.Tensor) -> torch.Tensor:
    """A Hugging Face additive mask back to the boolean convention."""
    return additive > torch.finfo(additive.dtype).min / 2  # same shape, bool
