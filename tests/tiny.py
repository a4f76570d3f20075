"""Tiny random models for tests, built one way: Hugging Face families by the builders the
app's family checks use (model.hf.families), our transformer from its config. Fixtures
that share one (tests/conftest.py: tiny_bert) are built here too."""

from __future__ import annotations


def tiny_hf(model_type: str = "bert", vocab_size: int = 120, **how):
    """A random Hugging Face model of a family (2 layers, 4 heads, d_model 32 unless `size`
    says otherwise), built by model.hf.families as the family checks build theirs, and
    instrumented. `how`: Family.tiny's seed, size, variant, head and config fields."""
    from model.core.instrument import instrument
    from model.hf.families import BY_TYPE

    return instrument(BY_TYPE[model_type].tiny(vocab_size, **how))


def tiny_transformer(seed: int = 0, **fields):
    """Our transformer, random: 2 layers, 4 heads, d_model 32, unless `fields` (any of
    TransformerConfig's) say otherwise; in eval mode."""
    import torch

    from model.transformer.config import TransformerConfig
    from model.transformer.model import make_model

    sizes = {"src_vocab_size": 20, "tgt_vocab_size": 22, "d_model": 32, "n_heads": 4,
             "d_ff": 64, "n_layers": 2, "dropout": 0.0, "max_len": 16}  # fmt: skip
    torch.manual_seed(seed)
    return make_model(TransformerConfig(**(sizes | fields))).eval()
