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
from typing import Any, Literal

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
class Family:
    name: str
    model_type: str  # the config's model_type
    kind: Kind
    config: Callable[[int, Size], PretrainedConfig]  # (vocabulary size, model size)
    model_class: str  # the transformers class of the tiny model

    @property
    def stacks(self) -> tuple[Stack, ...]:
        return STACKS_OF[self.kind]

    def tiny(
        self, vocab_size: int = 99, seed: int = 0, size: Size | None = None
    ) -> PreTrainedModel:
        """A random model of the family (by default 2 layers, 4 heads, d_model 32), with
        Transformers' eager attention."""
        config = self.config(vocab_size, size or TINY)
        config._attn_implementation = "eager"
        torch.manual_seed(seed)
        model: PreTrainedModel = getattr(transformers, self.model_class)(config)
        return model.eval()


@dataclass(frozen=True)
class Size:
    """How big a built model is: the tests' tiny one by default, bench/byo.py's larger."""

    d_model: int = 32
    layers: int = 2
    heads: int = 4  # of d_model / heads dimensions
    positions: int = 128
    ffn: int = 2  # d_ff = ffn x d_model (4 in the released models of most families)


TINY = Size()
ConfigMaker = Callable[[int, Size], PretrainedConfig]


def _bert_like(cls: str) -> ConfigMaker:
    def make(vocab: int, s: Size) -> PretrainedConfig:
        config: PretrainedConfig = getattr(transformers, cls)(
            vocab_size=vocab, hidden_size=s.d_model, num_hidden_layers=s.layers,
            num_attention_heads=s.heads, intermediate_size=s.ffn * s.d_model,
            max_position_embeddings=s.positions, pad_token_id=0,
        )  # fmt: skip
        return config

    return make


def _albert(vocab: int, s: Size) -> PretrainedConfig:
    return transformers.AlbertConfig(
        vocab_size=vocab, embedding_size=s.d_model // 2, hidden_size=s.d_model,
        num_hidden_layers=s.layers, num_attention_heads=s.heads,
        intermediate_size=s.ffn * s.d_model, max_position_embeddings=s.positions, pad_token_id=0,
    )  # fmt: skip


def _electra(vocab: int, s: Size) -> PretrainedConfig:
    return transformers.ElectraConfig(
        vocab_size=vocab, embedding_size=s.d_model, hidden_size=s.d_model,
        num_hidden_layers=s.layers, num_attention_heads=s.heads,
        intermediate_size=s.ffn * s.d_model, max_position_embeddings=s.positions, pad_token_id=0,
    )  # fmt: skip


def _distilbert(vocab: int, s: Size) -> PretrainedConfig:
    return transformers.DistilBertConfig(
        vocab_size=vocab, dim=s.d_model, n_layers=s.layers, n_heads=s.heads,
        hidden_dim=s.ffn * s.d_model, max_position_embeddings=s.positions, pad_token_id=0,
    )  # fmt: skip


def _gpt2(vocab: int, s: Size) -> PretrainedConfig:
    return transformers.GPT2Config(
        vocab_size=vocab, n_embd=s.d_model, n_layer=s.layers, n_head=s.heads,
        n_inner=s.ffn * s.d_model, n_positions=s.positions, bos_token_id=1, eos_token_id=2,
        pad_token_id=0,
    )  # fmt: skip


def _llama_like(cls: str) -> ConfigMaker:
    def make(vocab: int, s: Size) -> PretrainedConfig:
        config: PretrainedConfig = getattr(transformers, cls)(
            vocab_size=vocab, hidden_size=s.d_model, num_hidden_layers=s.layers,
            num_attention_heads=s.heads, num_key_value_heads=s.heads // 2,
            intermediate_size=s.ffn * s.d_model, max_position_embeddings=s.positions,
            bos_token_id=1, eos_token_id=2, pad_token_id=0, tie_word_embeddings=False,
        )  # fmt: skip
        return config

    return make


def _t5(vocab: int, s: Size) -> PretrainedConfig:
    config = transformers.T5Config(
        vocab_size=vocab, d_model=s.d_model, d_kv=s.d_model // s.heads, d_ff=s.ffn * s.d_model,
        num_layers=s.layers, num_decoder_layers=s.layers, num_heads=s.heads,
        relative_attention_num_buckets=8, relative_attention_max_distance=16,
        pad_token_id=0, eos_token_id=2,
    )  # fmt: skip
    config.decoder_start_token_id = 1
    return config


def _seq2seq(cls: str) -> ConfigMaker:
    def make(vocab: int, s: Size) -> PretrainedConfig:
        config: PretrainedConfig = getattr(transformers, cls)(
            vocab_size=vocab, d_model=s.d_model, encoder_layers=s.layers,
            decoder_layers=s.layers, encoder_attention_heads=s.heads,
            decoder_attention_heads=s.heads, encoder_ffn_dim=s.ffn * s.d_model,
            decoder_ffn_dim=s.ffn * s.d_model, max_position_embeddings=s.positions,
            pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=1,
            forced_eos_token_id=None,
        )  # fmt: skip
        return config

    return make


FAMILIES: tuple[Family, ...] = (
    Family("BERT", "bert", "encoder", _bert_like("BertConfig"), "BertModel"),
    Family("RoBERTa", "roberta", "encoder", _bert_like("RobertaConfig"), "RobertaModel"),
    Family("DistilBERT", "distilbert", "encoder", _distilbert, "DistilBertModel"),
    Family("ALBERT", "albert", "encoder", _albert, "AlbertModel"),
    Family("ELECTRA", "electra", "encoder", _electra, "ElectraModel"),
    Family("GPT-2", "gpt2", "decoder", _gpt2, "GPT2LMHeadModel"),
    Family("Llama", "llama", "decoder", _llama_like("LlamaConfig"), "LlamaForCausalLM"),
    Family("Qwen2", "qwen2", "decoder", _llama_like("Qwen2Config"), "Qwen2ForCausalLM"),
    Family("Mistral", "mistral", "decoder", _llama_like("MistralConfig"), "MistralForCausalLM"),
    Family("T5", "t5", "seq2seq", _t5, "T5ForConditionalGeneration"),
    Family("BART", "bart", "seq2seq", _seq2seq("BartConfig"), "BartForConditionalGeneration"),
    Family("Marian", "marian", "seq2seq", _seq2seq("MarianConfig"), "MarianMTModel"),
)
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
            f"'{model_type}' models are not supported: Attention Atlas reads text "
            f"transformers whose attention runs through Transformers' attention interface: "
            f"{SUPPORTED}."
        )
    return family


def write_tiny(family: Family, folder: str | Path, seed: int = 0) -> Path:
    """Save a tiny random model of `family` with the packaged MiniLM's tokenizer (its
    vocabulary sizes the model) into `folder`, as a user's checkpoint would be: safetensors
    weights, config and tokenizer. Returns the folder."""
    from transformers import AutoTokenizer

    from model.hf.loading import minilm_path

    folder = Path(folder)
    tokenizer = AutoTokenizer.from_pretrained(str(minilm_path()))
    model = family.tiny(vocab_size=len(tokenizer), seed=seed)
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
