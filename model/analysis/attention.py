"""Pure functions over captured attention: rollout, flow and per-head statistics.

Inputs are a stack's attention as (layers, heads, q_len, k_len) arrays, as
`AttentionCapture.stacked` returns them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

FLOW_MAX_TOKENS = 64  # one max-flow per token pair: n^2 solves; beyond this the page says so
FLOW_SCALE = 1_000_000


def _residual_mixed(attention: np.ndarray) -> np.ndarray:
    """Per layer: average the heads, add the identity for the residual path, renormalise rows."""
    attention = np.asarray(attention)  # (layers, heads, n, n)
    if attention.ndim != 4 or attention.shape[-1] != attention.shape[-2]:
        raise ValueError(
            f"rollout and flow need self-attention as (layers, heads, n, n), not {attention.shape}"
        )
    # The mean in float64 without a float64 copy of every head (600 MB at 512 tokens).
    mixed = attention.mean(axis=1, dtype=np.float64) + np.eye(attention.shape[-1])  # (l, n, n)
    return mixed / mixed.sum(axis=-1, keepdims=True)  # rows sum to 1


def attention_rollout(attention: np.ndarray) -> np.ndarray:
    """Abnar & Zuidema (2020): multiply the residual-mixed attention up the layers.

    Returns (layers, n, n): entry [l, i, j] is how much token j's input reaches
    token i's representation after layer l.
    """
    mixed = _residual_mixed(attention)  # (layers, n, n)
    rolled = np.empty_like(mixed)
    current = np.eye(mixed.shape[-1])  # (n, n)
    for layer, step in enumerate(mixed):
        current = step @ current  # (n, n)
        rolled[layer] = current
    return rolled


def attention_flow(
    attention: np.ndarray, max_tokens: int = FLOW_MAX_TOKENS, only: Sequence[int] | None = None
) -> np.ndarray:
    """Abnar & Zuidema (2020): max-flow from each output token to each input token through the
    layered graph whose edge capacities are the residual-mixed attention weights.

    Returns (n, n): entry [i, j] is the flow value from output token i to input token j; with
    `only`, only those output tokens' rows are solved (the others stay 0).
    Capacities are fixed-point with 1e-6 resolution (the solver works on integers).
    """
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import maximum_flow

    mixed = _residual_mixed(attention)  # (layers, n, n)
    n_layers, n, _ = mixed.shape
    if n > max_tokens:
        raise ValueError(
            f"attention flow solves one max-flow problem per token pair and is limited to "
            f"{max_tokens} tokens; this input has {n}. Use rollout, or a shorter text."
        )
    # Node layer * n + i is token i after `layer` layers (layer 0: the inputs). Token i after
    # layer l+1 reads token j after layer l with capacity mixed[l, i, j].
    size = (n_layers + 1) * n
    rows, cols, caps = [], [], []
    for layer in range(n_layers):
        reader, read = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")  # (n, n) each
        rows.append(((layer + 1) * n + reader).ravel())
        cols.append((layer * n + read).ravel())
        caps.append(np.rint(mixed[layer] * FLOW_SCALE).astype(np.int32).ravel())
    graph = csr_array(
        (np.concatenate(caps), (np.concatenate(rows), np.concatenate(cols))), shape=(size, size)
    )
    flow = np.zeros((n, n))
    for i in range(n) if only is None else only:
        for j in range(n):
            flow[i, j] = maximum_flow(graph, n_layers * n + i, j).flow_value / FLOW_SCALE
    return flow


@dataclass(frozen=True)
class HeadStats:
    layer: int
    head: int
    entropy: float  # mean over query rows of -sum p log2 p, in bits
    mean_distance: float  # mean over query rows of sum_j p_ij |i - j|, in tokens
    special_share: float  # mean over query rows of the weight on special or padding keys


def head_statistics(
    attention: np.ndarray,
    special: Sequence[bool] | None = None,
    valid: Sequence[bool] | None = None,
) -> list[HeadStats]:
    """Statistics of every head of a stack. attention: (layers, heads, q_len, k_len).

    `special` marks key positions counted as special ([CLS], [SEP], padding);
    `valid` marks query rows to average over (padding queries are left out).
    """
    weights = torch.as_tensor(np.asarray(attention))  # (layers, heads, q, k), no copy
    n_layers, n_heads, q_len, k_len = weights.shape
    rows = np.ones(q_len, dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
    distance = (torch.arange(q_len)[:, None] - torch.arange(k_len)[None, :]).abs()  # (q, k)
    special_keys = torch.zeros(k_len, dtype=torch.bool)
    if special is not None:
        special_keys = torch.as_tensor(np.asarray(special, dtype=bool))
    entropy = np.empty((n_layers, n_heads, q_len))
    mean_distance, share = np.empty_like(entropy), np.empty_like(entropy)
    # One layer at a time, in the weights' own precision (float32: 16 x 32 heads at 512
    # tokens in a third of a second; each row's sums are over at most k_len terms, exact to
    # about 1e-7 of their value), kept in float64.
    for layer in range(n_layers):
        probs = weights[layer].float()  # (heads, q, k)
        entropy[layer] = (-torch.special.xlogy(probs, probs).sum(-1) / math.log(2)).numpy()
        mean_distance[layer] = (probs * distance).sum(-1).numpy()  # (heads, q)
        share[layer] = probs[..., special_keys].sum(-1).numpy()  # (heads, q)
    stats: list[HeadStats] = []
    for layer in range(n_layers):
        for head in range(n_heads):
            stats.append(
                HeadStats(
                    layer=layer,
                    head=head,
                    entropy=float(entropy[layer, head, rows].mean()),
                    mean_distance=float(mean_distance[layer, head, rows].mean()),
                    special_share=float(share[layer, head, rows].mean()),
                )
            )
    return stats


def sharpest_head(attention: np.ndarray) -> HeadStats:
    """The head whose rows are the most concentrated: lowest mean entropy. attention:
    (layers, heads, q_len, k_len)."""
    return min(head_statistics(attention), key=lambda s: s.entropy)


# -- attention as an explanation of an output ---------------------------------------------
EXPLAINED_BY = (
    "Attention stands for an output as the attention rows of the tokens that produce it: "
    "an entity's word pieces, the answer's start and end, the position that predicts the next "
    "token, or a decoding step's cross-attention. Their rows are averaged: for the chosen "
    "head, for the mean of its layer's heads, and for the mean over every layer and head. "
    "Rollout and flow follow the same rows through the residual stream; for a decoding step, "
    "the last layer's cross-attention row (mean of heads) is carried back through the "
    "encoder's rollout and flow to the source tokens."
)


def explained_attention(
    attention: np.ndarray,
    queries: Sequence[int],
    layer: int,
    head: int,
    flow: bool = True,
    through: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The attention rows of the explained tokens, one weight per key token, as an
    explanation (EXPLAINED_BY). attention: (layers, heads, q_len, k_len), the stack whose rows
    the queries index. `through`: for cross-attention, the encoder's self-attention (layers,
    heads, k_len, k_len), through which rollout and flow continue to the source tokens."""
    rows = list(queries)
    picked = attention[:, :, rows].mean(axis=2)  # (layers, heads, k_len)
    found = {
        f"layer {layer}, head {head}": picked[layer, head],
        f"layer {layer}, mean of heads": picked[layer].mean(0),
        "every layer (mean)": picked.mean((0, 1)),
    }
    square = attention if through is None else through
    if square.shape[-1] != square.shape[-2]:
        return found
    rolled = attention_rollout(square)[-1]  # (k_len, k_len)
    if through is None:
        found["rollout"] = rolled[rows].mean(0)
    else:  # the last cross-attention rows, carried back through the encoder
        found["rollout"] = picked[-1].mean(0) @ rolled
    if flow and square.shape[-1] <= FLOW_MAX_TOKENS:
        if through is None:
            found["flow"] = attention_flow(square, only=rows)[rows].mean(0)
        else:
            found["flow"] = picked[-1].mean(0) @ attention_flow(square)
    return found
