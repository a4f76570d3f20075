"""The arithmetic the teaching pages show, as pure functions over captured tensors.

Nothing here re-runs a model: every function takes what the capture API recorded
(or the model's own weights) and lays out the steps between them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from model.core.capture import AttentionRecord, Stack


@dataclass(frozen=True)
class AttentionSteps:
    """Scaled dot-product attention for one query token of one head, step by step."""

    query: np.ndarray  # (d_head,)  Q row of the token
    keys: np.ndarray  # (k_len, d_head)
    values: np.ndarray  # (k_len, d_head)
    dot: np.ndarray  # (k_len,)  Q . K^T
    scaled: np.ndarray  # (k_len,)  divided by sqrt(d_k)
    allowed: np.ndarray  # (k_len,)  bool, the mask
    masked: np.ndarray  # (k_len,)  scaled + additive mask (-inf shown where masked)
    weights: np.ndarray  # (k_len,)  softmax: the captured probabilities
    output: np.ndarray  # (d_head,)  weights @ V
    d_k: int


def attention_steps(
    record: AttentionRecord, head: int, token: int, batch: int = 0
) -> AttentionSteps:
    """Needs a capture with qkv=True and masks=True. The weights are the captured ones; the
    intermediate steps are computed from the captured Q and K (a test checks they agree)."""
    if record.q is None or record.k is None or record.v is None or record.mask is None:
        raise ValueError("attention_steps needs a capture made with qkv=True and masks=True")
    q = record.q[batch, head, token]  # (d_head,)
    k = record.k[batch, head]  # (k_len, d_head)
    v = record.v[batch, head]  # (k_len, d_head)
    allowed = record.mask[batch, min(head, record.mask.shape[1] - 1), token]  # (k_len,)
    dot = k @ q  # (k_len,)
    scaled = dot * record.scaling  # (k_len,)
    weights = record.probs[batch, head, token]  # (k_len,)
    masked = scaled.masked_fill(~allowed, float("-inf"))  # (k_len,)
    return AttentionSteps(
        query=q.numpy(),
        keys=k.numpy(),
        values=v.numpy(),
        dot=dot.numpy(),
        scaled=scaled.numpy(),
        allowed=allowed.numpy(),
        masked=masked.numpy(),
        weights=weights.numpy(),
        output=(weights @ v).numpy(),
        d_k=int(q.shape[0]),
    )


def head_outputs(record: AttentionRecord, token: int, batch: int = 0) -> torch.Tensor:
    """Every head's output for one query token, probs @ V: (heads, d_head)."""
    if record.v is None:
        raise ValueError("head_outputs needs a capture made with qkv=True")
    probs = record.probs[batch, :, token]  # (heads, k_len)
    return torch.einsum("hk,hkd->hd", probs, record.v[batch])  # (heads, d_head)


def output_projection(model: nn.Module, stack: Stack, layer: int) -> nn.Linear:
    """W_O of a layer: the linear map applied to the concatenated heads."""
    patterns = {
        "encoder": [rf"encoder\.layer\.{layer}\.attention\.output\.dense$",
                    rf"encoder_layers\.{layer}\.self_attn\.w_o$"],
        "decoder": [rf"decoder_layers\.{layer}\.self_attn\.w_o$"],
        "cross": [rf"decoder_layers\.{layer}\.cross_attn\.w_o$"],
    }  # fmt: skip
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear) and any(re.search(p, name) for p in patterns[stack]):
            return module
    raise ValueError(f"no output projection found for {stack} layer {layer}")


def soft_lookup(
    query: np.ndarray, keys: np.ndarray, values: np.ndarray, scale: bool = True
) -> dict[str, np.ndarray]:
    """Attention as a soft key-value lookup: score every key against the query, softmax the
    scores, and return the weighted mix of the values (a hard lookup would pick one)."""
    query = np.asarray(query, dtype=np.float64)  # (d,)
    keys = np.asarray(keys, dtype=np.float64)  # (n, d)
    values = np.asarray(values, dtype=np.float64)  # (n, d_v)
    if keys.ndim != 2 or keys.shape[1] != query.shape[0]:
        raise ValueError(f"keys must be (n, {query.shape[0]}) to match the query, not {keys.shape}")
    if values.shape[0] != keys.shape[0]:
        raise ValueError(f"{keys.shape[0]} keys but {values.shape[0]} values")
    scores = keys @ query  # (n,)
    scaled = scores / math.sqrt(query.shape[0]) if scale else scores
    weights = np.exp(scaled - scaled.max())
    weights /= weights.sum()  # (n,)
    return {"scores": scores, "scaled": scaled, "weights": weights, "output": weights @ values}


# -- masking as "crossing out" uninformative features (second-order model with skips) ---------
MARKOV_SENTENCES = (
    "Check the program log and find out whether it ran please",
    "Check the battery log and find out whether it ran down please",
)


def skip_features(sentences: tuple[str, ...] = MARKOV_SENTENCES) -> dict[str, dict[str, float]]:
    """For the word after "ran": each earlier word w gives a feature (w, ran) that votes for the
    next words it was seen before, in proportion (the slides' transition table)."""
    votes: dict[str, dict[str, float]] = {}
    for sentence in sentences:
        words = sentence.lower().split()
        at = words.index("ran")
        following = words[at + 1]
        for word in set(words[:at]):
            votes.setdefault(word, {}).setdefault(following, 0.0)
            votes[word][following] += 1.0
    return {w: {k: v / sum(c.values()) for k, v in c.items()} for w, c in sorted(votes.items())}


def masked_vote(features: dict[str, dict[str, float]], keep: set[str]) -> dict[str, float]:
    """Sum the votes of the features left unmasked; masking the uninformative ones makes the
    prediction decisive."""
    total: dict[str, float] = {}
    for word, votes in features.items():
        if word in keep:
            for following, weight in votes.items():
                total[following] = total.get(following, 0.0) + weight
    return total


def masking_steps(
    record: AttentionRecord, head: int, batch: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One head's scores before masking (Q K^T / sqrt(d_k), from the captured Q and K), after
    masking (-inf where the mask forbids), and after softmax (the captured probabilities)."""
    if record.q is None or record.k is None or record.mask is None:
        raise ValueError("masking_steps needs a capture made with qkv=True and masks=True")
    q, k = record.q[batch, head], record.k[batch, head]  # (q_len, d_head), (k_len, d_head)
    before = (q @ k.T) * record.scaling  # (q_len, k_len)
    allowed = record.mask[batch, min(head, record.mask.shape[1] - 1)]  # (q_len, k_len)
    after = before.masked_fill(~allowed, float("-inf"))  # (q_len, k_len)
    return before.numpy(), after.numpy(), record.probs[batch, head].numpy()
