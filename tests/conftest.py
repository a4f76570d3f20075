"""Shared fixtures. Tests never touch the network: the hub is switched off before any import."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LEVELS = ("unit", "integration", "app", "browser")  # a test's level is its folder's name


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its level, from the folder it is in, so `-m` selects by level
    (`pytest -m "not browser"`) and no file can forget its marker."""
    for item in items:
        level = Path(item.path).parent.name
        if level in LEVELS:
            item.add_marker(level)


@pytest.fixture(scope="session")
def tiny_bert():
    """A random BERT (vocabulary 120), shared by the tests that only read it."""
    from tests.tiny import tiny_hf

    return tiny_hf("bert")


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


# name: (model_type, how it is built: model.hf.families.Variant's fields)
LISTED = {
    "tiny-bert": ("bert", {}),
    "tiny-gpt2": ("gpt2", {}),
    "tiny-llama": ("llama", {}),
    "tiny-t5": ("t5", {}),
    "bf16-llama": ("llama", {"dtype": "bfloat16"}),  # as Llama, Qwen2 and Mistral ship
    "window-mistral": ("mistral", {"window": 4}),  # shorter than any text and what it writes
    "padded-gpt2": ("gpt2", {"padded": 64}),  # writes ids its tokenizer has no token for
}
WINDOW = 4
WIDE = "wide-llama"  # in the models file beside LISTED: the views of 512 heads


@pytest.fixture(scope="session")
def models_file(tmp_path_factory):
    """A models file as an operator writes one, listing tiny random models saved the way a
    user's checkpoints are (safetensors, config, tokenizer): one of each kind, Llama for
    grouped-query attention, one in bfloat16, a Mistral with a sliding window, a GPT-2 with a
    padded vocabulary, and one with pickle weights only, which must be refused."""
    import torch

    from model.hf.families import BY_TYPE, Variant, write_tiny

    root = tmp_path_factory.mktemp("listed")
    lines = []
    for name, (model_type, fields) in LISTED.items():
        fields = {k: getattr(torch, v) if k == "dtype" else v for k, v in fields.items()}
        write_tiny(BY_TYPE[model_type], root / name, variant=Variant(**fields))
        lines.append(f'[[model]]\nname = "{name}"\nsource = "{name}"\nnote = "random weights"\n')
    # Llama-3.2-1B's layout of heads (16 layers x 32 heads, 8 key/value heads), tiny otherwise
    from model.hf.families import Size

    write_tiny(BY_TYPE["llama"], root / WIDE, size=Size(d_model=64, layers=16, heads=32))
    lines.append(f'[[model]]\nname = "{WIDE}"\nsource = "{WIDE}"\n')
    pickled = write_tiny(BY_TYPE["bert"], root / "pickled")
    (pickled / "model.safetensors").rename(pickled / "pytorch_model.bin")
    lines.append('[[model]]\nname = "pickled"\nsource = "pickled"\n')
    path = root / "models.toml"
    path.write_text("\n".join(lines))
    return path
