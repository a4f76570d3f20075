"""What the app computes once and every session shares: captures, attention flows, the masks
page's batches, anatomies and beam trees, each in a cache bounded by bytes
(app/serving/budget_cache.py; every cache registers itself, so `budget_cache.report()` covers
them all, the fine-tuned copies of app/serving/tuned.py too). Results are immutable, so one
computed for a text serves every rerun and every session. Each call holds one of the server's
model slots while it computes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from typing import TypeVar, cast

import numpy as np
import torch

from app.serving import loaders
from app.serving.budget_cache import BudgetCache, budget_from_env, tensor_bytes
from app.serving.slots import model_slot
from app.serving.sources import SOURCES, Run, largest_capture
from model.analysis.anatomy import Anatomy, BeamTree, bert_anatomy, translator_anatomy
from model.analysis.anatomy import beam_tree as traced_beam_search
from model.analysis.explanations import Prepared
from model.analysis.lens import Lens
from model.core.patching import Maps
from model.hf.encoding import encode, max_length
from model.tasks.translation import BatchView, OurTranslator, batch_view

T = TypeVar("T")

# The cache is bounded by the bytes the captures hold (ATLAS_CAPTURE_CACHE_MB, default 256),
# raised to hold one capture of a listed model at its longest (ATLAS_CAPTURE_MAX_MB): a capture
# the cache could not keep would be computed again on every tab switch.
CAPTURE_BUDGET = budget_from_env("ATLAS_CAPTURE_CACHE_MB", 256)
CAPTURES: BudgetCache[Run] = BudgetCache(
    "captures",
    CAPTURE_BUDGET,
    size_of=lambda run: tensor_bytes(run.attention.tensors()),
)
BATCHES: BudgetCache[BatchView] = BudgetCache(
    "mask batches",
    budget_from_env("ATLAS_BATCH_CACHE_MB", 32),
    size_of=lambda view: tensor_bytes(view.attention.tensors()),
)


def capture(source: str, text: str, pair: str | None = None) -> Run:
    """The capture of a text by a source of the registry (app/serving/sources.py), from the cache or
    computed (and then kept). (The page's spinner says what runs: widgets.run_or_hint.)"""
    CAPTURES.budget = max(CAPTURE_BUDGET, largest_capture())
    return CAPTURES.get((source, text, pair), lambda: _capture(source, text, pair))


def _capture(source: str, text: str, pair: str | None) -> Run:
    with model_slot():
        return SOURCES[source].capture(text, pair)


# Attention flow solves a max-flow per pair of tokens (2.3 s at 62 tokens): once per text.
FLOWS: BudgetCache[np.ndarray] = BudgetCache(
    "attention flows", budget_from_env("ATLAS_FLOW_CACHE_MB", 8), size_of=lambda a: a.nbytes
)


def flow(
    source: str, text: str, pair: str | None, stack: str, compute: Callable[[], np.ndarray]
) -> np.ndarray:
    """The attention flow of one stack of a capture (`compute` it if not kept)."""
    return FLOWS.get((source, text, pair, stack), compute)


def batch(first: str, second: str) -> BatchView:
    """Two sentences through the translator as one padded batch (the masks page)."""
    translator = loaders.translator()
    return BATCHES.get((first, second), lambda: _batch(translator, first, second))


def _batch(translator: OurTranslator, first: str, second: str) -> BatchView:
    with model_slot():
        return batch_view(translator, [first, second])


# Inside the Transformer's captures hold every activation (a 64-token MiniLM text: about 12 MB).
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
ANATOMY_MAX_TOKENS = 64  # MiniLM inside the Transformer: every vector fits on screen


def anatomy(model_key: str, text: str) -> Anatomy:
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


def beam_tree(source_ids: tuple[int, ...], width: int) -> BeamTree:
    return BEAM_TREES.get((source_ids, width), lambda: _beams(source_ids, width))


def _beams(source_ids: tuple[int, ...], width: int) -> BeamTree:
    with model_slot():
        return traced_beam_search(loaders.translator(), source_ids, width)


def _in_slot(compute: Callable[[], T]) -> Callable[[], T]:
    """`compute`, run holding one of the server's model slots."""

    def run() -> T:
        with model_slot():
            return compute()

    return run


# What explanations compute does not depend on the layer and head a visitor picks: kept per
# text and output (model.analysis.explanations.Prepared: a few numbers per head and token).
EXPLANATIONS: BudgetCache[Prepared] = BudgetCache(
    "explanations",
    budget_from_env("ATLAS_EXPLANATION_CACHE_MB", 4),
    size_of=lambda found: found.nbytes,
)

# A listed model's logit lens: each decoder layer's output for a text (16 x 512 x 2048 floats
# for Llama-3.2-1B at 512 tokens, 64 MB), and the read-outs of the windows shown.
HIDDEN: BudgetCache[tuple[torch.Tensor, tuple[str, ...]]] = BudgetCache(
    "lens hidden states",
    budget_from_env("ATLAS_LENS_CACHE_MB", 160),
    size_of=lambda found: found[0].nbytes + 100 * len(found[1]),
)
LENSES: BudgetCache[tuple[Lens, tuple[str, ...]]] = BudgetCache(
    "lens read-outs",
    budget_from_env("ATLAS_LENS_READOUT_CACHE_MB", 8),
    size_of=lambda found: found[0].top_probs.nbytes * 8 + 100 * len(found[1]),
)

# Activation patching runs the model once per head, per layer and position, per sublayer.
PATCHES: BudgetCache[Maps] = BudgetCache(
    "patching maps",
    budget_from_env("ATLAS_PATCHING_CACHE_MB", 4),
    size_of=lambda maps: (
        200
        + maps.stream.nbytes
        + maps.sublayers.nbytes
        + sum(z.nbytes for z in maps.heads.values())
    ),
)


def patching(key: Hashable, compute: Callable[[], Maps]) -> Maps:
    """One clean/corrupted pair's patching maps, `compute`d once."""

    return PATCHES.get(key, _in_slot(compute))


def held_bytes(value: object) -> int:
    """About what a result holds: its tensors and arrays (in tuples, lists, dicts and
    dataclasses, as deep as they go), and a little for everything else."""
    if isinstance(value, torch.Tensor):
        return value.untyped_storage().nbytes()
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (tuple, list)):
        return 64 + sum(held_bytes(v) for v in value)
    if isinstance(value, dict):
        return 64 + sum(held_bytes(v) for v in value.values())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return 64 + sum(held_bytes(getattr(value, f.name)) for f in dataclasses.fields(value))
    return 256


# Small results a view reads on every rerun (a text's entities or answer, the outputs an
# explanation can be asked for, the lens's layers of a shipped model): computed once per text.
RESULTS: BudgetCache[object] = BudgetCache(
    "task results", budget_from_env("ATLAS_RESULT_CACHE_MB", 32), size_of=held_bytes
)


def result(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`'s value for `key`, computed once (holding a model slot) and kept."""
    return cast(T, RESULTS.get(key, _in_slot(compute)))
