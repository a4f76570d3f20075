"""A trained transformer on disk: float16 safetensors weights, its config and its tokenizer."""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer

from model.transformer.config import TransformerConfig
from model.transformer.model import Transformer, make_model

WEIGHTS, CONFIG, TOKENIZER = "model.safetensors", "config.json", "tokenizer.json"


def save_weights(model: Transformer, path: Path) -> None:
    """The weights alone, as float16 safetensors on the CPU."""
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        k: v.detach().to("cpu", torch.float16).contiguous() for k, v in model.state_dict().items()
    }
    save_file(state, str(path))


def save_checkpoint(model: Transformer, tokenizer: Tokenizer, directory: Path) -> None:
    """float16 weights (safetensors), the config and the tokenizer, side by side."""
    save_weights(model, directory / WEIGHTS)
    model.config.to_json(directory / CONFIG)
    tokenizer.save(str(directory / TOKENIZER))


def load_weights(model: Transformer, path: Path) -> Transformer:
    """Weights saved by `save_weights`, back in float32."""
    model.load_state_dict({k: v.float() for k, v in load_file(str(path)).items()})
    return model


def load_checkpoint(directory: Path) -> tuple[Transformer, Tokenizer]:
    """The model (instrumented, in eval mode) and tokenizer saved by `save_checkpoint`."""
    if not (directory / WEIGHTS).exists():
        raise FileNotFoundError(
            f"no translation checkpoint in {directory}: run `python -m model.train translation`"
        )
    model = load_weights(
        make_model(TransformerConfig.from_json(directory / CONFIG)), directory / WEIGHTS
    )
    return model.eval(), Tokenizer.from_file(str(directory / TOKENIZER))
