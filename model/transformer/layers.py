"""The blocks of "Attention Is All You Need": feed-forward, and the encoder and decoder layers
with their post-norm sublayers ("add & norm")."""

from __future__ import annotations

import torch
from torch import nn

from model.core.hooks import BlockSites
from model.transformer.attention import KVCache, MultiHeadAttention
from model.transformer.config import TransformerConfig


class FeedForward(nn.Module):
    """FFN(x) = max(0, x W1 + b1) W2 + b2, applied to each position alike."""

    def __init__(self, d_model: int, d_ff: int, dropout: float) -> None:
        super().__init__()
        self.w_1 = nn.Linear(d_model, d_ff)
        self.w_2 = nn.Linear(d_ff, d_model)
        self.activation = nn.ReLU()  # a module, so a capture can hear the hidden units
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = self.activation(self.w_1(x))  # (batch, seq, d_ff)
        return self.w_2(self.dropout(hidden))  # (batch, seq, d_model)


class EncoderLayer(nn.Module):
    """Self-attention, add & norm; feed-forward, add & norm."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.self_attn = MultiHeadAttention(config.d_model, config.n_heads, config.dropout)
        self.feed_forward = FeedForward(config.d_model, config.d_ff, config.dropout)
        self.norm_1 = nn.LayerNorm(config.d_model)
        self.norm_2 = nn.LayerNorm(config.d_model)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, src_allowed: torch.Tensor) -> torch.Tensor:
        x = self.norm_1(x + self.dropout(self.self_attn(x, allowed=src_allowed)))  # (b, s, d)
        return self.norm_2(x + self.dropout(self.feed_forward(x)))  # (batch, src_len, d_model)

    def atlas_blocks(self, layer: int) -> list[BlockSites]:
        """The sublayers of `forward`, in its order, each with its Add & Norm (for capture)."""
        attn, ffn = self.self_attn, self.feed_forward
        return [
            BlockSites("encoder", layer, "attention", attn, 0, attn, self.norm_1,
                       weights=(attn.w_o,)),
            BlockSites("encoder", layer, "ffn", ffn, 0, ffn, self.norm_2, hidden=ffn.activation,
                       activation="relu", weights=(ffn.w_1, ffn.w_2)),
        ]  # fmt: skip


class DecoderLayer(nn.Module):
    """Masked self-attention, add & norm; cross-attention over the encoder output, add & norm;
    feed-forward, add & norm."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.self_attn = MultiHeadAttention(config.d_model, config.n_heads, config.dropout)
        self.cross_attn = MultiHeadAttention(config.d_model, config.n_heads, config.dropout)
        self.feed_forward = FeedForward(config.d_model, config.d_ff, config.dropout)
        self.norm_1 = nn.LayerNorm(config.d_model)
        self.norm_2 = nn.LayerNorm(config.d_model)
        self.norm_3 = nn.LayerNorm(config.d_model)
        self.dropout = nn.Dropout(config.dropout)

    def forward(
        self,
        y: torch.Tensor,  # (batch, tgt_len, d_model)
        memory: torch.Tensor,  # (batch, src_len, d_model)
        tgt_allowed: torch.Tensor | None,  # (batch, 1, tgt_len, tgt_len)
        src_allowed: torch.Tensor,  # (batch, 1, 1, src_len)
        cache: KVCache | None = None,
    ) -> torch.Tensor:
        y = self.norm_1(y + self.dropout(self.self_attn(y, allowed=tgt_allowed, cache=cache)))
        y = self.norm_2(
            y + self.dropout(self.cross_attn(y, memory, allowed=src_allowed, cache=cache))
        )  # (batch, tgt_len, d_model)
        return self.norm_3(y + self.dropout(self.feed_forward(y)))  # (batch, tgt_len, d_model)

    def atlas_blocks(self, layer: int) -> list[BlockSites]:
        """The sublayers of `forward`, in its order, each with its Add & Norm (for capture).
        Cross-attention's residual is its first argument, the decoder stream (the memory is
        its second)."""
        masked, cross, ffn = self.self_attn, self.cross_attn, self.feed_forward
        return [
            BlockSites("decoder", layer, "attention", masked, 0, masked, self.norm_1,
                       weights=(masked.w_o,)),
            BlockSites("cross", layer, "attention", cross, 0, cross, self.norm_2,
                       weights=(cross.w_o,)),
            BlockSites("decoder", layer, "ffn", ffn, 0, ffn, self.norm_3, hidden=ffn.activation,
                       activation="relu", weights=(ffn.w_1, ffn.w_2)),
        ]  # fmt: skip
