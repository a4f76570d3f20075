"""Fine-tune MiniLM with a LoRA adapter on the generated QA data (python -m model.train qa)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from model.bert import minilm_path
from model.finetune import batches, fit, lora_model
from model.qa import CHECKPOINT_DIR, exact_match
from model.qa_data import QAExample, generated_splits

MAX_LENGTH = 256


def qa_features(tokenizer: Any, examples: Sequence[QAExample]) -> list[dict[str, Any]]:
    """Token start/end positions of each answer; [CLS] (position 0) when there is none."""
    features = []
    for example in examples:
        enc = tokenizer(
            example.question,
            example.context,
            truncation="only_second",
            max_length=MAX_LENGTH,
            return_offsets_mapping=True,
        )
        start = end = 0
        if example.answer_start >= 0:
            first, last = example.answer_start, example.answer_start + len(example.answer)
            seq_ids = enc.sequence_ids()
            for i, (a, b) in enumerate(enc["offset_mapping"]):
                if seq_ids[i] != 1:
                    continue
                if a <= first < b:
                    start = i
                if a < last <= b:
                    end = i
            if not start or not end:
                continue  # answer cut off by truncation: leave the example out
        enc.pop("offset_mapping")
        features.append({**enc, "start_positions": start, "end_positions": end})
    return features


def qa_collate(tokenizer: Any) -> Callable[[list[dict[str, Any]]], dict[str, torch.Tensor]]:
    def collate(batch: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        positions = {
            k: torch.tensor([f[k] for f in batch]) for k in ("start_positions", "end_positions")
        }
        inputs = [{k: v for k, v in f.items() if k not in positions} for f in batch]
        return {**tokenizer.pad(inputs, return_tensors="pt"), **positions}

    return collate


@torch.inference_mode()
def predict_spans(model: Any, tokenizer: Any, examples: Sequence[QAExample]) -> list[str]:
    """Fast batched prediction for training-time validation (best span or "" for [CLS])."""
    answers = []
    for batch in batches(examples, 64, None):
        enc = tokenizer(
            [e.question for e in batch],
            [e.context for e in batch],
            truncation="only_second",
            max_length=MAX_LENGTH,
            padding=True,
            return_offsets_mapping=True,
            return_tensors="pt",
        )
        offsets = enc.pop("offset_mapping")
        out = model(**enc)
        for row, example in enumerate(batch):
            seq_ids = enc.sequence_ids(row)
            start, end = out.start_logits[row], out.end_logits[row]
            best, span = float(start[0] + end[0]), ""
            context = [i for i, s in enumerate(seq_ids) if s == 1]
            for s in sorted(context, key=lambda i: -float(start[i]))[:10]:
                for e in sorted(context, key=lambda i: -float(end[i]))[:10]:
                    if s <= e < s + 30 and float(start[s] + end[e]) > best:
                        best = float(start[s] + end[e])
                        span = example.context[int(offsets[row][s][0]) : int(offsets[row][e][1])]
            answers.append(span)
    return answers


def generated_em(model: Any, tokenizer: Any, examples: Sequence[QAExample]) -> float:
    predictions = predict_spans(model, tokenizer, examples)
    scores = [
        exact_match(p, [e.answer]) if e.answer else float(p == "")
        for p, e in zip(predictions, examples, strict=True)
    ]
    return 100 * sum(scores) / len(scores)


def train_qa(args: argparse.Namespace) -> dict[str, Any]:
    from transformers import AutoTokenizer, BertForQuestionAnswering

    splits = generated_splits()
    train, valid = splits["train"], splits["valid"]
    if args.tiny:
        train, valid = train[:64], valid[:32]
    tokenizer = AutoTokenizer.from_pretrained(minilm_path())
    base = BertForQuestionAnswering.from_pretrained(minilm_path(), attn_implementation="eager")
    model = lora_model(base, "QUESTION_ANS", args.rank, args.resume)
    out_dir = Path(args.out or CHECKPOINT_DIR)
    out_dir.mkdir(parents=True, exist_ok=True)
    print(f"QA: {len(train)} generated training questions, {len(valid)} validation")
    return fit(
        model,
        qa_features(tokenizer, train),
        qa_collate(tokenizer),
        lambda m: generated_em(m, tokenizer, valid),
        out_dir,
        args,
    )
