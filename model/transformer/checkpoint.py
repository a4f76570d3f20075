"""A trained transformer on disk: float16 safetensors weights, its config and its tokenizer.

Each file is written to a temporary name and then renamed over the old one, so a run that
stops mid-write (a full disk, a kill) leaves the previous file whole, never half of a new one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer

from model.core.errors import CheckpointError
from model.transformer.config import TransformerConfig
from model.transformer.model import Transformer, make_model

WEIGHTS, CONFIG, TOKENIZER = "model.safetensors", "config.json", "tokenizer.json"
RETRAIN = (
    "Restore the shipped files (git checkout checkpoints/translation) or train a new "
    "checkpoint: python -m model.train translation"
)


def write_atomically(path: Path, write: Callable[[str], None]) -> None:
    """`write(temporary_path)`, then rename it to `path`; on any error nothing is left."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_weights(model: Transformer, path: Path) -> None:
    """The weights alone, as float16 safetensors on the CPU."""
    state = {
        k: v.detach().to("cpu", torch.float16).contiguous() for k, v in model.state_dict().items()
    }
    write_atomically(path, lambda name: save_file(state, name))


def save_checkpoint(model: Transformer, tokenizer: Tokenizer, directory: Path) -> None:
    """float16 weights (safetensors), the config and the tokenizer, side by side."""
    save_weights(model, directory / WEIGHTS)
    write_atomically(directory / CONFIG, model.config.to_json)
    write_atomically(directory / TOKENIZER, tokenizer.save)


def load_weights(model: Transformer, path: Path) -> Transformer:
    """Weights saved by `save_weights`, back in float32."""
    model.load_state_dict({k: v.float() for k, v in load_file(str(path)).items()})
    return model


def load_checkpoint(directory: Path) -> tuple[Transformer, Tokenizer]:
    """The model (instrumented, in eval mode) and tokenizer saved by `save_checkpoint`.

    Raises CheckpointError, with a message to show, if a file is missing or unreadable."""
    missing = [name for name in (WEIGHTS, CONFIG, TOKENIZER) if not (directory / name).is_file()]
    if missing:
        raise CheckpointError(
            "translation checkpoint", directory, f"{missing[0]} is missing", RETRAIN
        )
    try:
        model = make_model(TransformerConfig.from_json(directory / CONFIG))
        load_weights(model, directory / WEIGHTS)
        tokenizer = Tokenizer.from_file(str(directory / TOKENIZER))
    except Exception as error:  # corrupt or mismatched files: say which folder and why
        reason = f"{type(error).__name__}: {str(error)[:200]}"
        raise CheckpointError("translation checkpoint", directory, reason, RETRAIN) from error
    return model.eval(), tokenizer
