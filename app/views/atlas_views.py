"""The Head atlas page's parts: the shipped atlases, readers of the served models, the
query-key view, the word-pair search, and atlases of listed models computed on demand
(one at a time per server, kept on disk within a byte bound)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from app.serving import loaders, sources
from app.serving.budget_cache import BudgetCache, budget_from_env
from app.serving.caches import held_bytes, result
from app.serving.slots import model_slot
from model.analysis import head_atlas as ha
from model.core.capture import AXES
from model.core.errors import InputError

SERVED = ("minilm", "minilm-ner", "minilm-qa", "translator")
CACHE_DIR_ENV, CACHE_MB_ENV = "ATLAS_HEAD_ATLAS_DIR", "ATLAS_HEAD_ATLAS_CACHE_MB"


def shipped(folder: Path = ha.ATLAS_DIR) -> dict[str, Path]:
    """The atlases that ship with the app, by model key (data/atlas/MODEL.CORPUS.npz)."""
    return {path.name.split(".")[0]: path for path in sorted(folder.glob("*.npz"))}


@st.cache_resource(show_spinner=False, max_entries=16)
def load(path: str, stamp: float) -> ha.Atlas:
    """An atlas file, read once per process (and again when it changes: `stamp`)."""
    return ha.Atlas.load(Path(path))


def atlas_at(path: Path) -> ha.Atlas:
    return load(str(path), path.stat().st_mtime)


# -- readers of the served models ------------------------------------------------------------
def reader(model: str, qkv: bool = False) -> tuple[ha.Reader, Callable[[str], int]]:
    """A reader of a model the app serves (or a listed one) and its token count of a text,
    from the models the app has loaded (the command loads its own: model/atlas.py)."""
    if model == "translator":
        found = ha.translator_model_reader(loaders.translator(), qkv)
    elif model == "minilm-ner":
        tagger = loaders.ner_tagger()
        found = ha.hf_model_reader(
            tagger.model, tagger.tokenizer, lambda text, limit: tagger.encode(text, limit=limit),
            qkv,
        )  # fmt: skip
    elif model == "minilm":
        found = ha.hf_model_reader(*loaders.minilm(), qkv=qkv)
    elif model == "minilm-qa":
        qa = loaders.qa_reader()
        found = ha.hf_model_reader(qa.model, qa.tokenizer, qkv=qkv)
    else:
        net, tokenizer, _ = loaders.listed(model.removeprefix(sources.LISTED))
        found = ha.hf_model_reader(net, tokenizer, qkv=qkv)
    read, count, _ = found
    return read, count


# -- search: which heads link two words across the corpus -----------------------------------
SEARCHES: BudgetCache[tuple[np.ndarray | None, int]] = BudgetCache(
    "head atlas searches", budget_from_env("ATLAS_SEARCH_CACHE_MB", 4),
    size_of=lambda found: 64 + (found[0].nbytes if found[0] is not None else 0),
)  # fmt: skip
SEARCH_SENTENCES = 40  # at most this many corpus sentences are read for one search


def search(model: str, atlas: ha.Atlas, stack: str, query: str, key: str) -> pd.DataFrame | int:
    """The heads that link `query` to `key` most across the atlas's corpus, strongest first
    (the number of sentences read in the caption), or 0 when no sentence has both words."""
    query, key = query.strip(), key.strip()
    if not query or not key:
        raise InputError("Type a query word and a key word.")
    found = [s for s in atlas.sentences if ha.find_words(s, query) and ha.find_words(s, key)][
        :SEARCH_SENTENCES
    ]
    if not found:
        return 0

    def compute() -> tuple[np.ndarray | None, int]:
        read, _ = reader(model)
        with model_slot():
            return ha.links(((s, read(s)) for s in found), stack, query, key)

    means, used = SEARCHES.get((model, atlas.corpus, stack, query.lower(), key.lower()), compute)
    if means is None:
        return 0
    rows = [
        {"layer": layer, "head": head, "attention": float(means[layer, head])}
        for layer, head in np.ndindex(*means.shape)
    ]
    table = pd.DataFrame(rows).sort_values("attention", ascending=False, kind="stable")
    table.attrs["sentences"] = used
    return table.reset_index(drop=True)


# -- the query-key view ------------------------------------------------------------------------
COLOURS = {"side": "query or key", "position": "position", "pos": "part of speech"}


@dataclass(frozen=True)
class QKView:
    points: pd.DataFrame  # x, y, side ("query" / "key"), token, position, pos, sentence
    sentences: int


LAYOUTS: BudgetCache[QKView] = BudgetCache(
    "query-key layouts", budget_from_env("ATLAS_QK_CACHE_MB", 16),
    size_of=lambda view: int(view.points.memory_usage(deep=True).sum()),
)  # fmt: skip


def qk_view(model: str, atlas: ha.Atlas, stack: str, layer: int, head: int, points: int) -> QKView:
    """One head's queries and keys over corpus sentences drawn at random (a fixed seed) until
    there are enough, at most `points` vectors (half queries, half keys, sampled), laid out
    by t-SNE."""
    key = (model, atlas.corpus, stack, layer, head, points)
    return LAYOUTS.get(key, lambda: _qk_view(model, atlas, stack, layer, head, points))


def _qk_view(model: str, atlas: ha.Atlas, stack: str, layer: int, head: int, points: int) -> QKView:
    from model.datasets.parses import ParserMissing, parse

    read, _ = reader(model, qkv=True)
    queries: list[np.ndarray] = []
    keys: list[np.ndarray] = []
    meta: dict[str, list[list]] = {"query": [], "key": []}
    used = 0
    order = np.random.default_rng(0).permutation(len(atlas.sentences))
    with model_slot():
        for index in map(int, order):
            if sum(len(q) for q in queries) >= points // 2:
                break
            text = atlas.sentences[index]
            reading = read(text)
            if stack not in reading.vectors:
                raise InputError(f"This model records no queries and keys for {stack!r}.")
            q, k = reading.vectors[stack]
            _, q_side, k_side = reading.stacks[stack]
            try:
                pos = _pos_of(text, q_side, parse)
            except ParserMissing:
                pos = ["?"] * len(q_side.tokens)
            queries.append(q[layer, head])
            keys.append(k[layer, head])
            meta["query"] += [[t, i, pos[i], index] for i, t in enumerate(q_side.tokens)]
            k_pos = pos if AXES[stack][0] == AXES[stack][1] else ["(source)"] * len(k_side.tokens)
            meta["key"] += [[t, i, k_pos[i], index] for i, t in enumerate(k_side.tokens)]
            used += 1
    all_q, all_k = np.concatenate(queries), np.concatenate(keys)
    rng = np.random.default_rng(0)
    pick_q = np.sort(rng.permutation(len(all_q))[: points // 2])
    pick_k = np.sort(rng.permutation(len(all_k))[: points // 2])
    q_xy, k_xy = ha.query_key_layout(all_q[pick_q], all_k[pick_k])
    frames = []
    for side, xy, picked in (("query", q_xy, pick_q), ("key", k_xy, pick_k)):
        rows = [meta[side][i] for i in picked]
        frame = pd.DataFrame(rows, columns=["token", "position", "pos", "sentence"])
        frame["x"], frame["y"], frame["side"] = xy[:, 0], xy[:, 1], side
        frames.append(frame)
    return QKView(pd.concat(frames, ignore_index=True), used)


def _pos_of(text: str, side: ha.Side, parse: Callable) -> list[str]:
    """Each token's word's part of speech (spaCy), "special" for special tokens."""
    if not side.spans:
        return ["(target)"] * len(side.tokens)
    parsed = parse([text])[0]
    words = ha.align(side.spans, parsed)
    return ["special" if w < 0 else parsed.pos[w] for w in words]


# -- atlases of listed models, on demand -----------------------------------------------------
_building = threading.Lock()  # one atlas at a time per server


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "attention-atlas" / "head-atlases"
    return Path(os.environ.get(CACHE_DIR_ENV, default))


def cached_path(model: str, corpus: str, limit: int) -> Path:
    return cache_dir() / f"{model.replace(':', '-').replace('/', '-')}.{corpus}.{limit}.npz"


def keep_within_bound(folder: Path, budget: int) -> None:
    """Delete the least recently used atlases until the folder is within `budget` bytes."""
    files = sorted(folder.glob("*.npz"), key=lambda p: p.stat().st_atime)
    total = sum(p.stat().st_size for p in files)
    while files and total > budget:
        oldest = files.pop(0)
        total -= oldest.stat().st_size
        oldest.unlink(missing_ok=True)


def compute_atlas(
    model: str, corpus: str, limit: int, progress: Callable[[int, int], object]
) -> ha.Atlas | None:
    """A listed model's atlas over a corpus, from the disk cache or computed now (`progress`
    is told each sentence; a click on the page stops the run there). None when another
    atlas is being computed on this server."""
    from model.datasets.corpora import sentences
    from model.datasets.parses import ParserMissing, parse, parser_name

    path = cached_path(model, corpus, limit)
    if path.exists():
        path.touch()
        return atlas_at(path)
    if not _building.acquire(blocking=False):
        return None
    try:
        texts = sentences(corpus, limit)
        read, _ = reader(model)
        try:
            parses, parser = parse(texts), parser_name()
        except ParserMissing as missing:
            parses, parser = None, str(missing)
        with model_slot():
            atlas = ha.build(model, corpus, read, texts, parses, parser, progress=progress)
        atlas.save(path)
        keep_within_bound(path.parent, budget_from_env(CACHE_MB_ENV, 64))
        return atlas
    finally:
        _building.release()


def busy() -> bool:
    """Whether an atlas is being computed on this server now."""
    return _building.locked()


# A listed model's atlas computed as a job (app/serving/jobs.py) is handed to the page from here (it
# is on the disk cache too, from where the page reads it afterwards).
ATLASES: BudgetCache[ha.Atlas] = BudgetCache(
    "listed head atlases", budget_from_env("ATLAS_ATLAS_JOB_CACHE_MB", 16), size_of=held_bytes
)


def job_key(model: str, corpus: str, limit: int) -> tuple[str, str, str, int]:
    return ("head atlas", model, corpus, limit)


def estimate_s(model: str, limit: int) -> float:
    """Seconds to compute a listed model's atlas of `limit` sentences: one sentence read
    through the model, timed once per model (a short model call), times the sentences,
    plus a fifth for parsing and the measures."""
    from model.datasets.corpora import sentences

    def one_sentence() -> float:
        read, _ = reader(model)
        text = sentences("corpus", 1)[0]
        began = time.perf_counter()
        read(text)
        return time.perf_counter() - began

    return 1.2 * limit * float(result(("head atlas pass", model), one_sentence))


def as_job(model: str, corpus: str, limit: int) -> Callable[[], ha.Atlas]:
    """The atlas's computation as a job runs it (progress and Cancel are heard in the model);
    another atlas being computed here (by the command's lock) is said, not waited for."""

    def compute() -> ha.Atlas:
        found = compute_atlas(model, corpus, limit, lambda done, total: None)
        if found is None:
            raise InputError(BUSY)
        return found

    return compute


BUSY = "Another head atlas is being computed on this server; try again soon."


def pick_head(chart_key: str, state_key: str) -> None:
    """A click on a head map chooses that head (a callback: it lives in app/)."""
    from app.kit.figures import grid_cell

    points = st.session_state[chart_key].selection.points
    if points and points[0].get("customdata") is not None:
        st.session_state[state_key] = grid_cell(points[0])
