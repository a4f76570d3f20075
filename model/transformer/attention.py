"""Scaled dot-product attention and multi-head attention, with a key/value cache.

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k) + mask) V

Masks follow `model.core.masks`: boolean, True = may attend.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from model.core.hooks import hook
from model.core.masks import to_additive

# A per-call key/value cache: each attention module maps to its keys and values so far.
# It is passed in by the caller and never stored on a module.
KVCache = dict[nn.Module, tuple[torch.Tensor, torch.Tensor]]


def attend(
    q: torch.Tensor,  # (batch, heads, q_len, d_head)
    k: torch.Tensor,  # (batch, heads, k_len, d_head)
    v: torch.Tensor,  # (batch, heads, k_len, d_head)
    allowed: torch.Tensor | None = None,  # broadcastable to (batch, heads, q_len, k_len)
    dropout: nn.Module | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """The four steps of the slides, returning what a viewer needs at each:
    (output, probabilities, masked scaled scores, the additive mask used)."""
    scaling = 1.0 / math.sqrt(q.shape[-1])
    scores = torch.matmul(q, k.transpose(-2, -1)) * scaling  # MatMul, Scale: (b, h, q, k)
    additive = None
    if allowed is not None:
        additive = to_additive(allowed.to(scores.device), scores.dtype)  # (b|1, 1|h, q, k)
        scores = scores + additive  # Mask
    probs = torch.softmax(scores, dim=-1)  # SoftMax: (batch, heads, q_len, k_len)
    weights = dropout(probs) if dropout is not None else probs
    return torch.matmul(weights, v), probs, scores, additive  # MatMul: (b, h, q_len, d_head)


def scaled_dot_product_attention(
    q: torch.Tensor,  # (batch, heads, q_len, d_head)
    k: torch.Tensor,  # (batch, heads, k_len, d_head)
    v: torch.Tensor,  # (batch, heads, k_len, d_head)
    allowed: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(Q K^T / sqrt(d_k) + mask) V, and the attention probabilities."""
    output, probs, _, _ = attend(q, k, v, allowed)
    return output, probs  # (batch, heads, q_len, d_head), (batch, heads, q_len, k_len)


class MultiHeadAttention(nn.Module):
    """Project to h heads, attend in each, concatenate, project with W_O."""

    def __init__(self, d_model: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.d_head = d_model // n_heads
        self.w_q = nn.Linear(d_model, d_model)
        self.w_k = nn.Linear(d_model, d_model)
        self.w_v = nn.Linear(d_model, d_model)
        self.w_o = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape  # (batch, len, d_model)
        return x.view(batch, length, self.n_heads, self.d_head).transpose(1, 2)  # (b, h, len, dh)

    def forward(
        self,
        x: torch.Tensor,  # (batch, q_len, d_model): the queries' inputs
        memory: torch.Tensor | None = None,  # (batch, k_len, d_model) for cross-attention
        allowed: torch.Tensor | None = None,  # broadcastable to (batch, heads, q_len, k_len)
        cache: KVCache | None = None,
    ) -> torch.Tensor:
        q = self.split_heads(self.w_q(x))  # (batch, heads, q_len, d_head)
        if memory is None:  # self-attention: keys and values come from x, appended to the cache
            k = self.split_heads(self.w_k(x))  # (batch, heads, q_len, d_head)
            v = self.split_heads(self.w_v(x))  # (batch, heads, q_len, d_head)
            if cache is not None:
                if self in cache:
                    past_k, past_v = cache[self]
                    k = torch.cat([past_k, k], dim=2)  # (batch, heads, k_len, d_head)
                    v = torch.cat([past_v, v], dim=2)  # (batch, heads, k_len, d_head)
                cache[self] = (k, v)
        elif cache is not None and self in cache:  # cross-attention: the memory never changes
            k, v = cache[self]  # (batch, heads, k_len, d_head) each
        else:
            k = self.split_heads(self.w_k(memory))  # (batch, heads, k_len, d_head)
            v = self.split_heads(self.w_v(memory))  # (batch, heads, k_len, d_head)
            if cache is not None:
                cache[self] = (k, v)
        heads, probs, scores, additive = attend(q, k, v, allowed, self.dropout)
        scaling = 1.0 / math.sqrt(self.d_head)
        hook(
            self, "attention", probs, q=q, k=k, v=v, scaling=scaling, additive_mask=additive,
            scores=scores,
        )  # fmt: skip
        heads = hook(self, "heads", heads, head_dim=1)  # (batch, heads, q_len, d_head)
        batch, _, q_len, _ = heads.shape
        concat = heads.transpose(1, 2).reshape(batch, q_len, -1)  # (batch, q_len, d_model)
        return self.w_o(concat)  # (batch, q_len, d_model)
