"""The models the explorer can look into: one registry, in which each source says how it
turns typed text into a capture and what that capture records. The operator's listed
models (ATLAS_MODELS) join it at run time (`refresh_listed`)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.serving import loaders
from model.core.capture import AttentionCapture, Stack
from model.hf import budgets, byo
from model.hf.encoding import encode, max_length, run_with_capture
from model.hf.families import Family


@dataclass(frozen=True)
class Run:
    attention: AttentionCapture
    dropped: int  # tokens cut to fit the model
    notes: tuple[str, ...] = ()
    forward_s: float = 0.0  # one forward pass over the text, measured: what analyses scale from
    model: Any = None  # the module that ran (what a long analysis's job watches)


Runner = Callable[[str, "str | None", bool], Run]  # (text, second segment, record Q/K/V)


@dataclass(frozen=True)
class Source:
    label: str
    stacks: tuple[Stack, ...]
    pairs: bool  # takes a second segment (BERT sentence pairs)
    note: str
    run: Runner
    # Whether its captures record Q, K, V and the masks (bertviz's neuron view reads them);
    # the translator's steps are many small calls, whose Q/K/V nobody here shows.
    qkv: bool = True

    def capture(self, text: str, pair: str | None = None) -> Run:
        """Raises model.core.errors.InputError for text the model cannot run."""
        return self.run(text, pair, self.qkv)


def _bert_run(load: Callable[[], tuple]) -> Callable[[str, str | None, bool], Run]:
    def run(text: str, pair: str | None, qkv: bool) -> Run:
        model, tokenizer = load()
        encoded = encode(tokenizer, text, pair, limit=max_length(tokenizer, model))
        began = time.perf_counter()
        attention, _ = run_with_capture(model, encoded, qkv=qkv, masks=qkv)
        return Run(attention, encoded.dropped, (), time.perf_counter() - began, model)

    return run


def _tagger_run(text: str, pair: str | None, qkv: bool) -> Run:
    tagger = loaders.ner_tagger()  # it knows how its model reads text (casing included)
    encoded = tagger.encode(text, limit=max_length(tagger.tokenizer, tagger.model))
    began = time.perf_counter()
    attention, _ = run_with_capture(tagger.model, encoded, qkv=qkv, masks=qkv)
    return Run(attention, encoded.dropped, (), time.perf_counter() - began, tagger.model)


def _tuned(load: Callable[[], object]) -> Callable[[], tuple]:
    def models() -> tuple:
        runner: Any = load()
        return runner.model, runner.tokenizer

    return models


def _translator_run(text: str, pair: str | None, qkv: bool) -> Run:
    translator = loaders.translator()
    began = time.perf_counter()
    result = translator.translate(text, beam=1)
    steps = max(1, result.attention.n_steps("decoder"))  # a step is about one pass's work
    notes = (f"Translation: {result.text}", *result.notices)
    return Run(result.attention, 0, notes, (time.perf_counter() - began) / steps,
               translator.model)  # fmt: skip


SOURCES: dict[str, Source] = {
    "minilm": Source("MiniLM (packaged BERT, 6 x 12 heads)", ("encoder",), True,
                     "sentence-transformers/all-MiniLM-L6-v2, as packaged on PyPI.",
                     _bert_run(loaders.minilm)),
    "minilm-ner": Source("MiniLM + NER adapter", ("encoder",), False,
                         "MiniLM fine-tuned (LoRA) on WNUT-16 tweets for named entities; each "
                         "word's casing goes in as its segment (token type) id.", _tagger_run),
    "minilm-qa": Source("MiniLM + QA adapter", ("encoder",), True,
                        "MiniLM fine-tuned (LoRA) for extractive QA: type a question, then the "
                        "context as the second segment.", _bert_run(_tuned(loaders.qa_reader))),
    "translator": Source("Our English->Spanish transformer", ("encoder", "decoder", "cross"),
                         False, "Trained from scratch by this project; its greedy translation "
                         "of the text is decoded and every step's attention recorded.",
                         _translator_run, qkv=False),
}  # fmt: skip


def _listed_run(name: str) -> Callable[[str, str | None, bool], Run]:
    def run(text: str, pair: str | None, qkv: bool) -> Run:
        model, tokenizer, family = loaders.listed(name)
        qkv = qkv and budgets.keeps_qkv(family)
        longest = max_length(tokenizer, model)
        limit = budgets.capture_tokens(model.config, family, longest, qkv)
        timings: dict[str, float] = {}
        attention, dropped, wrote = byo.run_text(
            model, tokenizer, family, text, pair, qkv, limit=limit, timings=timings
        )
        notes = [f"The model wrote: {wrote}"] if wrote.strip() else []
        if dropped and limit < longest:
            notes.append(
                f"This server shows every head of {name} for texts of up to {limit} tokens "
                f"(the model reads {longest}): one text's capture is kept within "
                f"{budgets.capture_max_bytes() >> 20} MB ({budgets.CAPTURE_MAX_ENV}). Shorten "
                "the text to see all of it."
            )
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
        return Run(attention, dropped, tuple(notes), timings["forward_s"], model)

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
        del SOURCES[key]
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
            _listed_run(entry.name),
        )
    _listed_from[0] = stamp


LISTED = "listed:"  # the key prefix of a listed model


def largest_capture() -> int:
    """The bytes one text's capture may take (`budgets.capture_max_bytes`) where models are
    listed, else 0: the capture cache must hold at least one, or every tab switch on a large
    model would run it again."""
    return budgets.capture_max_bytes() if any(k.startswith(LISTED) for k in SOURCES) else 0
