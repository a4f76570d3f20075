"""Named-entity recognition: a runner that tags text with attention, its decoder and its score.

    tagger = NerTagger.load()             # MiniLM + the shipped LoRA adapter
    result = tagger("Going to see Taylor Swift in London tonight")
    result.entities, result.attention
    tagger.tag_words(["Going", "to", "see", "Taylor", "Swift"])   # what evaluation scores

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
import re
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import torch

from model.core.attribution import LabelAt, Subject, removal
from model.core.capture import AttentionCapture, capture
from model.core.errors import CheckpointError, InputError
from model.core.patching import SAME_ANSWER, Experiment, NothingToPatch
from model.core.paths import CHECKPOINTS
from model.core.runtime import lazy
from model.hf.encoding import Encoded, encode
from model.hf.loading import load_adapted, load_hub

CHECKPOINT_DIR = CHECKPOINTS / "ner"
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

CASES = ("no capitals", "Capitalised", "ALL CAPITALS", "inner Capital")  # token type ids 0..3
CASING_MODULE = "token_type_embeddings"
# A removed word piece loses its casing too: it reads as a mask token does (class 0), or the
# tagger would still see where the capitals were (model.core.attribution, "removed").
REMOVED_CASING = {"token_type_ids": 0}


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
    matches = list(re.finditer(r"\S+", text))
    starts = [m.start() for m in matches]
    word_ids = [
        bisect.bisect_right(starts, start) - 1 if end > start else None for start, end in offsets
    ]
    return casing_ids([m.group() for m in matches], word_ids)


def encode_words(
    tokenizer: Any, batch: Sequence[Sequence[str]], casing: bool, **options: Any
) -> Any:
    """Whitespace words as the model reads them: word pieces, and with `casing` each piece's
    casing class as its token type. `options` go to the tokenizer (truncation, windows...);
    with return_tensors="pt" the casing ids are a tensor too. Training, the runner and
    evaluation all encode through here."""
    enc = tokenizer([list(words) for words in batch], is_split_into_words=True, **options)
    if casing:
        samples = enc.get("overflow_to_sample_mapping")  # windows of one text map back to it
        rows = [
            casing_ids(batch[int(samples[row]) if samples is not None else row], enc.word_ids(row))
            for row in range(len(enc["input_ids"]))
        ]  # word_ids cover padding too (None)
        enc["token_type_ids"] = torch.tensor(rows) if options.get("return_tensors") else rows
    return enc


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
    """Whether the LoRA adapter in `directory` was trained with casing (its segment rows)."""
    config = directory / "adapter_config.json"
    try:
        saved = json.loads(config.read_text()).get("modules_to_save") or []
    except (OSError, ValueError, AttributeError) as error:
        raise CheckpointError(
            "NER adapter", directory, f"adapter_config.json cannot be read ({error})",
            "Restore the shipped files (git checkout checkpoints/ner) or train a new adapter: "
            "python -m model.train ner",
        ) from error  # fmt: skip
    return CASING_MODULE in saved


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
        return dataclasses.replace(
            encoded, inputs={**encoded.inputs, "token_type_ids": types}, follow=REMOVED_CASING
        )

    @torch.inference_mode()
    def __call__(self, text: str, max_length: int = 512) -> NerResult:
        if not text or not text.strip():
            raise InputError("Type some text to tag: the box is empty.")
        spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
        tagged = self._tag([text[s:e] for s, e in spans], max_length, record=True)
        assert tagged.attention is not None  # recorded on request
        notices: tuple[str, ...] = ()
        if tagged.windows > 1:
            notices = (
                f"The text is longer than {max_length} tokens: it was tagged in "
                f"{tagged.windows} overlapping windows; the attention shown is the first "
                "window's.",
            )
        return NerResult(
            text=text,
            words=tuple(spans),
            word_tags=tuple(tagged.tags),
            entities=tuple(decode_entities(text, spans, tagged.tags, tagged.scores)),
            tokens=tagged.tokens,
            token_words=tagged.token_words,
            attention=tagged.attention,
            windows=tagged.windows,
            notices=notices,
        )

    @torch.inference_mode()
    def tag_words(self, words: Sequence[str], max_length: int = 512) -> list[str]:
        """The BIO tag of each word, decoded exactly as `__call__` decodes them (no capture):
        what training validates and evaluation scores."""
        return self._tag(words, max_length, record=False).tags if words else []

    def _windows(self, words: Sequence[str], max_length: int) -> Any:
        """The words as the model reads them: overlapping windows of word pieces."""
        return encode_words(
            self.tokenizer,
            [words],
            uses_casing(self.model),
            truncation=True,
            max_length=max_length,
            stride=WINDOW_STRIDE,
            return_overflowing_tokens=True,
            padding=True,
            return_tensors="pt",
        )

    def first_window(
        self, result: NerResult, max_length: int = 512
    ) -> tuple[dict[str, torch.Tensor], list[int | None]]:
        """The model's inputs for the first window of a tagged text (the window whose
        attention the page shows), without padding, and each piece's word (None: special)."""
        enc = self._windows([result.text[s:e] for s, e in result.words], max_length)
        length = int(enc["attention_mask"][0].sum())
        keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc]
        return {k: enc[k][:1, :length] for k in keys}, list(enc.word_ids(0)[:length])

    def explain(self, result: NerResult, entity: Entity, max_length: int = 512) -> Subject:
        """What attribution explains for an entity: its tags (B- on its first word, I- on the
        others), each read from the word's first piece as the tagger reads it, in the first
        window (the one whose attention the page shows). Raises InputError when the entity
        lies beyond that window."""
        inputs, word_ids = self.first_window(result, max_length)
        first_piece: dict[int, int] = {}
        for position, word in enumerate(word_ids):
            if word is not None:
                first_piece.setdefault(word, position)
        if any(w not in first_piece for w in entity.words):
            raise InputError(
                f"'{entity.text}' lies beyond the first window of {max_length} tokens, whose "
                "attention is shown; explanations are computed for that window only."
            )
        label2id = {label: i for i, label in self.id2label.items()}
        tags = [("B-" if k == 0 else "I-") + entity.label for k in range(len(entity.words))]
        casing = uses_casing(self.model)  # the tagger reads capitals: they go with the piece
        return Subject.of(
            self.model,
            inputs,
            LabelAt(tuple(first_piece[w] for w in entity.words), tuple(label2id[t] for t in tags),
                    name=f"{entity.label} '{entity.text}'"),
            self.tokenizer.convert_ids_to_tokens(inputs["input_ids"][0]),
            [w is None for w in word_ids],
            removal(self.tokenizer).id,
            follow=REMOVED_CASING if casing else None,
            removed_as=removal(self.tokenizer).said + (" and its casing class" if casing else ""),
        )  # fmt: skip

    def patching(self, result: NerResult, entity: Entity, corrupted: str) -> Experiment:
        """Activation patching for an entity: the clean text against a corrupted one of the
        same length in tokens; the number compared is the entity's tags' logits minus those of
        the tags the corrupted text gets at the same pieces."""
        subject = self.explain(result, entity)
        target = cast(LabelAt, subject.target)
        other = self(corrupted)
        clean_inputs, _ = self.first_window(result)
        corrupt_inputs, _ = self.first_window(other)
        if corrupt_inputs["input_ids"].shape != clean_inputs["input_ids"].shape:
            raise InputError(
                f"The corrupted text has {corrupt_inputs['input_ids'].shape[1]} tokens and the "
                f"clean one {clean_inputs['input_ids'].shape[1]}: patching compares them "
                "position by position, so they must tokenize to the same length."
            )
        with torch.inference_mode():
            logits = self.model(**corrupt_inputs).logits[0]
        wrong = tuple(int(logits[p].argmax()) for p in target.positions)
        if list(wrong) == list(target.labels):
            raise NothingToPatch(SAME_ANSWER.format(answer=f"{entity.label} '{entity.text}'"))
        positions, right = list(target.positions), list(target.labels)

        def metric(output: Any) -> float:
            picked = output.logits[0, positions]
            rows = range(len(positions))
            return float(picked[rows, right].sum() - picked[rows, list(wrong)].sum())

        said = " ".join(self.id2label[w] for w in wrong)
        return Experiment(
            self.model, lambda inputs: self.model(**inputs), clean_inputs, corrupt_inputs, metric,
            subject.tokens, f"{entity.label} '{entity.text}' against {said} in the corrupted text",
        )  # fmt: skip

    def _tag(self, words: Sequence[str], max_length: int, record: bool) -> _Tagged:
        """The one decoder: words in overlapping windows of word pieces; each word's label
        distribution read from its first piece in the window where that piece sits farthest
        from an edge; then the most probable valid BIO sequence (`bio_decode`)."""
        enc = self._windows(words, max_length)
        n_windows = enc["input_ids"].shape[0]
        inputs = {k: enc[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc}
        lengths = inputs["attention_mask"].sum(1).tolist()  # (windows,)
        recording = capture(self.model) if record else nullcontext(None)
        with recording as recorder:  # the first window, without padding
            first = self.model(**{k: v[:1, : lengths[0]] for k, v in inputs.items()}).logits[0]
        logits = [first]
        for w in range(1, n_windows):
            logits.append(self.model(**{k: v[w : w + 1] for k, v in inputs.items()}).logits[0])
        best: dict[int, tuple[int, torch.Tensor]] = {}  # word -> (distance to edge, probs)
        for w in range(n_windows):
            seen: set[int] = set()
            for pos, word in enumerate(enc.word_ids(w)):
                if word is None or word in seen:
                    continue  # a word's label is read from its first piece in each window
                seen.add(word)
                margin = min(pos, lengths[w] - 1 - pos)
                if word not in best or margin > best[word][0]:
                    best[word] = (margin, torch.softmax(logits[w][pos], -1))
        probs = torch.stack([best[i][1] for i in range(len(words))])  # (words, labels)
        labels = [self.id2label[i] for i in range(len(self.id2label))]
        chosen = bio_decode(probs.log(), labels)
        tokens = tuple(self.tokenizer.convert_ids_to_tokens(enc["input_ids"][0][: lengths[0]]))
        token_words = tuple(enc.word_ids(0)[: len(tokens)])
        attention = None
        if recorder is not None:
            attention = recorder.result.with_tokens(
                {"source": tokens}, special={"source": [w is None for w in token_words]}
            )
        return _Tagged(
            tags=[labels[c] for c in chosen],
            scores=[float(probs[i, c]) for i, c in enumerate(chosen)],
            tokens=tokens,
            token_words=token_words,
            attention=attention,
            windows=n_windows,
        )


@dataclass(frozen=True)
class _Tagged:
    tags: list[str]
    scores: list[float]  # the probability of each chosen tag
    tokens: tuple[str, ...]  # the first window's word pieces
    token_words: tuple[int | None, ...]
    attention: AttentionCapture | None  # of the first window, when recorded
    windows: int


def f1(tagger: NerTagger, sentences: Sequence[tuple[Sequence[str], Sequence[str]]]) -> float:
    """Entity-level micro F1 (seqeval, 0..100) of the tagger on (words, gold tags) sentences."""
    f1_score = lazy("seqeval.metrics").f1_score

    gold = [list(tags) for _, tags in sentences]
    return 100 * float(f1_score(gold, [tagger.tag_words(words) for words, _ in sentences]))
