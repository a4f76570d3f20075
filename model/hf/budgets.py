"""What one text and one analysis of a listed model may hold, read from its config before a
byte of weights moves: the capture's bytes and the longest text that fits them, the batch
that keeps an analysis's working memory bounded, and which captures keep Q, K and V."""

from __future__ import annotations

import os
from typing import Any

from model.hf.families import Family

GENERATE_STEPS = 8  # tokens a decoder writes in the explorer, each step recorded
CAPTURE_MAX_ENV = "ATLAS_CAPTURE_MAX_MB"  # the most one text's capture may hold, in MB
CAPTURE_MAX_MB = 640  # Llama-3.2-1B's 16 x 32 heads at 572 tokens; GPT-2 small's at 1,079


def capture_max_bytes() -> int:
    """The most one text's capture of a listed model may hold (ATLAS_CAPTURE_MAX_MB)."""
    value = os.environ.get(CAPTURE_MAX_ENV, "")
    try:
        return int(float(value or CAPTURE_MAX_MB) * (1 << 20))
    except ValueError:
        raise ValueError(
            f"{CAPTURE_MAX_ENV} must be a number of megabytes, not {value!r}"
        ) from None


def _sizes(config: Any) -> tuple[int, int, int, int]:
    """(encoder or only layers, decoder layers of an encoder-decoder, heads, d_head), read
    from a config through Transformers' attribute names (n_layer, num_layers... map here)."""
    layers = int(getattr(config, "num_hidden_layers", 0) or 0)
    decoder = int(
        getattr(config, "decoder_layers", 0) or getattr(config, "num_decoder_layers", 0) or layers
    )
    heads = int(getattr(config, "num_attention_heads", 0) or 1)
    width = int(getattr(config, "hidden_size", 0) or getattr(config, "d_model", 0) or heads)
    d_head = int(getattr(config, "head_dim", 0) or getattr(config, "d_kv", 0) or width // heads)
    return layers, decoder, heads, d_head


def capture_bytes(config: Any, family: Family, tokens: int, qkv: bool = False) -> int:
    """The bytes `run_text` keeps for a text of `tokens` tokens: every head's probabilities
    in float32 (a decoder's over the text and the GENERATE_STEPS it writes), and Q, K, V where
    kept. Read from the config alone."""
    layers, decoder, heads, d_head = _sizes(config)
    per_head = 4 * (tokens * tokens + (3 * tokens * d_head if qkv else 0))
    if family.kind == "encoder":
        return layers * heads * per_head
    steps = GENERATE_STEPS
    if family.kind == "decoder":
        length = tokens + steps
        return layers * heads * 4 * (length * length + (3 * length * d_head if qkv else 0))
    return layers * heads * per_head + decoder * heads * 4 * (steps * steps + steps * tokens)


def capture_tokens(config: Any, family: Family, limit: int, qkv: bool = False) -> int:
    """The longest text (in tokens, at most `limit`) whose capture fits `capture_max_bytes`:
    what a served text is cut to, so that one visitor's capture stays within the budget."""
    most = capture_max_bytes()
    low, high = 2, max(2, limit)
    if capture_bytes(config, family, high, qkv) <= most:
        return high
    while low < high:  # the largest length that fits
        middle = (low + high + 1) // 2
        if capture_bytes(config, family, middle, qkv) <= most:
            low = middle
        else:
            high = middle - 1
    return low


WORK_ENV = "ATLAS_WORK_MB"  # the working memory of one batch of an analysis, in MB
WORK_MB = 512


def batch_for(config: Any, tokens: int, gradients: bool, most: int = 32) -> int:
    """Inputs per forward pass (Captum's internal batch, patching's copies) that keep one
    pass's working memory within ATLAS_WORK_MB: the activations a layer makes per token
    (the stream, its projections, the feed-forward's units, a row of every head's weights),
    held for one layer at a time without gradients, for every layer with them."""
    layers, _, heads, _ = _sizes(config)
    width = int(getattr(config, "hidden_size", 0) or getattr(config, "d_model", 0) or 1)
    ffn = int(getattr(config, "intermediate_size", 0) or getattr(config, "n_inner", 0)
              or getattr(config, "d_ff", 0) or 4 * width)  # fmt: skip
    dtype = getattr(config, "dtype", None) or getattr(config, "torch_dtype", None)
    size = 2 if str(dtype).removeprefix("torch.") in ("bfloat16", "float16") else 4
    per_layer = size * tokens * (4 * width + ffn + heads * tokens)  # bytes for one input
    held = 3 * (layers if gradients else 1)  # saved for the backward pass, or one layer's
    budget = int(float(os.environ.get(WORK_ENV, "") or WORK_MB) * (1 << 20))
    return max(1, min(most, budget // max(1, per_layer * held)))


def keeps_qkv(family: Family) -> bool:
    """Whether a served capture keeps Q, K and V: only an encoder's are read (bertviz's
    neuron view); a generation is recorded as probabilities only (`run_text`)."""
    return family.kind == "encoder"
