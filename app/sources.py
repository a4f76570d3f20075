"""The models the explorer can look into, and how each turns typed text into a capture."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from app import loaders
from app.cache import BudgetCache, budget_from_env, tensor_bytes
from app.slots import model_slot
from model.analysis.anatomy import Anatomy, BeamTree, beam_tree, bert_anatomy, translator_anatomy
from model.core.capture import AttentionCapture, Stack
from model.hf import byo
from model.hf.encoding import encode, max_length, run_with_capture
from model.hf.families import Family
from model.tasks.translation import BatchView, OurTranslator, batch_view


@dataclass(frozen=True)
class Source:
    label: str
    stacks: tuple[Stack, ...]
    pairs: bool  # takes a second segment (BERT sentence pairs)
    note: str


@dataclass(frozen=True)
class Run:
    attention: AttentionCapture
    dropped: int  # tokens cut to fit the model
    notes: tuple[str, ...] = ()


SOURCES: dict[str, Source] = {
    "minilm": Source("MiniLM (packaged BERT, 6 x 12 heads)", ("encoder",), True,
                     "sentence-transformers/all-MiniLM-L6-v2, as packaged on PyPI."),
    "minilm-ner": Source("MiniLM + NER adapter", ("encoder",), False,
                         "MiniLM fine-tuned (LoRA) on WNUT-16 tweets for named entities; each "
                         "word's casing goes in as its segment (token type) id."),
    "minilm-qa": Source("MiniLM + QA adapter", ("encoder",), True,
                        "MiniLM fine-tuned (LoRA) for extractive QA: type a question, then the "
                        "context as the second segment."),
    "translator": Source("Our English->Spanish transformer", ("encoder", "decoder", "cross"),
                         False, "Trained from scratch by this project; its greedy translation "
                         "of the text is decoded and every step's attention recorded."),
}  # fmt: skip


def _bert_run(load: Callable[[], tuple]) -> Callable[[str, str | None, bool], Run]:
    def run(text: str, pair: str | None, qkv: bool) -> Run:
        model, tokenizer = load()
        encoded = encode(tokenizer, text, pair, limit=max_length(tokenizer, model))
        attention, _ = run_with_capture(model, encoded, qkv=qkv, masks=qkv)
        return Run(attention, encoded.dropped)

    return run


def _tagger_run(text: str, pair: str | None, qkv: bool) -> Run:
    tagger = loaders.ner_tagger()  # it knows how its model reads text (casing included)
    encoded = tagger.encode(text, limit=max_length(tagger.tokenizer, tagger.model))
    attention, _ = run_with_capture(tagger.model, encoded, qkv=qkv, masks=qkv)
    return Run(attention, encoded.dropped)


def _tuned(load: Callable[[], object]) -> Callable[[], tuple]:
    def models() -> tuple:
        runner: Any = load()
        return runner.model, runner.tokenizer

    return models


def _translator_run(text: str, pair: str | None, qkv: bool) -> Run:
    result = loaders.translator().translate(text, beam=1)
    return Run(result.attention, 0, (f"Translation: {result.text}", *result.notices))


RUNNERS: dict[str, Callable[[str, str | None, bool], Run]] = {
    "minilm": _bert_run(loaders.minilm),
    "minilm-ner": _tagger_run,
    "minilm-qa": _bert_run(_tuned(loaders.qa_reader)),
    "translator": _translator_run,
}


def _listed_run(name: str) -> Callable[[str, str | None, bool], Run]:
    def run(text: str, pair: str | None, qkv: bool) -> Run:
        model, tokenizer, family = loaders.listed(name)
        attention, dropped, wrote = byo.run_text(model, tokenizer, family, text, pair, qkv)
        notes = [f"The model wrote: {wrote}"] if wrote.strip() else []
        record = attention.record(attention.stacks[0], 0)
        if record.kv_heads:  # grouped-query attention: say which heads share keys and values
            group = record.probs.shape[1] // record.kv_heads
            notes.append(
                f"Grouped-query attention: {record.probs.shape[1]} query heads share "
                f"{record.kv_heads} key/value heads, {group} each (head h reads key/value head "
                f"h // {group}); every view shows the query heads."
            )
        for stack in attention.stacks:
            if windows := attention.windows(stack):
                notes.append(window_note(stack, windows, attention.n_layers(stack)))
        return Run(attention, dropped, tuple(notes))

    return run


def window_note(stack: Stack, windows: dict[int, int], layers: int) -> str:
    """Which layers of a stack attend within a sliding window, and how wide, in words."""
    sizes = " / ".join(map(str, sorted(set(windows.values()))))
    if len(windows) == layers:
        which = f"all {layers} layers attend"
    else:
        named = ", ".join(map(str, windows))
        which = f"layer{'s' if len(windows) > 1 else ''} {named} of {layers} attend"
        which += "" if len(windows) > 1 else "s"
    return (
        f"Sliding window ({stack}): {which} within a window of {sizes} (as the model sets "
        "it); keys outside it get exactly 0, drawn where they sit on the full key axis."
    )


_listed_from: list[object] = [None]  # the models file (path, mtime) SOURCES was last given


def refresh_listed() -> None:
    """Put the models of the operator's models file (ATLAS_MODELS) in SOURCES, after ours;
    again only when the file (or the variable) changed. Pages call it on each run: os.stat
    only."""
    path = os.environ.get(byo.MODELS_ENV, "")
    stamp = (path, os.stat(path).st_mtime if path and os.path.exists(path) else None)
    if _listed_from[0] == stamp:
        return
    for key in [k for k in SOURCES if k.startswith(LISTED)]:
        del SOURCES[key], RUNNERS[key]
    for entry in byo.listed_models():
        found = byo.family_or_reason(entry)
        family = found if isinstance(found, Family) else None
        what = family.name if family else str(found)
        key = f"{LISTED}{entry.name}"
        SOURCES[key] = Source(
            f"{entry.name} (listed: {what})",
            family.stacks if family else ("encoder",),
            bool(family and family.kind == "encoder"),
            # (not the folder: a visitor need not learn the server's paths)
            f"{entry.note} ({what})".strip(),
        )
        RUNNERS[key] = _listed_run(entry.name)
    _listed_from[0] = stamp


LISTED = "listed:"  # the key prefix of a listed model


def capture_text(source: str, text: str, pair: str | None = None, qkv: bool = False) -> Run:
    """Raises model.core.errors.InputError for text the model cannot run (the page shows it)."""
    return RUNNERS[source](text, pair, qkv)


# Captures are immutable, so one computed for a text serves every rerun and every session; the
# cache is bounded by the bytes the captures hold (ATLAS_CAPTURE_CACHE_MB, default 256).
CAPTURES: BudgetCache[Run] = BudgetCache(
    "captures",
    budget_from_env("ATLAS_CAPTURE_CACHE_MB", 256),
    size_of=lambda run: tensor_bytes(run.attention.tensors()),
)
BATCHES: BudgetCache[BatchView] = BudgetCache(
    "mask batches",
    budget_from_env("ATLAS_BATCH_CACHE_MB", 32),
    size_of=lambda view: tensor_bytes(view.attention.tensors()),
)


def cached_capture(source: str, text: str, pair: str | None = None) -> Run:
    """The capture of a text by a source, from the cache or computed (and then kept). (The
    page's spinner says what runs: widgets.run_or_hint.)"""
    return CAPTURES.get((source, text, pair), lambda: _run(source, text, pair))


def _run(source: str, text: str, pair: str | None) -> Run:
    with model_slot():
        return capture_text(source, text, pair, qkv=source != "translator")


# Attention flow solves a max-flow per pair of tokens (2.3 s at 62 tokens): once per text.
FLOWS: BudgetCache[np.ndarray] = BudgetCache(
    "attention flows", budget_from_env("ATLAS_FLOW_CACHE_MB", 8), size_of=lambda a: a.nbytes
)


def cached_flow(
    source: str, text: str, pair: str | None, stack: str, compute: Callable[[], np.ndarray]
) -> np.ndarray:
    """The attention flow of one stack of a capture (`compute` it if not kept)."""
    return FLOWS.get((source, text, pair, stack), compute)


def cached_batch(first: str, second: str) -> BatchView:
    """Two sentences through the translator as one padded batch (the masks page)."""
    translator = loaders.translator()
    return BATCHES.get((first, second), lambda: _batch(translator, first, second))


def _batch(translator: OurTranslator, first: str, second: str) -> BatchView:
    with model_slot():
        return batch_view(translator, [first, second])


# The architecture page's captures hold every activation (a 64-token MiniLM text: about 12 MB).
ANATOMIES: BudgetCache[Anatomy] = BudgetCache(
    "anatomies",
    budget_from_env("ATLAS_ANATOMY_CACHE_MB", 64),
    size_of=lambda anatomy: tensor_bytes(anatomy.capture.tensors()),
)
BEAM_TREES: BudgetCache[BeamTree] = BudgetCache(
    "beam trees",
    budget_from_env("ATLAS_BEAM_CACHE_MB", 4),
    size_of=lambda tree: 100 * sum(len(step.candidates) for step in tree.steps),  # ~bytes
)
ANATOMY_MAX_TOKENS = 64  # MiniLM on the architecture page: every vector fits on screen


def cached_anatomy(model_key: str, text: str) -> Anatomy:
    """Everything one text does inside a model ("translator" or "minilm"), cached.
    Raises model.core.errors.InputError for text the model cannot run."""
    return ANATOMIES.get((model_key, text), lambda: _anatomy(model_key, text))


def _anatomy(model_key: str, text: str) -> Anatomy:
    with model_slot():
        if model_key == "translator":
            return translator_anatomy(loaders.translator(), text, beams=0)
        model, tokenizer = loaders.minilm()
        encoded = encode(tokenizer, text, limit=min(ANATOMY_MAX_TOKENS, max_length(tokenizer)))
        return bert_anatomy(model, encoded, name="MiniLM (all-MiniLM-L6-v2)")


def cached_beam_tree(source_ids: tuple[int, ...], width: int) -> BeamTree:
    return BEAM_TREES.get((source_ids, width), lambda: _beams(source_ids, width))


def _beams(source_ids: tuple[int, ...], width: int) -> BeamTree:
    with model_slot():
        return beam_tree(loaders.translator(), source_ids, width)


def cache_report() -> str:
    caches = (CAPTURES, BATCHES, ANATOMIES, FLOWS)
    return "; ".join(cache.report() for cache in caches)
