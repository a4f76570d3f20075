"""Whole fine-tuned layers, stored as float16 differences from the packaged base weights.

The alternative to a LoRA adapter when the top encoder layers are trained outright
(`python -m model.train ner --layers K`). Only what training changed is kept: for each
trained tensor of the base, (trained - base) in float16; for modules the base does not
have in this shape (the task head, the widened casing embedding), the trained tensor
itself. Loading adds the differences back to the package's float32 weights, so the
rounding is that of a difference, not of a weight, and the repository never holds the
base.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

DELTAS = "deltas.safetensors"
META = "deltas.json"


def train_top_layers(model: Any, layers: int, whole: Sequence[str]) -> dict[str, torch.Tensor]:
    """Freeze all but the top `layers` encoder layers and the modules whose names contain one
    of `whole`; return a copy of the trainable tensors as they are now (the base)."""
    encoder = model.base_model.encoder.layer
    if not 0 < layers <= len(encoder):
        raise ValueError(f"--layers must be between 1 and {len(encoder)}")
    first = len(encoder) - layers
    top = [f"{model.base_model_prefix}.encoder.layer.{i}." for i in range(first, len(encoder))]
    base = {}
    for name, parameter in model.named_parameters():
        parameter.requires_grad = any(w in name for w in whole) or any(
            name.startswith(prefix) for prefix in top
        )
        if parameter.requires_grad:
            base[name] = parameter.detach().clone()
    return base


def save_deltas(
    model: Any, base: dict[str, torch.Tensor], directory: Path, whole: Sequence[str], **meta: Any
) -> None:
    """Write DELTAS (differences and whole tensors) and META (what the loader must know)."""
    tensors = {}
    for name, parameter in model.named_parameters():
        if name not in base:
            continue
        value = parameter.detach()
        if any(w in name for w in whole):
            tensors[f"whole.{name}"] = value.float().contiguous()
        else:
            tensors[f"delta.{name}"] = (value - base[name]).half().contiguous()
    directory.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(directory / DELTAS))
    (directory / META).write_text(json.dumps(meta, indent=2) + "\n")


def read_meta(directory: Path) -> dict[str, Any]:
    path = Path(directory) / META
    return json.loads(path.read_text()) if path.exists() else {}


def has_deltas(directory: Path) -> bool:
    return (Path(directory) / DELTAS).exists()


@torch.no_grad()
def apply_deltas(model: Any, directory: Path) -> Any:
    """Add the saved differences to the base weights and put the whole tensors in place."""
    with safe_open(str(Path(directory) / DELTAS), framework="pt") as saved:
        for key in saved.keys():  # noqa: SIM118 (safe_open is not a dict)
            kind, name = key.split(".", 1)
            parameter = model.get_parameter(name)
            value = saved.get_tensor(key).to(parameter.dtype)
            if value.shape != parameter.shape:
                raise ValueError(
                    f"{key}: saved {tuple(value.shape)}, model has {tuple(parameter.shape)}"
                )
            if kind == "delta":
                parameter.add_(value)
            else:
                parameter.copy_(value)
    return model
