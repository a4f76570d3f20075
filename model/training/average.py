"""Checkpoint averaging, as the paper's base models were made (section 6.1: "a single model
obtained by averaging the last 5 checkpoints").

    python -m model.train average runs/snapshots/step-2*.safetensors --like runs/translation \\
        --out checkpoints/translation

Each input is a weights file written by a run of `python -m model.train translation`
(`--snapshots DIR` keeps one per validation); they must share one config. `--like` names the
checkpoint folder whose config, tokenizer and training record go with the averaged weights.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file


def average_state_dicts(states: Sequence[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """The element-wise mean of weights with the same names and shapes, in float32."""
    if not states:
        raise ValueError("nothing to average: no checkpoints given")
    names = set(states[0])
    for index, state in enumerate(states[1:], start=1):
        if set(state) != names:
            raise ValueError(f"checkpoint {index} has other weights than checkpoint 0")
        for name in names:
            if state[name].shape != states[0][name].shape:
                raise ValueError(
                    f"{name} is {tuple(state[name].shape)} in checkpoint {index} but "
                    f"{tuple(states[0][name].shape)} in checkpoint 0"
                )
    return {
        name: torch.stack([s[name].float() for s in states]).mean(dim=0)
        for name in states[0]  # (shape of the weight)
    }


def average_files(paths: Sequence[Path], like: Path, out: Path) -> dict[str, Any]:
    """Average the weights files into `out` (float16, as every shipped checkpoint), next to
    the config and tokenizer of the checkpoint folder `like`. The training record goes with
    them, its best validation loss replaced by the averaged model's own."""
    from model.tasks.translation import OurTranslator
    from model.training.translation import MAX_TOKENS, split_loss

    averaged = average_state_dicts([load_file(str(p)) for p in paths])
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.to(torch.float16).contiguous() for k, v in averaged.items()}
    save_file(state, str(out / "model.safetensors"))
    for name in ("config.json", "tokenizer.json"):
        if (like / name).resolve() != (out / name).resolve():
            shutil.copyfile(like / name, out / name)
    record: dict[str, Any] = {}
    if (like / "training.json").exists():
        record = json.loads((like / "training.json").read_text())
    record["averaged"] = [p.name for p in paths]
    averaged_model = OurTranslator.load(out)
    max_tokens = int(record.get("arguments", {}).get("max_tokens", MAX_TOKENS))
    loss = split_loss(averaged_model.model, averaged_model.tokenizer, "valid", max_tokens)
    if "best_valid_loss" in record:
        record["valid_loss_before_averaging"] = record["best_valid_loss"]
    record["best_valid_loss"] = round(loss, 4)
    (out / "training.json").write_text(json.dumps(record, indent=2) + "\n")
    return record
