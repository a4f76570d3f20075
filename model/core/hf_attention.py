"""Hugging Face models through the same hook points as ours.

Transformers routes a model's attention through its attention interface: the
`attn_implementation` a model is set to names the function its attention modules call.
We register one more function there. It runs the module's *own* eager attention (the
`eager_attention_forward` of the module's modeling file), so the numbers are the model's,
then hands them to the hook points. Imported only when a Hugging Face model is
instrumented; transformers is not needed otherwise.

What this relies on in transformers, pinned by tests/unit/test_hf_families.py so that an
upgrade that changes it fails loudly: `AttentionInterface.register` and
`AttentionMaskInterface.register`; `PreTrainedModel.set_attn_implementation`; each modeling
file defining `eager_attention_forward(module, query, key, value, attention_mask, scaling,
dropout, **kwargs) -> (output (batch, q_len, heads, d_head), probs)`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any, cast

import torch
from torch import nn

from model.core.hooks import BlockSites, Stack, hook

IMPLEMENTATION = "attention_atlas"

# Module paths of attention sites in the Hugging Face families we support; the first pattern
# a module's path matches decides.
SITE_PATTERNS: tuple[tuple[re.Pattern[str], Stack], ...] = (
    # BERT, RoBERTa, ELECTRA
    (re.compile(r"(?:^|\.)encoder\.layer\.(\d+)\.attention\.self$"), "encoder"),
    (re.compile(r"(?:^|\.)encoder\.layer\.(\d+)\.crossattention\.self$"), "cross"),
    (re.compile(r"(?:^|\.)transformer\.layer\.(\d+)\.attention$"), "encoder"),  # DistilBERT
    (re.compile(r"(?:^|\.)encoder\.layers\.(\d+)\.self_attn$"), "encoder"),  # Marian, BART
    (re.compile(r"(?:^|\.)decoder\.layers\.(\d+)\.self_attn$"), "decoder"),
    (re.compile(r"(?:^|\.)decoder\.layers\.(\d+)\.encoder_attn$"), "cross"),
    (re.compile(r"(?:^|\.)encoder\.block\.(\d+)\.layer\.0\.SelfAttention$"), "encoder"),  # T5
    (re.compile(r"(?:^|\.)decoder\.block\.(\d+)\.layer\.0\.SelfAttention$"), "decoder"),
    (re.compile(r"(?:^|\.)decoder\.block\.(\d+)\.layer\.1\.EncDecAttention$"), "cross"),
    (re.compile(r"(?:^|\.)h\.(\d+)\.attn$"), "decoder"),  # GPT-2, GPT-J
    (re.compile(r"(?:^|\.)h\.(\d+)\.self_attention$"), "decoder"),  # Falcon
    (re.compile(r"(?:^|\.)gpt_neox\.layers\.(\d+)\.attention$"), "decoder"),
    (re.compile(r"^(?:model\.)?layers\.(\d+)\.self_attn$"), "decoder"),  # Llama and its kin
    (re.compile(r"^(?:model\.)?layers\.(\d+)\.attn$"), "encoder"),  # ModernBERT
)
# ALBERT runs one attention module for every layer: its calls are counted (Site.shared).
SHARED_PATTERN = re.compile(
    r"(?:^|\.)encoder\.albert_layer_groups\.0\.albert_layers\.0\.attention$"
)
# Embedding modules whose outputs are the components of the input representation.
EMBEDDING_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?:^|\.)(?:word_embeddings|embed_tokens|embed_in|shared|wte)$"), "token"),
    (re.compile(r"(?:^|\.)(?:position_embeddings|embed_positions|wpe)$"), "position"),
    (re.compile(r"(?:^|\.)token_type_embeddings$"), "segment"),
)
_BERT_LAYER = re.compile(r"(?:^|\.)encoder\.layer\.(\d+)$")
# The Hugging Face families these patterns serve, each checked exactly by a parity test
# (model.hf.families builds them; a test holds the two lists equal).
FAMILY_NAMES = (
    "BERT", "RoBERTa", "XLM-RoBERTa", "DistilBERT", "ALBERT", "ELECTRA", "ModernBERT",
    "GPT-2", "GPT-J", "GPT-NeoX", "OPT", "Llama", "Qwen2", "Qwen3", "Mistral", "Gemma",
    "Gemma 2", "Gemma 3", "Phi", "Phi-3", "StableLM", "OLMo", "Starcoder2", "Falcon",
    "T5", "MT5", "BART", "mBART", "Pegasus", "Marian",
)  # fmt: skip
SUPPORTED = "our Transformer; " + ", ".join(FAMILY_NAMES)


def eager_function(module: nn.Module) -> Callable[..., tuple[torch.Tensor, torch.Tensor]]:
    """The eager attention function of the modeling file that defines `module`."""
    function = getattr(sys.modules[type(module).__module__], "eager_attention_forward", None)
    if function is None:
        raise TypeError(
            f"{type(module).__name__} has no eager_attention_forward in its modeling file; "
            f"supported: {SUPPORTED}"
        )
    return cast(Callable[..., tuple[torch.Tensor, torch.Tensor]], function)


def routed(module: nn.Module, model: nn.Module) -> None:
    """Raise unless `module` runs its attention through Transformers' attention interface,
    the one path the capture hears. A module whose path looks like a supported family's but
    computes attention itself (DeBERTa-v2's disentangled attention, GPT-Neo's, BLOOM's
    ALiBi) would otherwise be captured as nothing at all."""
    modeling = sys.modules[type(module).__module__]
    needs = ("ALL_ATTENTION_FUNCTIONS", "eager_attention_forward")
    if not all(hasattr(modeling, name) for name in needs):
        raise ValueError(
            f"{type(model).__name__} cannot be captured: its attention "
            f"({type(module).__name__}) is computed inside the module, not through "
            f"Transformers' attention interface, so no call would be recorded; "
            f"supported: {SUPPORTED}"
        )


def hooked_attention(
    module: nn.Module,
    query: torch.Tensor,  # (batch, heads, q_len, d_head)
    key: torch.Tensor,  # (batch, heads, k_len, d_head)
    value: torch.Tensor,  # (batch, heads, k_len, d_head)
    attention_mask: torch.Tensor | None,  # (batch, 1, q_len, k_len) additive
    scaling: float | None = None,
    dropout: float = 0.0,
    **kwargs: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The model's own eager attention, then the "attention" and "heads" hook points.

    Grouped-query attention (Llama, Qwen2, Mistral) hands over its fewer key/value heads as
    they are, with `kv_groups` query heads sharing each (a recorder expands them, as the
    eager function does); T5 hands over its relative position bias, added to the scores; a
    layer with a sliding window (Mistral, Qwen2 and 3, Gemma 2 and 3, Phi-3, Starcoder2,
    ModernBERT) its size; Gemma 2 its scores' soft cap."""
    output, probs = eager_function(module)(
        module, query, key, value, attention_mask, scaling=scaling, dropout=dropout, **kwargs
    )  # output (batch, q_len, heads, d_head), probs (batch, heads, q_len, k_len)
    if scaling is None:
        scaling = query.size(-1) ** -0.5
    if attention_mask is not None:
        attention_mask = attention_mask[:, :, :, : key.shape[-2]]  # (batch, 1, q_len, k_len)
    hook(
        module, "attention", probs, q=query, k=key, v=value, scaling=scaling,
        additive_mask=attention_mask, kv_groups=query.shape[1] // key.shape[1],
        bias=kwargs.get("position_bias"), window=kwargs.get("sliding_window"),
        softcap=kwargs.get("softcap"),
    )  # fmt: skip
    return hook(module, "heads", output, head_dim=2), probs


def _register() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, eager_mask
    from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

    if IMPLEMENTATION not in ALL_ATTENTION_FUNCTIONS:
        AttentionInterface.register(IMPLEMENTATION, hooked_attention)
        AttentionMaskInterface.register(IMPLEMENTATION, eager_mask)


def switch_to_hooked_attention(
    model: nn.Module,
) -> tuple[list[tuple[nn.Module, Stack, int]], list[tuple[nn.Module, Stack, str]]]:
    """Find a Hugging Face model's sites by module path and switch its attention to ours."""
    sites: list[tuple[nn.Module, Stack, int]] = []
    embeddings: list[tuple[nn.Module, Stack, str]] = []
    seq2seq = bool(getattr(getattr(model, "config", None), "is_encoder_decoder", False))
    seen: set[int] = set()
    layers = int(getattr(getattr(model, "config", None), "num_hidden_layers", 0) or 0)
    for name, module in model.named_modules():
        for pattern, stack in SITE_PATTERNS:
            match = pattern.search(name)
            if match:
                sites.append((module, stack, int(match.group(1))))
                break
        if SHARED_PATTERN.search(name):
            groups = getattr(getattr(model, "config", None), "num_hidden_groups", 1)
            if groups != 1 or getattr(model.config, "inner_group_num", 1) != 1:
                raise ValueError(
                    "ALBERT is supported with one shared layer group (num_hidden_groups = "
                    "inner_group_num = 1), as every released ALBERT has"
                )
            sites.append((module, "encoder", -layers))  # see instrument: one module, n layers
        for pattern, component in EMBEDDING_PATTERNS:
            if pattern.search(name) and id(module) not in seen:
                seen.add(id(module))
                in_decoder: Stack = "decoder" if ".decoder." in f".{name}" else "encoder"
                key = component
                if seq2seq and component != "token":  # one token table serves both stacks
                    key = f"{in_decoder}.{component}"
                embeddings.append((module, in_decoder, key))
    if not seq2seq and sites and all(stack == "decoder" for _, stack, _ in sites):
        # a decoder-only model's embeddings feed its one (decoder) stack, whatever their path
        embeddings = [(module, "decoder", key) for module, _, key in embeddings]
    if not sites or not hasattr(model, "set_attn_implementation"):
        raise ValueError(
            f"{type(model).__name__} has no attention module that Attention Atlas knows; "
            f"supported: {SUPPORTED}"
        )
    for module, _, _ in sites:
        routed(module, model)
    _register()
    cast(Any, model).set_attn_implementation(IMPLEMENTATION)  # a PreTrainedModel
    return sites, embeddings


def hf_blocks(model: nn.Module) -> list[BlockSites]:
    """The Add & Norm blocks of a BERT-style encoder (BERT, RoBERTa, ELECTRA: each layer has
    attention.output.{dense, LayerNorm}, intermediate, output.{dense, LayerNorm}). Other
    families have attention only: their blocks are not labelled, and a capture of activations
    says so (`AttentionCapture.blocks` is empty)."""
    blocks: list[BlockSites] = []
    activation = str(getattr(getattr(model, "config", None), "hidden_act", ""))
    for name, module in model.named_modules():
        match = _BERT_LAYER.search(name)
        if not match or not all(hasattr(module, a) for a in ("attention", "intermediate")):
            continue
        layer, attention = int(match.group(1)), cast(Any, module).attention.output
        ffn = cast(Any, module).output
        blocks += [
            # BertSelfOutput(hidden, input_tensor) = LayerNorm(dropout(dense(hidden)) + input)
            BlockSites("encoder", layer, "attention", attention, 1, attention.dense,
                       attention.LayerNorm, weights=(attention.dense,)),
            # BertOutput(intermediate(x), x) = LayerNorm(dropout(dense(hidden)) + x)
            BlockSites("encoder", layer, "ffn", ffn, 1, ffn.dense, ffn.LayerNorm,
                       hidden=cast(Any, module).intermediate, activation=activation,
                       weights=(cast(Any, module).intermediate.dense, ffn.dense)),
        ]  # fmt: skip
    return blocks


def hf_logits(model: nn.Module) -> nn.Module | None:
    """The module whose output is the logits over the vocabulary, if the model has a
    language-model head (a bare encoder such as the packaged MiniLM has none)."""
    getter = getattr(model, "get_output_embeddings", None)
    head = getter() if callable(getter) else None
    return head if isinstance(head, nn.Module) else None
