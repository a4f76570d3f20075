"""The head atlas: what every head of a model does across a corpus, not on one sentence.

For each head of each stack it measures, over every query row of every sentence:

- the mean attention to the previous, the same and the next token, and to the first token;
- the attention to special tokens ([CLS], [SEP], [BOS], [EOS], ...) and to punctuation,
  where heads park attention they have no use for (the "sinks");
- the mean attention distance and the entropy of each row;

and, where a dependency parse of the sentence is at hand, Clark et al.'s (2019, "What Does
BERT Look At?") syntax test: word-piece attention rolled up to words (attention *to* a
word is the sum over its pieces, attention *from* a word the mean over its pieces), special
tokens and each word's attention to itself left out, then for each relation the share of
dependents whose most attended word is their head (dependent -> head), and the share whose
head is the word that attends to them most (head -> dependent), beside the best fixed-offset
baseline (the word 3 to the left ... 2 to the right).

Everything here is arithmetic on attention a `Reader` hands it; which model and which text
is the caller's business (`model.atlas` on the command line, the Head atlas page live).
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from model.core.capture import AXES, AttentionCapture, Stack
from model.core.errors import InputError
from model.core.runtime import lazy
from model.datasets.parses import ROOT, Parse
from model.hf.encoding import Encoded, encode, max_length, run_with_capture

Span = tuple[int, int] | None
ATLAS_DIR = Path(__file__).resolve().parents[2] / "data" / "atlas"  # the shipped atlases
OFFSETS = (-3, -2, -1, 0, 1, 2)  # Clark et al.'s fixed-offset baselines (0: the word itself)
DIRECTIONS = ("dependent -> head", "head -> dependent")
EXAMPLES = 10  # top examples kept per head
SINK_LENGTHS = (8, 16, 32, 64, 128, 256, 512)
MARKERS = ("##", "▁", "Ġ", "Ċ", "</w>")  # word-piece markers, stripped before testing a token

# Behaviours, in menu order, with what each number is.
POSITIONAL = {
    "previous token": "mean attention from a token to the token just before it",
    "same token": "mean attention from a token to itself",
    "next token": "mean attention from a token to the token just after it",
}
SINKS = {
    "first token": "mean attention to the first token of the input",
    "special tokens": "mean attention to all special tokens together",
    "punctuation": "mean attention to punctuation tokens",
}
SPREAD = {
    "distance": "mean distance, in tokens, between a query and the keys it attends to",
    "entropy": "mean entropy of a query's attention, in nats (0: one key; log n: even)",
}


@dataclass(frozen=True)
class ClarkRow:
    """One row of Clark et al.'s Table 1: BERT-base's best head for a relation (their layer-
    head numbering, from 1), its accuracy, and the best fixed offset's."""

    relation: str  # as spaCy names it
    theirs: str  # as Clark et al.'s Stanford dependencies name it
    head: str
    direction: int  # 0: dependent -> head, 1: head -> dependent
    accuracy: float
    offset: int
    baseline: float

    @property
    def label(self) -> str:
        """ "8-11 dep → head", with their relation's name where it differs from spaCy's."""
        way = "dep → head" if self.direction == 0 else "head → dep"
        named = "" if self.theirs == self.relation else f" ({self.theirs})"
        return f"{self.head} {way}{named}"


CLARK_CITATION = (
    "Kevin Clark, Urvashi Khandelwal, Omer Levy and Christopher D. Manning. 2019. What Does "
    "BERT Look At? An Analysis of BERT's Attention. BlackboxNLP (arXiv:1906.04341), Table 1: "
    "BERT-base (12 layers x 12 heads) on the Wall Street Journal's Penn Treebank dev set, "
    "Stanford dependencies. Numbers as their published notebook (Syntax_Analysis.ipynb) "
    "prints them; heads counted from 1."
)
CLARK_BERT_BASE = tuple(ClarkRow(*row) for row in (
    ("all", "all", "7-6", 0, 34.7, 1, 26.7),
    ("prep", "prep", "7-4", 0, 66.7, -1, 61.8),
    ("pobj", "pobj", "9-6", 1, 76.3, -2, 34.6),
    ("det", "det", "8-11", 0, 94.3, 1, 51.7),
    ("compound", "nn", "4-10", 0, 70.4, 1, 70.2),
    ("nsubj", "nsubj", "8-2", 0, 58.5, 1, 45.5),
    ("amod", "amod", "4-10", 0, 75.6, 1, 68.3),
    ("dobj", "dobj", "8-10", 0, 86.8, -2, 40.0),
    ("advmod", "advmod", "7-6", 0, 48.8, 1, 40.2),
    ("aux", "aux", "4-10", 0, 81.1, 1, 71.5),
    ("nummod", "num", "8-11", 0, 67.4, 1, 56.4),
    ("cc", "cc", "7-5", 0, 47.8, -1, 41.2),
    ("conj", "conj", "7-1", 0, 53.3, -2, 26.8),
    ("poss", "poss", "7-6", 0, 80.5, 1, 47.7),
    ("ccomp", "ccomp", "8-1", 0, 48.8, -2, 12.4),
    ("xcomp", "xcomp", "5-7", 0, 57.3, -2, 47.1),
    ("mark", "mark", "8-2", 0, 50.7, 2, 14.5),
    ("auxpass", "auxpass", "4-10", 0, 94.1, 1, 82.5),
    ("nsubjpass", "nsubjpass", "7-6", 0, 57.5, 2, 43.7),
    ("relcl", "rcmod", "9-11", 0, 40.9, -3, 26.6),
    ("advcl", "advcl", "5-4", 0, 29.5, -3, 4.6),
    ("appos", "appos", "7-1", 0, 30.5, -3, 28.3),
    ("npadvmod", "npadvmod", "2-6", 1, 44.6, -2, 34.9),
    ("pcomp", "pcomp", "6-10", 1, 79.7, -1, 79.2),
    ("neg", "neg", "4-10", 0, 72.5, 1, 68.3),
    ("prt", "prt", "6-7", 0, 99.1, -1, 91.4),
))  # fmt: skip


def special_behaviour(token: str) -> str:
    return f"to {token}"


@dataclass(frozen=True)
class Side:
    """One axis of a stack's attention: its tokens, which are special, and, when the axis
    reads the parsed text, each token's characters in it (None where a token has none)."""

    tokens: tuple[str, ...]
    special: tuple[bool, ...]
    spans: tuple[Span, ...] = ()

    def __post_init__(self) -> None:
        if len(self.special) != len(self.tokens) or (
            self.spans and len(self.spans) != len(self.tokens)
        ):
            raise ValueError("a side's tokens, special flags and spans must be as many")


@dataclass(frozen=True)
class Reading:
    """What one text made a model do: per stack, its attention (layers, heads, queries,
    keys) and the query and key sides."""

    stacks: Mapping[str, tuple[np.ndarray, Side, Side]]
    # per stack, with qkv: queries (layers, heads, q, d_head) and keys (layers, heads, k, d_head)
    vectors: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


Reader = Callable[[str], Reading]


def capture_reading(
    attention: AttentionCapture, spans: Mapping[str, Sequence[Span]], qkv: bool = False
) -> Reading:
    """A capture as the atlas reads it: each stack's full matrices, decoding steps put
    together. `spans` gives the characters of each token of the axes ("source", "target")
    that read the parsed text. With `qkv`, each head's queries and keys too (the capture
    must have recorded them)."""
    vectors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    stacks: dict[str, tuple[np.ndarray, Side, Side]] = {}
    for stack in attention.stacks:
        sides = []
        for axis in AXES[stack]:
            tokens = attention.tokens.get(axis, ())
            special = attention.special.get(axis, (False,) * len(tokens))
            sides.append(Side(tokens, special, tuple(spans.get(axis, ()))))
        probs = attention.matrices(stack).numpy()
        stacks[stack] = (probs, sides[0], sides[1])
        if qkv:
            vectors[stack] = _vectors(attention, stack)
    return Reading(stacks, vectors)


def _vectors(attention: AttentionCapture, stack: Stack) -> tuple[np.ndarray, np.ndarray]:
    """A stack's queries, decoding steps joined, and its keys (the last step's cache holds
    them all): (layers, heads, q, d_head) and (layers, heads, k, d_head)."""
    queries, keys = [], []
    for layer in range(attention.n_layers(stack)):
        records = [attention.record(stack, layer, s) for s in range(attention.n_steps(stack))]
        q = [r.q[0].numpy() for r in records if r.q is not None]
        k = records[-1].k
        if len(q) != len(records) or k is None:
            raise ValueError("the capture holds no queries and keys: capture with qkv=True")
        queries.append(np.concatenate(q, axis=1))
        keys.append(k[0].numpy())
    return np.stack(queries), np.stack(keys)


def encoder_reader(model: object, encode: Callable[[str], Encoded], qkv: bool = False) -> Reader:
    """A Hugging Face model reading each text alone in one forward pass (an encoder, or a
    decoder-only model reading the text as its prompt); with `qkv`, its queries and keys."""

    def read(text: str) -> Reading:
        encoded = encode(text)
        attention, _ = run_with_capture(model, encoded, qkv=qkv)  # type: ignore[arg-type]
        spans = [
            None if special or segment else span
            for span, special, segment in zip(
                encoded.offsets or [None] * len(encoded), encoded.special, encoded.segments,
                strict=True,
            )
        ]  # fmt: skip
        if "decoder" in attention.stacks:  # a decoder-only model: its one axis is "target"
            attention = attention.with_tokens(
                {"target": encoded.tokens}, special={"target": encoded.special}
            )
        return capture_reading(attention, {"source": spans, "target": spans}, qkv)

    return read


ModelReader = tuple[Reader, Callable[[str], int], int]  # reader, token count of a text, limit


def hf_model_reader(
    model: Any,
    tokenizer: Any,
    encode_text: Callable[[str, int], Encoded] | None = None,
    qkv: bool = False,
) -> ModelReader:
    """A Hugging Face model's reader (texts cut to the model's limit; `encode_text(text,
    limit)` when the model reads text its own way, as the NER tagger does), its token count
    of a text, and that limit: what the command and the page both read models with."""
    limit = max_length(tokenizer, model)

    def encoded(text: str) -> Encoded:
        if encode_text is not None:
            return encode_text(text, limit)
        return encode(tokenizer, text, limit=limit)

    def count(text: str) -> int:
        return len(tokenizer(text, verbose=False)["input_ids"])

    return encoder_reader(model, encoded, qkv), count, limit


def translator_model_reader(translator: Any, qkv: bool = False) -> ModelReader:
    """Our translator's reader, its token count of a text ([EOS] included), its limit."""
    return (
        translation_reader(translator, qkv),
        lambda text: len(translator.tokenizer.encode(text).ids) + 1,
        translator.model.config.max_len - 1,
    )


def translation_reader(translator: Any, qkv: bool = False) -> Reader:
    """Our translator (model.tasks.translation.OurTranslator) reading a text: its greedy
    translation, the encoder's, decoder's and cross attention of every step. Only the source
    axis reads the parsed text."""

    def read(text: str) -> Reading:
        result = translator.translate(text, beam=1, detail=qkv)
        spans = {"source": translator.source_spans(text)}
        return capture_reading(result.attention, spans, qkv)

    return read


def is_punctuation(token: str) -> bool:
    for marker in MARKERS:
        token = token.replace(marker, "")
    return bool(token) and all(unicodedata.category(c).startswith("P") for c in token)


def align(spans: Sequence[Span], parse: Parse | Sequence[tuple[int, int]]) -> np.ndarray:
    """The word (of a parse, or of word spans) each token belongs to: the word its
    characters overlap most; -1 for a token with no characters in any word (specials)."""
    word_spans = parse.spans if isinstance(parse, Parse) else parse
    words = np.full(len(spans), -1, dtype=np.int64)
    for t, span in enumerate(spans):
        if span is None or span[1] <= span[0]:
            continue
        overlaps = [min(span[1], e) - max(span[0], s) for s, e in word_spans]
        best = int(np.argmax(overlaps)) if overlaps else -1
        if best >= 0 and overlaps[best] > 0:
            words[t] = best
    return words


def word_attention(
    probs: np.ndarray, q_words: np.ndarray, k_words: np.ndarray, n_words: int
) -> np.ndarray:
    """Token attention (..., q, k) rolled up to words (..., n_words, n_words): attention to a
    word sums its pieces' columns, attention from a word averages its pieces' rows. Tokens of
    no word (-1) are left out; a word with no tokens has a row and column of 0."""
    to_word = np.zeros((probs.shape[-1], n_words), dtype=probs.dtype)
    keys = np.flatnonzero(k_words >= 0)
    to_word[keys, k_words[keys]] = 1.0
    from_word = np.zeros((n_words, probs.shape[-2]), dtype=probs.dtype)
    queries = np.flatnonzero(q_words >= 0)
    from_word[q_words[queries], queries] = 1.0
    sizes = from_word.sum(axis=1, keepdims=True)
    from_word = np.divide(from_word, sizes, out=np.zeros_like(from_word), where=sizes > 0)
    return from_word @ probs @ to_word


def predicted_heads(words: np.ndarray) -> np.ndarray:
    """Clark et al.'s head predictions from word attention (..., n, n): for each word, in
    each direction, the other word it attends to most (dependent -> head), and the other
    word that attends to it most (head -> dependent). Returns (2, ..., n)."""
    attention = words.copy()
    n = attention.shape[-1]
    attention[..., np.arange(n), np.arange(n)] = 0.0  # not the word itself
    return np.stack([attention.argmax(axis=-1), np.swapaxes(attention, -1, -2).argmax(axis=-1)])


def offset_heads(n: int, offset: int) -> np.ndarray:
    """The fixed-offset baseline: each word's head is the word `offset` away, clipped to the
    sentence (to ROOT before the first word, as Clark et al. clip)."""
    return np.clip(np.arange(n) + offset, ROOT, n - 1)


def _poss_owner(parse: Parse, word: int) -> int:
    """Clark et al.'s special case: "John 's dog" marks possession on "'s", so the prediction
    read for a poss dependent followed by "'s" is the "'s"'s."""
    following = parse.words[word + 1] if word + 1 < len(parse) else ""
    return word + 1 if following in ("'s", "s'", "'") else word


@dataclass(frozen=True)
class Example:
    """One link of a head in the corpus: a sentence (its index), query and key positions and
    tokens, and the weight."""

    sentence: int
    query: int
    key: int
    query_token: str
    key_token: str
    weight: float


@dataclass
class Examples:
    """Per head, the strongest links of the corpus, one per sentence: query and key tokens
    that are neither special nor the same position."""

    sentence: np.ndarray  # (layers, heads, EXAMPLES) index into the atlas's sentences, -1 none
    query: np.ndarray  # (layers, heads, EXAMPLES) token position
    key: np.ndarray
    query_token: np.ndarray  # (layers, heads, EXAMPLES) str
    key_token: np.ndarray
    weight: np.ndarray  # (layers, heads, EXAMPLES) float

    def of(self, layer: int, head: int) -> list[Example]:
        rows = []
        for e in range(self.sentence.shape[-1]):
            if self.sentence[layer, head, e] < 0:
                break
            rows.append(
                Example(
                    int(self.sentence[layer, head, e]),
                    int(self.query[layer, head, e]),
                    int(self.key[layer, head, e]),
                    str(self.query_token[layer, head, e]),
                    str(self.key_token[layer, head, e]),
                    float(self.weight[layer, head, e]),
                )
            )
        return rows


@dataclass
class StackAtlas:
    """One stack's atlas: each behaviour and relation is a (layers, heads) map."""

    behaviours: dict[str, np.ndarray]
    relations: dict[str, np.ndarray]  # relation -> (2 directions, layers, heads) accuracy
    relation_counts: dict[str, int]
    baselines: dict[str, np.ndarray]  # relation -> (len(OFFSETS),) accuracy
    examples: Examples
    rows: int  # query rows averaged over
    sink_lengths: tuple[int, ...] = ()
    sinks: np.ndarray | None = None  # (lengths, 2: first token | special tokens, layers, heads)

    @property
    def shape(self) -> tuple[int, int]:
        layers, heads = next(iter(self.behaviours.values())).shape
        return layers, heads

    def best(self, relation: str) -> tuple[float, int, int, int]:
        """(accuracy, layer, head, direction) of the best head for a relation."""
        scores = self.relations[relation]
        direction, layer, head = np.unravel_index(int(np.argmax(scores)), scores.shape)
        return float(scores[direction, layer, head]), int(layer), int(head), int(direction)

    def baseline(self, relation: str) -> tuple[float, int]:
        """(accuracy, offset) of the best fixed offset for a relation."""
        scores = self.baselines[relation]
        best = int(np.argmax(scores))
        return float(scores[best]), OFFSETS[best]

    def ranked(self, behaviour: str) -> list[tuple[int, int, float]]:
        """(layer, head, value) of every head, the highest value first."""
        return ranked(self.behaviours[behaviour])

    def reported(self) -> list[str]:
        """The relations worth a row, most frequent first: seen REPORTED times or more,
        the root and punctuation left out (as Clark et al. leave them out)."""
        return [r for r, n in self.relation_counts.items()
                if n >= REPORTED and r not in ("root", "punct")]  # fmt: skip


REPORTED = 20  # occurrences a relation needs before its best head is reported


def ranked(values: np.ndarray) -> list[tuple[int, int, float]]:
    """(layer, head, value) of every head of a (layers, heads) map, the highest first."""
    order = np.argsort(-values, axis=None, kind="stable")
    return [
        (int(i // values.shape[1]), int(i % values.shape[1]), float(values.flat[i])) for i in order
    ]


@dataclass
class Atlas:
    model: str
    corpus: str
    sentences: tuple[str, ...]
    stacks: dict[str, StackAtlas]
    parser: str  # the parser's name, or why there are no relation columns
    seconds: float = 0.0
    dropped: int = 0  # sentences that could not be read (with why in `notes`)
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def heads(self) -> int:
        return sum(int(np.prod(s.shape)) for s in self.stacks.values())

    def summary(self) -> str:
        return (
            f"head atlas: {len(self.sentences)} sentences, {self.heads} heads, {self.seconds:.1f} s"
        )

    # -- files -------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        arrays: dict[str, np.ndarray] = {}
        meta: dict[str, object] = {
            "model": self.model, "corpus": self.corpus, "parser": self.parser,
            "seconds": self.seconds, "dropped": self.dropped, "notes": list(self.notes),
            "stacks": {},
        }  # fmt: skip
        stacks: dict[str, object] = {}
        for name, stack in self.stacks.items():
            stacks[name] = {
                "behaviours": list(stack.behaviours), "relations": list(stack.relations),
                "relation_counts": stack.relation_counts, "rows": stack.rows,
                "sink_lengths": list(stack.sink_lengths),
            }  # fmt: skip
            for i, values in enumerate(stack.behaviours.values()):
                arrays[f"{name}.behaviour.{i}"] = values.astype(np.float32)
            for i, (relation, values) in enumerate(stack.relations.items()):
                arrays[f"{name}.relation.{i}"] = values.astype(np.float32)
                arrays[f"{name}.baseline.{i}"] = stack.baselines[relation].astype(np.float32)
            for part in ("sentence", "query", "key", "query_token", "key_token", "weight"):
                arrays[f"{name}.examples.{part}"] = getattr(stack.examples, part)
            if stack.sinks is not None:
                arrays[f"{name}.sinks"] = stack.sinks.astype(np.float32)
        meta["stacks"] = stacks
        arrays["meta"] = np.array(json.dumps(meta))
        arrays["sentences"] = np.array(self.sentences, dtype=str)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> Atlas:
        """Raises InputError for a file that is not an atlas."""
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
            meta = json.loads(str(arrays["meta"]))
        except (OSError, ValueError, KeyError) as error:
            raise InputError(f"{path.name} is not a head atlas file ({error}).") from error
        stacks = {}
        for name, info in meta["stacks"].items():
            relations = {r: arrays[f"{name}.relation.{i}"] for i, r in enumerate(info["relations"])}
            examples = Examples(*(arrays[f"{name}.examples.{part}"] for part in (
                "sentence", "query", "key", "query_token", "key_token", "weight")))  # fmt: skip
            stacks[name] = StackAtlas(
                {b: arrays[f"{name}.behaviour.{i}"] for i, b in enumerate(info["behaviours"])},
                relations,
                {r: int(c) for r, c in info["relation_counts"].items()},
                {r: arrays[f"{name}.baseline.{i}"] for i, r in enumerate(info["relations"])},
                examples,
                int(info["rows"]),
                tuple(info["sink_lengths"]),
                arrays.get(f"{name}.sinks"),
            )
        return cls(
            meta["model"], meta["corpus"], tuple(str(s) for s in arrays["sentences"]), stacks,
            meta["parser"], float(meta["seconds"]), int(meta["dropped"]), tuple(meta["notes"]),
        )  # fmt: skip


class _StackTally:
    """Running sums for one stack over the corpus."""

    def __init__(self, shape: tuple[int, int], sentences: int) -> None:
        self.shape = shape
        self.sums: dict[str, np.ndarray] = {}
        self.counts: Counter[str] = Counter()
        self.correct: dict[str, np.ndarray] = {}
        self.baseline: dict[str, np.ndarray] = {}
        self.totals: Counter[str] = Counter()
        self.best = np.full((sentences, *shape), -1.0, dtype=np.float32)
        self.best_at = np.zeros((sentences, *shape, 2), dtype=np.int32)
        self.tokens: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def add(self, name: str, total: np.ndarray, rows: int) -> None:
        if name not in self.sums:
            self.sums[name] = np.zeros(self.shape)
        self.sums[name] += total
        self.counts[name] += rows


def _tally_positions(tally: _StackTally, probs: np.ndarray, q: Side, k: Side, self_: bool) -> None:
    n_q, n_k = probs.shape[-2:]
    if self_:
        rows = np.arange(n_q)
        if n_q > 1:
            tally.add("previous token", probs[..., rows[1:], rows[1:] - 1].sum(-1), n_q - 1)
            tally.add("next token", probs[..., rows[:-1], rows[:-1] + 1].sum(-1), n_q - 1)
        tally.add("same token", probs[..., rows, rows].sum(-1), n_q)
        distance = np.abs(rows[:, None] - np.arange(n_k)[None, :])
        tally.add("distance", (probs * distance).sum((-1, -2)), n_q)
    tally.add("first token", probs[..., 0].sum(-1), n_q)
    special = np.array(k.special, dtype=bool)
    tally.add("special tokens", probs[..., special].sum((-1, -2)), n_q)
    for token in sorted({t for t, s in zip(k.tokens, k.special, strict=True) if s}):
        which = np.array([t == token and s for t, s in zip(k.tokens, k.special, strict=True)])
        tally.add(special_behaviour(token), probs[..., which].sum((-1, -2)), n_q)
    pairs = zip(k.tokens, k.special, strict=True)
    punctuation = np.array([not special and is_punctuation(t) for t, special in pairs])
    tally.add("punctuation", probs[..., punctuation].sum((-1, -2)), n_q)
    logs = np.log(np.where(probs > 0, probs, 1.0))
    tally.add("entropy", -(probs * logs).sum((-1, -2)), n_q)


def _tally_examples(
    tally: _StackTally, sentence: int, probs: np.ndarray, q: Side, k: Side, self_: bool
) -> None:
    valid = ~np.array(q.special)[:, None] & ~np.array(k.special)[None, :]
    if self_:
        np.fill_diagonal(valid, False)
    if not valid.any():
        return
    masked = np.where(valid, probs, -1.0).reshape(*probs.shape[:2], -1)
    flat = masked.argmax(axis=-1)
    tally.best[sentence] = np.take_along_axis(masked, flat[..., None], -1)[..., 0]
    tally.best_at[sentence] = np.stack(np.unravel_index(flat, probs.shape[-2:]), axis=-1)
    tally.tokens[sentence] = (q.tokens, k.tokens)


def _tally_relations(tally: _StackTally, probs: np.ndarray, q: Side, k: Side, parse: Parse) -> None:
    n = len(parse)
    q_words, k_words = align(q.spans, parse), align(k.spans, parse)
    covered = np.zeros(n, dtype=bool)
    covered[q_words[q_words >= 0]] = True
    covered &= np.isin(np.arange(n), k_words)
    predictions = predicted_heads(word_attention(probs, q_words, k_words, n))  # (2, L, H, n)
    offsets = np.stack([offset_heads(n, o) for o in OFFSETS])  # (offsets, n)
    for word, (head, relation) in enumerate(zip(parse.heads, parse.relations, strict=True)):
        if not covered[word] or (head != ROOT and not covered[head]):
            continue  # cut off by the model's length limit
        read = _poss_owner(parse, word) if relation == "poss" else word
        hit = (predictions[..., read] == head).astype(np.float64)
        base = (offsets[:, word] == head).astype(np.float64)
        for name in (relation, "all"):
            if name not in tally.correct:
                tally.correct[name] = np.zeros((2, *tally.shape))
                tally.baseline[name] = np.zeros(len(OFFSETS))
            tally.correct[name] += hit
            tally.baseline[name] += base
            tally.totals[name] += 1


def _examples(tally: _StackTally) -> Examples:
    layers, heads = tally.shape
    shape = (layers, heads, EXAMPLES)
    out = Examples(
        np.full(shape, -1, dtype=np.int32), np.zeros(shape, dtype=np.int32),
        np.zeros(shape, dtype=np.int32), np.full(shape, "", dtype="<U32"),
        np.full(shape, "", dtype="<U32"), np.zeros(shape, dtype=np.float32),
    )  # fmt: skip
    order = np.argsort(-tally.best, axis=0, kind="stable")[:EXAMPLES]  # (E, L, H)
    for e in range(order.shape[0]):
        for layer, head in np.ndindex(layers, heads):
            sentence = int(order[e, layer, head])
            weight = tally.best[sentence, layer, head]
            if weight < 0:
                continue
            qi, ki = (int(i) for i in tally.best_at[sentence, layer, head])
            q_tokens, k_tokens = tally.tokens[sentence]
            out.sentence[layer, head, e] = sentence
            out.query[layer, head, e], out.key[layer, head, e] = qi, ki
            out.query_token[layer, head, e] = q_tokens[qi][:32]
            out.key_token[layer, head, e] = k_tokens[ki][:32]
            out.weight[layer, head, e] = weight
    return out


def build(
    model: str,
    corpus: str,
    read: Reader,
    sentences: Sequence[str],
    parses: Sequence[Parse] | None,
    parser: str,
    progress: Callable[[int, int], object] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Atlas:
    """The atlas of a model over `sentences` (with their parses, or None and the reason in
    `parser`). A sentence the model cannot read (InputError) is counted and left out.
    Raises InputError for an empty corpus, and Cancelled when `cancelled()` turns true."""
    sentences = [s for s in sentences if s.strip()]
    if not sentences:
        raise InputError("The corpus has no sentences: give at least one non-empty line.")
    started = time.perf_counter()
    tallies: dict[str, _StackTally] = {}
    kept: list[str] = []
    notes: list[str] = []
    dropped = 0
    for i, text in enumerate(sentences):
        if cancelled is not None and cancelled():
            raise Cancelled(f"Stopped after {i} of {len(sentences)} sentences.")
        try:
            reading = read(text)
        except InputError as error:
            dropped += 1
            if len(notes) < 5:
                notes.append(f"Left out {text[:60]!r}: {error}")
            continue
        index = len(kept)
        kept.append(text)
        for stack, (probs, q, k) in reading.stacks.items():
            probs = np.asarray(probs, dtype=np.float64)
            if stack not in tallies:
                tallies[stack] = _StackTally(probs.shape[:2], len(sentences))
            self_ = stack != "cross"
            tally = tallies[stack]
            _tally_positions(tally, probs, q, k, self_)
            _tally_examples(tally, index, probs, q, k, self_)
            if parses is not None and self_ and q.spans and k.spans:
                _tally_relations(tally, probs, q, k, parses[i])
        if progress is not None:
            progress(i + 1, len(sentences))
    if not kept:
        raise InputError(f"None of the {len(sentences)} sentences could be read: {notes[0]}")
    stacks = {}
    for stack, tally in tallies.items():
        tally.best = tally.best[: len(kept)]
        behaviours = {
            name: (tally.sums[name] / tally.counts[name]).astype(np.float32)
            for name in _order(tally.sums)
        }
        relations = dict(sorted(tally.correct.items(), key=lambda kv: -tally.totals[kv[0]]))
        stacks[stack] = StackAtlas(
            behaviours,
            {r: (c / tally.totals[r]).astype(np.float32) for r, c in relations.items()},
            {r: int(tally.totals[r]) for r in relations},
            {r: (tally.baseline[r] / tally.totals[r]).astype(np.float32) for r in relations},
            _examples(tally),
            int(tally.counts["first token"]),
        )
    return Atlas(
        model, corpus, tuple(kept), stacks, parser, time.perf_counter() - started, dropped,
        tuple(notes),
    )  # fmt: skip


def _order(names: Iterable[str]) -> list[str]:
    known = [*POSITIONAL, *SINKS, *SPREAD]
    names = list(names)
    return [n for n in known if n in names] + sorted(n for n in names if n not in known)


class Cancelled(RuntimeError):
    """The atlas was stopped before it was done."""


def describe(behaviour: str) -> str:
    """What a behaviour's number is, in words."""
    for table in (POSITIONAL, SINKS, SPREAD):
        if behaviour in table:
            return table[behaviour]
    if behaviour.startswith("to "):
        return f"mean attention to the special token {behaviour[3:]}"
    return behaviour


def sinks_by_length(
    read: Reader,
    text: str,
    count: Callable[[str], int],
    limit: int,
    lengths: Sequence[int] = SINK_LENGTHS,
    stacks: Sequence[str] = ("encoder",),
) -> tuple[tuple[int, ...], dict[str, np.ndarray]]:
    """For texts of 8 to 512 tokens (or the model's `limit`) cut from the front of `text`
    (one long text made of the corpus), each head's share of attention on the first token
    and on special tokens, averaged over query rows. Returns the lengths reached and, per
    stack, (lengths, 2, layers, heads). `count` gives a text's length in tokens as the model
    reads it."""
    done: list[int] = []
    results: dict[str, list[np.ndarray]] = {}
    # the lengths under the model's limit, and the limit itself (or the longest length)
    for length in sorted({n for n in lengths if n < limit} | {min(limit, max(lengths))}):
        low, high = 1, len(text)
        while low < high:  # the longest prefix (in characters) that fits in `length` tokens
            middle = (low + high + 1) // 2
            if count(text[:middle]) <= length:
                low = middle
            else:
                high = middle - 1
        cut = text[:low].strip()
        n = count(cut)
        if done and n <= done[-1]:
            break  # the corpus is shorter than this length
        reading = read(cut)
        for stack in stacks:
            if stack not in reading.stacks:
                continue
            probs, _, k = reading.stacks[stack]
            first = probs[..., 0].mean(-1)
            special = probs[..., np.array(k.special, dtype=bool)].sum(-1).mean(-1)
            results.setdefault(stack, []).append(np.stack([first, special]))
        done.append(n)
    return tuple(done), {stack: np.stack(values) for stack, values in results.items()}


WORD = re.compile(r"\w+(?:'\w+)?|[^\w\s]")


def find_words(text: str, word: str) -> list[int]:
    """Where a word occurs in a text (indices into `text_words`), case ignored."""
    return [i for i, (w, _) in enumerate(text_words(text)) if w.lower() == word.lower()]


def text_words(text: str) -> list[tuple[str, tuple[int, int]]]:
    return [(m.group(), m.span()) for m in WORD.finditer(text)]


def links(
    readings: Iterable[tuple[str, Reading]], stack: str, query_word: str, key_word: str
) -> tuple[np.ndarray | None, int]:
    """How strongly each head links a query word to a key word across sentences: the
    word-level attention (rolled up as for relations) from each occurrence of `query_word` to
    each of `key_word`, averaged over the pairs of a sentence and then over the sentences
    holding both. Returns the (layers, heads) means, or None, and the sentences used."""
    total: np.ndarray | None = None
    used = 0
    for text, reading in readings:
        if stack not in reading.stacks:
            continue
        probs, q, k = reading.stacks[stack]
        words = text_words(text)
        spans = [span for _, span in words]
        queries, keys = find_words(text, query_word), find_words(text, key_word)
        pairs = [(a, b) for a in queries for b in keys if a != b]
        if not pairs or not q.spans or not k.spans:
            continue
        rolled = word_attention(
            np.asarray(probs, dtype=np.float64), align(q.spans, spans), align(k.spans, spans),
            len(words),
        )  # fmt: skip
        mean = np.mean([rolled[..., a, b] for a, b in pairs], axis=0)
        total = mean if total is None else total + mean
        used += 1
    return (None if total is None else total / used), used


def query_key_layout(
    queries: np.ndarray, keys: np.ndarray, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """AttentionViz's (Yeh et al., 2023) joint view of one head's queries and keys: keys
    moved so the two centroids coincide (each query's scores change by a constant, which
    softmax ignores) and both scaled to the same mean norm (queries by c, keys by 1/c: every
    score unchanged), then t-SNE (scikit-learn) on both together. Returns the 2-D points
    of the queries and of the keys."""
    TSNE = lazy("sklearn.manifold").TSNE

    keys = keys - keys.mean(axis=0) + queries.mean(axis=0)
    q_norm = float(np.linalg.norm(queries, axis=1).mean()) or 1.0
    k_norm = float(np.linalg.norm(keys, axis=1).mean()) or 1.0
    scale = np.sqrt(k_norm / q_norm)
    points = np.concatenate([queries * scale, keys / scale]).astype(np.float32)
    n = len(points)
    if n < 5:
        raise InputError("The query-key view needs at least 5 vectors: choose more sentences.")
    layout = TSNE(
        n_components=2, init="pca", perplexity=float(min(30.0, (n - 1) / 3)), random_state=seed
    ).fit_transform(points)
    return layout[: len(queries)], layout[len(queries) :]
