"""Shared fixtures. Tests never touch the network: the hub is switched off before any import."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def minilm():
    """The packaged MiniLM, loaded once for the whole run (model, tokenizer)."""
    from model.hf.loading import load_bert

    return load_bert()


@pytest.fixture(scope="session")
def minilm_reference():
    """A second, untouched copy of MiniLM with Hugging Face's own eager attention."""
    from transformers import AutoModel

    from model.hf.loading import minilm_path

    return AutoModel.from_pretrained(minilm_path(), attn_implementation="eager").eval()
