"""The atlas as data and as a file: each behaviour and what its number is, the examples kept
per head, each stack's and the model's atlas, saved and loaded (data/atlas holds the shipped)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model.analysis.head_atlas.syntax import OFFSETS
from model.core.errors import InputError
from model.core.paths import DATA

ATLAS_DIR = DATA / "atlas"  # the shipped atlases
EXAMPLES = 10  # top examples kept per head
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


def special_behaviour(token: str) -> str:
    return f"to {token}"


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


def _order(names: Iterable[str]) -> list[str]:
    known = [*POSITIONAL, *SINKS, *SPREAD]
    names = list(names)
    return [n for n in known if n in names] + sorted(n for n in names if n not in known)


def describe(behaviour: str) -> str:
    """What a behaviour's number is, in words."""
    for table in (POSITIONAL, SINKS, SPREAD):
        if behaviour in table:
            return table[behaviour]
    if behaviour.startswith("to "):
        return f"mean attention to the special token {behaviour[3:]}"
    return behaviour
