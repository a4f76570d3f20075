"""Fine-tune a copy of a shipped model on a small file a user uploads, capped in steps and time
(the "Fine-tune on your data" page). The shipped model is never touched."""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch

from model.core.instrument import instrument
from model.tasks.ner import uses_casing
from model.training.loop import batches, lora_model
from model.training.ner import ner_features, pad_collate, tagger_base
from model.training.qa import qa_collate, qa_features


def train_steps(
    model: Any,
    features: Sequence[Any],
    collate: Callable[[list[Any]], dict[str, torch.Tensor]],
    max_steps: int,
    max_seconds: float,
    on_step: Callable[[int, float], None] | None = None,
    lr: float = 1e-3,
    batch_size: int = 8,
    seed: int = 13,
) -> list[float]:
    """A short fine-tuning run with a cap on steps and on time (for data a user uploads)."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    deadline = time.monotonic() + max_seconds
    losses: list[float] = []
    model.train()
    while len(losses) < max_steps and time.monotonic() < deadline:
        for batch in batches(features, batch_size, rng):
            loss = model(**collate(batch)).loss
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
            if on_step is not None:
                on_step(len(losses), losses[-1])
            if len(losses) >= max_steps or time.monotonic() >= deadline:
                break
    model.eval()
    return losses


def finetune_copy(
    model: Any,
    tokenizer: Any,
    task: str,
    data: Sequence[Any],
    max_steps: int,
    max_seconds: float,
    on_step: Callable[[int, float], None] | None = None,
) -> tuple[Any, list[float], str]:
    """Fine-tune a copy of a shipped model on a user's examples; the shipped model is not
    touched. Returns the tuned model (adapter merged, instrumented), the losses, and a note.

    NER tags outside the model's label set get a fresh head on the packaged MiniLM.
    """

    note = "fine-tuned a copy of the shipped model"
    if task == "ner":
        tags = sorted({tag for _, sentence_tags in data for tag in sentence_tags})
        known = model.config.label2id
        if all(tag in known for tag in tags):
            base, label_ids = copy.deepcopy(model), dict(known)
        else:
            labels = ["O", *(t for t in tags if t != "O")]
            label_ids = {label: i for i, label in enumerate(labels)}
            base = tagger_base(labels)
            note = "your tags differ from the shipped model's, so a new head was trained on MiniLM"
        features = ner_features(tokenizer, data, label_ids, uses_casing(base))
        collate, task_type = pad_collate(tokenizer), "TOKEN_CLS"
    else:
        base = copy.deepcopy(model)
        features, collate, task_type = (
            qa_features(tokenizer, data),
            qa_collate(tokenizer),
            "QUESTION_ANS",
        )
    if not features:
        raise ValueError("no usable examples (answers cut off by the length limit?)")
    tuned = lora_model(base, task_type, rank=8)
    losses = train_steps(tuned, features, collate, max_steps, max_seconds, on_step)
    merged = tuned.merge_and_unload().eval()
    return instrument(merged), losses, note
