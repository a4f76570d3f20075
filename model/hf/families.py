"""The Hugging Face families the capture API supports, and a tiny random model of each.

A family is known by its config's `model_type`; what it is decides how a text runs through
it (`model.hf.byo.run_text`): an encoder reads the text once, a decoder-only model continues
it a few tokens, an encoder-decoder reads it and writes a few tokens, every step captured.
The tiny models (random weights, the real classes) are what the tests, `python -m
model.evaluate families` and bench/byo.py run offline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import torch
import transformers
from transformers import PretrainedConfig, PreTrainedModel

from model.core.hf_attention import SUPPORTED
from model.core.hooks import Stack

Kind = Literal["encoder", "decoder", "seq2seq"]
STACKS_OF: dict[Kind, tuple[Stack, ...]] = {
    "encoder": ("encoder",),
    "decoder": ("decoder",),
    "seq2seq": ("encoder", "decoder", "cross"),
}


@dataclass(frozen=True)
class Variant:
    """How a tiny model is built beyond its size: as real checkpoints are released."""

    dtype: torch.dtype = torch.float32  # bfloat16 and float16 as Llama, Qwen2, Mistral ship
    window: int = 0  # > 0: a sliding window of this many keys, where the family has them
    padded: int = 0  # rows the model's vocabulary has beyond the tokenizer's


PLAIN = Variant()


@dataclass(frozen=True)
class Family:
    name: str
    model_type: str  # the config's model_type
    kind: Kind
    config: ConfigMaker  # (vocabulary size, model size, extra config fields)
    model_class: str  # the transformers class of the tiny model
    # The config fields that give a model of the family a sliding window of n keys; None for
    # families without one.
    window: Callable[[int], dict[str, Any]] | None = None
    upcast: bool = False  # its eager attention computes scores in float32 in any dtype (GPT-J)

    @property
    def stacks(self) -> tuple[Stack, ...]:
        return STACKS_OF[self.kind]

    def tiny(
        self,
        vocab_size: int = 99,
        seed: int = 0,
        size: Size | None = None,
        variant: Variant = PLAIN,
        head: str | None = None,
        **config_fields: Any,
    ) -> PreTrainedModel:
        """A random model of the family (by default 2 layers, 4 heads, d_model 32), with
        Transformers' eager attention, built as `variant` says. `head`: another class of the
        family (BertForTokenClassification...); `config_fields` go into its config
        (num_labels...)."""
        extra: dict[str, Any] = {}
        if variant.window:
            if self.window is None:
                raise ValueError(f"{self.name} models have no sliding window")
            extra = self.window(variant.window)
        config = self.config(vocab_size + variant.padded, size or TINY, **extra)
        for field, value in config_fields.items():  # over the builder's own (special ids...)
            setattr(config, field, value)
        config._attn_implementation = "eager"
        torch.manual_seed(seed)
        model: PreTrainedModel = getattr(transformers, head or self.model_class)(config)
        if variant.padded and self.kind != "encoder":
            _write_padded_ids(model, vocab_size)
        cast(torch.nn.Module, model).to(variant.dtype)
        return model.eval()


def _write_padded_ids(model: PreTrainedModel, vocab_size: int) -> None:
    """Make a random model write ids beyond its tokenizer's `vocab_size`, as a real model with
    a padded vocabulary can: the padded rows of its output projection become +-c e_i, so for
    any hidden state one of them outscores every real token (rows beyond 2 d_model stay)."""
    out = model.get_output_embeddings()
    if not isinstance(out, torch.nn.Module):
        return
    weight = cast(torch.Tensor, out.weight)  # (vocab + padded, d_model)
    d_model = weight.shape[1]
    rows = min(weight.shape[0] - vocab_size, 2 * d_model) // 2
    scale = 100 * float(weight.detach().abs().max())
    with torch.no_grad():
        for i in range(rows):
            weight[vocab_size + 2 * i].zero_()[i] = scale
            weight[vocab_size + 2 * i + 1].zero_()[i] = -scale


@dataclass(frozen=True)
class Size:
    """How big a built model is: the tests' tiny one by default, bench/byo.py's larger."""

    d_model: int = 32
    layers: int = 2
    heads: int = 4  # of d_model / heads dimensions
    positions: int = 128
    ffn: int = 2  # d_ff = ffn x d_model (4 in the released models of most families)

    @property
    def d_head(self) -> int:
        return self.d_model // self.heads


TINY = Size()
ConfigMaker = Callable[..., PretrainedConfig]
IDS: dict[str, Any] = {"pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2}  # below any
# tiny vocabulary


def _bert_like(cls: str) -> ConfigMaker:
    def make(vocab: int, s: Size, **extra: Any) -> PretrainedConfig:
        config: PretrainedConfig = getattr(transformers, cls)(
            vocab_size=vocab, hidden_size=s.d_model, num_hidden_layers=s.layers,
            num_attention_heads=s.heads, intermediate_size=s.ffn * s.d_model,
            max_position_embeddings=s.positions, pad_token_id=0, **extra,
        )  # fmt: skip
        return config

    return make


def _albert(vocab: int, s: Size, **extra: Any) -> PretrainedConfig:
    return transformers.AlbertConfig(
        vocab_size=vocab, embedding_size=s.d_model // 2, hidden_size=s.d_model,
        num_hidden_layers=s.layers, num_attention_heads=s.heads,
        intermediate_size=s.ffn * s.d_model, max_position_embeddings=s.positions, pad_token_id=0,
        **extra,
    )  # fmt: skip


def _electra(vocab: int, s: Size, **extra: Any) -> PretrainedConfig:
    return transformers.ElectraConfig(
        vocab_size=vocab, embedding_size=s.d_model, hidden_size=s.d_model,
        num_hidden_layers=s.layers, num_attention_heads=s.heads,
        intermediate_size=s.ffn * s.d_model, max_position_embeddings=s.positions, pad_token_id=0,
        **extra,
    )  # fmt: skip


def _distilbert(vocab: int, s: Size, **extra: Any) -> PretrainedConfig:
    return transformers.DistilBertConfig(
        vocab_size=vocab, dim=s.d_model, n_layers=s.layers, n_heads=s.heads,
        hidden_dim=s.ffn * s.d_model, max_position_embeddings=s.positions, pad_token_id=0,
        **extra,
    )  # fmt: skip


def _modernbert(vocab: int, s: Size, **extra: Any) -> PretrainedConfig:
    # Every other layer attends locally (released: global every third layer, 128 keys).
    return transformers.ModernBertConfig(  # type: ignore[call-arg]
        vocab_size=vocab, hidden_size=s.d_model, num_hidden_layers=s.layers,
        num_attention_heads=s.heads, intermediate_size=s.ffn * s.d_model,
        max_position_embeddings=s.positions, global_attn_every_n_layers=2,
        cls_token_id=1, sep_token_id=2, **IDS, **extra,
    )  # fmt: skip


def _gpt2(vocab: int, s: Size, **extra: Any) -> PretrainedConfig:
    return transformers.GPT2Config(
        vocab_size=vocab, n_embd=s.d_model, n_layer=s.layers, n_head=s.heads,
        n_inner=s.ffn * s.d_model, n_positions=s.positions, **IDS, **extra,
    )  # fmt: skip


def _gptj(vocab: int, s: Size, **extra: Any) -> PretrainedConfig:
    return transformers.GPTJConfig(
        vocab_size=vocab, n_embd=s.d_model, n_layer=s.layers, n_head=s.heads,
        n_inner=s.ffn * s.d_model, n_positions=s.positions, rotary_dim=s.d_head // 2, **IDS,
        **extra,
    )  # fmt: skip


def _opt(vocab: int, s: Size, **extra: Any) -> PretrainedConfig:
    return transformers.OPTConfig(
        vocab_size=vocab, hidden_size=s.d_model, num_hidden_layers=s.layers,
        num_attention_heads=s.heads, ffn_dim=s.ffn * s.d_model, word_embed_proj_dim=s.d_model,
        max_position_embeddings=s.positions, **IDS, **extra,
    )  # fmt: skip


def _decoder(cls: str, grouped: bool = True, head_dim: bool = False) -> ConfigMaker:
    """Llama's config fields, which most decoder-only families share; `grouped`: half as many
    key/value heads as query heads; `head_dim`: the family needs it given (Gemma, Qwen3)."""

    def make(vocab: int, s: Size, **extra: Any) -> PretrainedConfig:
        if grouped:
            extra.setdefault("num_key_value_heads", s.heads // 2)
        if head_dim:
            extra.setdefault("head_dim", s.d_head)
        config: PretrainedConfig = getattr(transformers, cls)(
            vocab_size=vocab, hidden_size=s.d_model, num_hidden_layers=s.layers,
            num_attention_heads=s.heads, intermediate_size=s.ffn * s.d_model,
            max_position_embeddings=s.positions, tie_word_embeddings=False, **IDS, **extra,
        )  # fmt: skip
        return config

    return make


def _gemma3(vocab: int, s: Size, **extra: Any) -> PretrainedConfig:
    # Scores scaled by 1/sqrt(query_pre_attn_scalar), as released; Gemma 2's soft cap kept.
    extra.setdefault("attn_logit_softcapping", 50.0)
    return _decoder("Gemma3TextConfig", head_dim=True)(
        vocab, s, query_pre_attn_scalar=s.d_head, **extra
    )


def _t5(cls: str) -> ConfigMaker:
    def make(vocab: int, s: Size, **extra: Any) -> PretrainedConfig:
        config: PretrainedConfig = getattr(transformers, cls)(
            vocab_size=vocab, d_model=s.d_model, d_kv=s.d_head, d_ff=s.ffn * s.d_model,
            num_layers=s.layers, num_decoder_layers=s.layers, num_heads=s.heads,
            relative_attention_num_buckets=8, relative_attention_max_distance=16,
            pad_token_id=0, eos_token_id=2, **extra,
        )  # fmt: skip
        config.decoder_start_token_id = 1
        return config

    return make


def _seq2seq(cls: str) -> ConfigMaker:
    def make(vocab: int, s: Size, **extra: Any) -> PretrainedConfig:
        config: PretrainedConfig = getattr(transformers, cls)(
            vocab_size=vocab, d_model=s.d_model, encoder_layers=s.layers,
            decoder_layers=s.layers, encoder_attention_heads=s.heads,
            decoder_attention_heads=s.heads, encoder_ffn_dim=s.ffn * s.d_model,
            decoder_ffn_dim=s.ffn * s.d_model, max_position_embeddings=s.positions,
            decoder_start_token_id=1, forced_eos_token_id=None, **IDS, **extra,
        )  # fmt: skip
        return config

    return make


def _every_layer(n: int) -> dict[str, Any]:
    return {"sliding_window": n}


def _mixed_layers(n: int) -> dict[str, Any]:
    """Qwen2 and Qwen3: a window on some layers only (here the first), as their configs allow."""
    return {
        "use_sliding_window": True, "sliding_window": n, "max_window_layers": 1,
        "layer_types": ["sliding_attention", "full_attention"],
    }  # fmt: skip


def _alternate_layers(n: int) -> dict[str, Any]:
    """Gemma 2 and 3: a window on every other layer (Gemma 3 ships five windowed to one full)."""
    return {"sliding_window": n, "layer_types": ["sliding_attention", "full_attention"]}


def _local_layers(n: int) -> dict[str, Any]:
    return {"local_attention": n}  # ModernBERT: each key within n/2 positions of the query


FAMILIES: tuple[Family, ...] = (
    # encoders
    Family("BERT", "bert", "encoder", _bert_like("BertConfig"), "BertModel"),
    Family("RoBERTa", "roberta", "encoder", _bert_like("RobertaConfig"), "RobertaModel"),
    Family("XLM-RoBERTa", "xlm-roberta", "encoder", _bert_like("XLMRobertaConfig"),
           "XLMRobertaModel"),
    Family("DistilBERT", "distilbert", "encoder", _distilbert, "DistilBertModel"),
    Family("ALBERT", "albert", "encoder", _albert, "AlbertModel"),
    Family("ELECTRA", "electra", "encoder", _electra, "ElectraModel"),
    Family("ModernBERT", "modernbert", "encoder", _modernbert, "ModernBertModel",
           _local_layers),
    # decoder-only
    Family("GPT-2", "gpt2", "decoder", _gpt2, "GPT2LMHeadModel"),
    Family("GPT-J", "gptj", "decoder", _gptj, "GPTJForCausalLM", upcast=True),
    Family("GPT-NeoX", "gpt_neox", "decoder", _decoder("GPTNeoXConfig", grouped=False),
           "GPTNeoXForCausalLM"),
    Family("OPT", "opt", "decoder", _opt, "OPTForCausalLM"),
    Family("Llama", "llama", "decoder", _decoder("LlamaConfig"), "LlamaForCausalLM"),
    Family("Qwen2", "qwen2", "decoder", _decoder("Qwen2Config"), "Qwen2ForCausalLM",
           _mixed_layers),
    Family("Qwen3", "qwen3", "decoder", _decoder("Qwen3Config", head_dim=True),
           "Qwen3ForCausalLM", _mixed_layers),
    Family("Mistral", "mistral", "decoder", _decoder("MistralConfig"), "MistralForCausalLM",
           _every_layer),
    Family("Gemma", "gemma", "decoder", _decoder("GemmaConfig", head_dim=True),
           "GemmaForCausalLM"),
    Family("Gemma 2", "gemma2", "decoder", _decoder("Gemma2Config", head_dim=True),
           "Gemma2ForCausalLM", _alternate_layers),
    Family("Gemma 3", "gemma3_text", "decoder", _gemma3, "Gemma3ForCausalLM",
           _alternate_layers),
    Family("Phi", "phi", "decoder", _decoder("PhiConfig"), "PhiForCausalLM"),
    Family("Phi-3", "phi3", "decoder", _decoder("Phi3Config"), "Phi3ForCausalLM",
           _every_layer),
    Family("StableLM", "stablelm", "decoder", _decoder("StableLmConfig"),
           "StableLmForCausalLM"),
    Family("OLMo", "olmo", "decoder", _decoder("OlmoConfig"), "OlmoForCausalLM"),
    Family("Starcoder2", "starcoder2", "decoder", _decoder("Starcoder2Config"),
           "Starcoder2ForCausalLM", _every_layer),
    Family("Falcon", "falcon", "decoder", _decoder("FalconConfig", grouped=False),
           "FalconForCausalLM"),
    # encoder-decoder
    Family("T5", "t5", "seq2seq", _t5("T5Config"), "T5ForConditionalGeneration"),
    Family("MT5", "mt5", "seq2seq", _t5("MT5Config"), "MT5ForConditionalGeneration"),
    Family("BART", "bart", "seq2seq", _seq2seq("BartConfig"), "BartForConditionalGeneration"),
    Family("mBART", "mbart", "seq2seq", _seq2seq("MBartConfig"),
           "MBartForConditionalGeneration"),
    Family("Pegasus", "pegasus", "seq2seq", _seq2seq("PegasusConfig"),
           "PegasusForConditionalGeneration"),
    Family("Marian", "marian", "seq2seq", _seq2seq("MarianConfig"), "MarianMTModel"),
)  # fmt: skip
BY_TYPE: dict[str, Family] = {f.model_type: f for f in FAMILIES}


class UnsupportedModel(ValueError):
    """A model of a kind the capture API cannot read; the message names the supported ones."""


def family_of(config: Any) -> Family:
    """The family of a config, or UnsupportedModel naming the supported families (vision and
    audio models, and text models whose attention bypasses Transformers' interface)."""
    model_type = str(getattr(config, "model_type", "") or "unknown")
    family = BY_TYPE.get(model_type)
    if family is None:
        raise UnsupportedModel(
            f"not a supported kind: '{model_type}'. Attention Atlas reads text transformers "
            f"whose attention runs through Transformers' attention interface: {SUPPORTED}."
        )
    return family


def write_tiny(
    family: Family,
    folder: str | Path,
    seed: int = 0,
    variant: Variant = PLAIN,
    size: Size | None = None,
) -> Path:
    """Save a tiny random model of `family` (or one of `size`) with the packaged MiniLM's
    tokenizer (its vocabulary sizes the model) into `folder`, as a user's checkpoint would
    be: safetensors weights (in the variant's dtype), config and tokenizer. Returns the
    folder."""
    from transformers import AutoTokenizer

    from model.hf.loading import minilm_path

    folder = Path(folder)
    tokenizer = AutoTokenizer.from_pretrained(str(minilm_path()))
    model = family.tiny(vocab_size=len(tokenizer), seed=seed, size=size, variant=variant)
    config = model.config
    config.pad_token_id = tokenizer.pad_token_id
    if family.kind != "encoder":  # what generation starts from and stops at
        config.bos_token_id = config.decoder_start_token_id = tokenizer.cls_token_id
        config.eos_token_id = tokenizer.sep_token_id
        model.generation_config.update(
            bos_token_id=config.bos_token_id, eos_token_id=config.eos_token_id,
            pad_token_id=config.pad_token_id, decoder_start_token_id=config.bos_token_id,
        )  # fmt: skip
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder
