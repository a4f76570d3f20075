"""The fine-tuning loop shared by the NER and QA adapters: LoRA on MiniLM, AdamW with linear
warm-up and decay, validation after each epoch, the best epoch kept."""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

LORA_TARGETS = ["query", "key", "value", "dense"]  # every attention and feed-forward projection


@dataclass(frozen=True)
class FinetuneConfig:
    """One fine-tuning run (`python -m model.train ner|qa`)."""

    out: Path
    epochs: int
    minutes: float = 25.0  # wall-clock budget; the epoch running when it ends is the last
    lr: float = 1e-3
    rank: int = 16  # LoRA rank
    batch_size: int = 16
    seed: int = 13
    tiny: bool = False  # a smoke run on a slice of the data
    resume: str = ""  # continue the adapter saved in this folder
    quiet: bool = False
    casing: bool = True  # NER: give the uncased model each word's casing (model.tasks.ner)

    def __post_init__(self) -> None:
        for name in ("epochs", "rank", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.minutes <= 0 or self.lr <= 0:
            raise ValueError("minutes and lr must be positive")


def lora_model(
    model: Any, task_type: str, rank: int, resume: str = "", also_train: Sequence[str] = ()
) -> Any:
    """LoRA adapters on every attention and feed-forward projection, plus whole copies of the
    modules named in `also_train` (the task head is always one); with `resume`, the adapter
    saved in that folder, trainable, to continue from."""
    from peft import LoraConfig, PeftModel, get_peft_model

    if resume:
        model = PeftModel.from_pretrained(model, resume, is_trainable=True)
        config = model.peft_config["default"]  # peft appends the head's name again on each load
        config.modules_to_save = list(dict.fromkeys(config.modules_to_save or [])) or None
        return model

    config = LoraConfig(
        task_type=task_type,
        r=rank,
        lora_alpha=2 * rank,
        lora_dropout=0.1,
        target_modules=LORA_TARGETS,
        modules_to_save=list(also_train) or None,
    )
    return get_peft_model(model, config)


def batches(items: Sequence[Any], size: int, rng: random.Random | None) -> Iterator[list[Any]]:
    """`items` in batches of `size`, in an order shuffled by `rng` (in order without one)."""
    order = list(range(len(items)))
    if rng is not None:
        rng.shuffle(order)
    for start in range(0, len(order), size):
        yield [items[i] for i in order[start : start + size]]


def fit(
    model: Any,
    train: Sequence[Any],
    collate: Callable[[list[Any]], dict[str, torch.Tensor]],
    score: Callable[[Any], float],
    config: FinetuneConfig,
) -> dict[str, Any]:
    """Train `model` (a peft model) on the features `train`; after each epoch, `score` it on
    validation data and save the adapter to `config.out` when it beats the best so far.
    Writes and returns a summary (training.json)."""
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    total = steps_per_epoch * config.epochs
    warmup = max(1, int(0.06 * total))
    optimiser = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=config.lr, weight_decay=0.01
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup)))
    )
    config.out.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + 60 * config.minutes
    start = time.monotonic()
    best, history = -1.0, []
    for epoch in range(1, config.epochs + 1):
        model.train()
        bar = tqdm(
            list(batches(train, config.batch_size, rng)),
            desc=f"epoch {epoch}",
            disable=config.quiet,
        )
        for batch in bar:
            loss = model(**collate(batch)).loss
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            scheduler.step()
            bar.set_postfix(loss=f"{loss.item():.4f}")
        model.eval()
        value = score(model)
        history.append({"epoch": epoch, "valid": round(value, 4)})
        if value > best:
            best = value
            model.save_pretrained(str(config.out))
        tqdm.write(f"epoch {epoch}: validation {value:.2f} (best {best:.2f})")
        if time.monotonic() > deadline:
            tqdm.write("time budget reached")
            break
    summary = {
        "minutes": round((time.monotonic() - start) / 60, 1),
        "best_valid": round(best, 4),
        "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "train_examples": len(train),
        "arguments": asdict(config),
        "history": history,
    }
    (config.out / "training.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return summary
