"""Positional encodings: the paper's sinusoids; token embeddings scaled by sqrt(d_model).

PE(pos, 2i)   = sin(pos / 10000^(2i / d_model))
PE(pos, 2i+1) = cos(pos / 10000^(2i / d_model))
"""

from __future__ import annotations

import math

import torch
from torch import nn


def sinusoidal_encoding(length: int, d_model: int) -> torch.Tensor:
    """The closed formula, for positions 0..length-1."""
    if d_model % 2:
        raise ValueError(f"a sinusoidal encoding needs an even d_model, not {d_model}")
    position = torch.arange(length, dtype=torch.float32)[:, None]  # (length, 1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float32)  # (d_model / 2,)
    inv_freq = torch.exp(-math.log(10000.0) * two_i / d_model)  # 1 / 10000^(2i/d_model)
    angles = position * inv_freq  # (length, d_model / 2)
    pe = torch.zeros(length, d_model)  # (length, d_model)
    pe[:, 0::2] = torch.sin(angles)
    pe[:, 1::2] = torch.cos(angles)
    return pe


class PositionalEncoding(nn.Module):
    """Returns the encoding of positions offset..offset+length-1 as (1, length, d_model).

    It returns the encoding itself rather than adding it, so a capture can record
    it as its own component of the input.
    """

    table: torch.Tensor  # (max_len, d_model)

    def __init__(self, d_model: int, max_len: int) -> None:
        super().__init__()
        self.max_len = max_len
        self.register_buffer("table", sinusoidal_encoding(max_len, d_model), persistent=False)

    def forward(self, length: int, offset: int = 0) -> torch.Tensor:
        if offset + length > self.max_len:
            raise ValueError(
                f"positions up to {offset + length} asked for, but max_len is {self.max_len}"
            )
        return self.table[offset : offset + length][None]  # (1, length, d_model)


class TokenEmbedding(nn.Module):
    """Token embeddings scaled by sqrt(d_model), as in the paper (section 3.4)."""

    def __init__(self, vocab_size: int, d_model: int, pad_id: int) -> None:
        super().__init__()
        self.table = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        self.scale = math.sqrt(d_model)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.table(ids) * self.scale  # (batch, seq, d_model)
