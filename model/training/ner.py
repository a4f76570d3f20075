"""Fine-tune MiniLM for named entities on WNUT-16 with a LoRA adapter (python -m model.train ner).

Each word's label goes on its first word piece (the others are ignored by the loss); with
casing on, the segment embedding is widened to carry each word's casing class
(`model.tasks.ner.add_casing`) and trained whole beside the adapter. Validation is the
tagger's own decoding (`NerTagger.tag_words`), scored by entity-level F1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from model.datasets.wnut import Sentence, load_wnut, split_sentences
from model.hf.loading import minilm_path
from model.tasks.ner import CASING_MODULE, LABELS, NerTagger, add_casing, encode_words, f1
from model.training.loop import FinetuneConfig, fit, lora_model

MAX_LENGTH = 128  # word pieces per training sentence


def ner_features(
    tokenizer: Any, sentences: Sequence[Sentence], label_ids: dict[str, int], casing: bool
) -> list[dict[str, Any]]:
    """Word pieces with the word's label on its first piece and -100 (ignored) elsewhere;
    with `casing`, each word's casing class as the pieces' token type ids."""
    enc = encode_words(
        tokenizer, [words for words, _ in sentences], casing, truncation=True, max_length=MAX_LENGTH
    )
    features = []
    for row, (_, tags) in enumerate(sentences):
        labels, previous = [], None
        for word in enc.word_ids(row):
            labels.append(-100 if word is None or word == previous else label_ids[tags[word]])
            previous = word
        feature = {key: enc[key][row] for key in enc}
        features.append({**feature, "labels": labels})
    return features


def pad_collate(tokenizer: Any) -> Callable[[list[dict[str, Any]]], dict[str, torch.Tensor]]:
    """Pad a batch of features; labels are padded with -100."""

    def collate(batch: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        labels = [f["labels"] for f in batch]
        padded = tokenizer.pad(
            [{k: v for k, v in f.items() if k != "labels"} for f in batch], return_tensors="pt"
        )
        width = padded["input_ids"].shape[1]
        padded["labels"] = torch.tensor([lab + [-100] * (width - len(lab)) for lab in labels])
        return dict(padded)

    return collate


def tagger_base(labels: Sequence[str]) -> Any:
    """The packaged MiniLM with a new token-classification head over `labels`."""
    from transformers import BertForTokenClassification

    return BertForTokenClassification.from_pretrained(
        minilm_path(),
        attn_implementation="eager",
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )


def train_ner(config: FinetuneConfig) -> dict[str, Any]:
    from transformers import AutoTokenizer

    splits = split_sentences(load_wnut())
    train, valid = splits["train"], splits["valid"]
    if config.tiny:
        train, valid = train[:64], valid[:32]
    tokenizer = AutoTokenizer.from_pretrained(minilm_path())
    label_ids = {label: i for i, label in enumerate(LABELS)}
    torch.manual_seed(config.seed)  # the new head's initial weights
    base = tagger_base(LABELS)
    if config.casing:
        add_casing(base)
    casing = [CASING_MODULE] if config.casing else []  # peft adds the head itself
    model = lora_model(base, "TOKEN_CLS", config.rank, config.resume, casing)
    print(f"NER: {len(train)} training sentences, {len(valid)} validation")
    return fit(
        model,
        ner_features(tokenizer, train, label_ids, config.casing),
        pad_collate(tokenizer),
        lambda m: f1(NerTagger(m, tokenizer), valid),
        config,
    )
