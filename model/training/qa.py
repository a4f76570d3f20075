"""Fine-tune MiniLM for extractive QA on the generated data with a LoRA adapter
(python -m model.train qa). Validation is the reader's own decoding (`QAReader.answer`),
scored by exact match, exactly as `python -m model.evaluate qa` scores the test set."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from model.datasets.qa_generator import QAExample, generated_splits
from model.hf.loading import minilm_path
from model.tasks.qa import QAReader, answer_em
from model.training.loop import FinetuneConfig, fit, lora_model

MAX_LENGTH = 256  # word pieces per training question and context


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


def generated_em(reader: QAReader, examples: Sequence[QAExample]) -> float:
    """Exact match (0..100) of the reader on generated questions, unanswerable ones included."""
    scores = [answer_em(reader.answer(e.question, e.context), [e.answer]) for e in examples]
    return 100 * sum(scores) / len(scores)


def train_qa(config: FinetuneConfig) -> dict[str, Any]:
    from transformers import AutoTokenizer, BertForQuestionAnswering

    splits = generated_splits()
    train, valid = splits["train"], splits["valid"]
    if config.tiny:
        train, valid = train[:64], valid[:32]
    tokenizer = AutoTokenizer.from_pretrained(minilm_path())
    base = BertForQuestionAnswering.from_pretrained(minilm_path(), attn_implementation="eager")
    model = lora_model(base, "QUESTION_ANS", config.rank, config.resume)
    print(f"QA: {len(train)} generated training questions, {len(valid)} validation")
    return fit(
        model,
        qa_features(tokenizer, train),
        qa_collate(tokenizer),
        lambda m: generated_em(QAReader(m, tokenizer), valid),
        config,
    )
