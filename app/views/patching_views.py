"""Activation patching on the task pages: which head, which layer at which position, which
sublayer carries the difference between a clean input and a corrupted one
(`model.core.patching`). The page proposes the corrupted input by swapping one name or
noun; a click on a head opens it in the explorer.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import streamlit as st

from app.kit import explore, figures, widgets
from app.kit.tokens import token_labels
from app.serving import caches, jobs
from model.core.errors import InputError
from model.core.patching import Experiment, Maps, patching_maps

# one name or noun for another of the same kind (and, in the tokenizers here, the same length)
SWAPS = {
    "Mary": "John", "John": "Mary", "Taylor": "Emma", "Swift": "Stone", "Paris": "Rome",
    "London": "Berlin", "Madrid": "Lisbon", "cat": "dog", "dog": "cat", "garden": "kitchen",
    "kitchen": "garden", "football": "apple", "apple": "football", "man": "woman",
    "woman": "man", "boy": "girl", "girl": "boy", "bicycle": "car", "car": "bicycle",
    "milk": "water", "water": "milk", "office": "bedroom", "bedroom": "office",
}  # fmt: skip
SAYS = (
    "Each cell runs the corrupted input with one activation taken from the clean run and "
    "measures how much of the clean answer comes back: (patched - corrupted) / (clean - "
    "corrupted), on the logit difference between the two answers. 1: fully restored; 0: no "
    "effect."
)


def swaps(text: str) -> list[str]:
    """The text with one name or noun swapped (case kept), for each word that has a swap, in
    order."""
    found = []
    for match in re.finditer(r"[A-Za-z]+", text):
        word = match.group()
        swap = SWAPS.get(word) or SWAPS.get(word.lower())
        if swap:
            if word[0].isupper():
                swap = swap[0].upper() + swap[1:]
            found.append(text[: match.start()] + swap + text[match.end() :])
    return found


def propose(text: str, works: Callable[[str], bool] | None = None, tries: int = 10) -> str:
    """A corrupted text: the first swap for which `works` (the model answers otherwise, at the
    same length), else the first swap, else the text as it is."""
    candidates = swaps(text)
    if works is not None:
        for candidate in candidates[:tries]:
            if works(candidate):
                return candidate
    return candidates[0] if candidates else text


def answers_otherwise(build: Callable[[str], Experiment]) -> Callable[[str], bool]:
    def works(candidate: str) -> bool:
        try:
            build(candidate)
        except InputError:  # another length, or the same answer
            return False
        return True

    return works


def corrupted_box(
    key: str, label: str, clean: str, chosen: int, proposal: Callable[[], str]
) -> str:
    """A box holding the corrupted input: `proposal()` is asked anew only when the clean input
    or the answer compared changes; what the visitor types stands otherwise."""
    if st.session_state.get(f"{key}_corrupt_for") != (clean, chosen):
        st.session_state[f"{key}_corrupt_for"] = (clean, chosen)
        with widgets.working("Looking for a swap that changes the answer…"):
            st.session_state[f"{key}_corrupt"] = proposal()
    return str(st.text_input(label, key=f"{key}_corrupt", max_chars=widgets.MAX_CHARS))


def without_word(text: str, start: int, end: int, pieces: int) -> str:
    """The text with the word at [start, end) replaced by as many "it"s as it has pieces: the
    same length in tokens, and no longer a name (for NER, where swapping a name for another
    keeps the tag)."""
    return text[:start] + " ".join(["it"] * max(1, pieces)) + text[end:]


def section(
    key: str,
    clean: str,
    targets: list[str],
    build: Callable[[int, str], Experiment],
    cache_key: tuple,
    explorer: tuple[str, str, str] | None = None,
    label: str = "Corrupted text (one name or noun swapped; the same length in tokens)",
    empty: str = "There is no answer to compare.",
    proposal: Callable[[int], str] | None = None,
    cost: jobs.Cost | None = None,
) -> None:
    """The patching section. `targets`: the answers it can compare, named; `build(target,
    corrupted)` makes the experiment; `explorer`: (model key, text, pair) to open a clicked
    head with; `proposal(target)`: the corrupted input to propose (else a swapped name or
    noun); `cost`: what one pass costs (then, when long, the maps are a job:
    app/serving/jobs.py, and the proposed swap is not tried first)."""
    st.header("Which part carries the difference?")
    if not st.toggle("Patch activations (clean into corrupted)", key=f"{key}_patch"):
        st.caption(
            "Activation patching: run a corrupted input with one head, layer or sublayer taken "
            "from the clean run, and see which restores the clean answer."
        )
        return
    if not targets:
        st.info(empty)
        return
    chosen = 0
    if len(targets) > 1:
        widgets.keep_in_range(f"{key}_patch_target", len(targets))
        chosen = int(
            st.selectbox("Answer compared", range(len(targets)),
                         format_func=targets.__getitem__, key=f"{key}_patch_target")
        )  # fmt: skip
    inputs = patching_passes(cost_shape(cost)) if cost else 0
    long = cost is not None and cost.seconds(inputs) > jobs.after_s()
    if proposal is not None:
        proposed = functools.partial(proposal, chosen)
    elif long:  # trying swaps costs two passes each: the first swap, as typed next
        proposed = functools.partial(propose, clean)
    else:  # a swap that changes the answer, found by trying (a model call each)
        proposed = functools.partial(
            propose, clean, answers_otherwise(functools.partial(build, chosen))
        )
    corrupted = corrupted_box(key, label, clean, chosen, proposed)
    doing = "Patching every head, every layer at every position and every sublayer"
    maps = widgets.run_or_hint(
        lambda: jobs.run(
            (*cache_key, targets[chosen], corrupted), doing,
            lambda: patching_maps(build(chosen, corrupted)), cost.model if cost else None,
            caches.PATCHES, inputs, cost.seconds(inputs) if cost else 0.0, f"{key}_patch",
        ),
        f"{doing}…",
    )  # fmt: skip
    if isinstance(maps, Maps):
        show(maps, key, explorer)


def cost_shape(cost: jobs.Cost) -> tuple[int, int, int]:
    """(layers, heads, tokens) of the model a cost is for."""
    config = getattr(cost.model, "config", None)
    layers = int(getattr(config, "num_hidden_layers", 0) or 1)
    heads = int(getattr(config, "num_attention_heads", 0) or 1)
    return layers, heads, cost.tokens


def patching_passes(shape: tuple[int, int, int]) -> int:
    """Inputs through the model for a listed model's maps: the clean and corrupted runs
    (twice, to find the answers and to remember), then every head patched in turn (its
    blocks are not labelled, so no stream or sublayer maps)."""
    layers, heads, _ = shape
    return 4 + layers * heads


def show(maps: Maps, key: str, explorer: tuple[str, str, str] | None) -> None:
    st.caption(
        f"Logit difference between the answers: {maps.clean:.3f} on the clean input, "
        f"{maps.corrupted:.3f} on the corrupted one. {SAYS}"
    )
    for stack, z in maps.heads.items():
        chart_key = f"{key}_patch_heads_{stack}"
        layers, heads = z.shape
        cells = np.stack(np.meshgrid(np.arange(layers), np.arange(heads), indexing="ij"), -1)
        options: dict[str, Any] = {}
        if explorer is not None:
            model, text, pair = explorer
            options = {
                "on_select": functools.partial(
                    explore.pick_clicked_head, chart_key, model, text, pair, stack
                ),
                "selection_mode": "points",
            }
        widgets.chart(
            figures.patch_map(z, [f"H{h}" for h in range(heads)],
                              f"Each head's output ({stack}), patched", "head", cells),
            key=chart_key, **options,
        )  # fmt: skip
    if explorer is not None:
        st.caption("Click a head to open it in the explorer.")
        explore.follow()
    if maps.stream.size:
        widgets.chart(
            figures.patch_map(maps.stream, token_labels(maps.tokens),
                              "The residual stream entering each layer, patched at one position",
                              "position"),
            key=f"{key}_patch_stream",
        )  # fmt: skip
        widgets.chart(
            figures.patch_map(maps.sublayers, list(maps.sublayer_names),
                              "Each sublayer's output, patched", "sublayer"),
            key=f"{key}_patch_sublayers",
        )  # fmt: skip


def explorer(source: str, text: str) -> None:
    """The explorer's Patching tab, for a listed model with an output."""
    from app.serving import loaders, sources
    from model.hf import byo

    if not source.startswith(sources.LISTED):
        st.info(
            "Patching for MiniLM with its adapters and for the translator is on their task "
            "pages (Named entities, Question answering, Translation); here it serves the "
            "listed models with an output."
        )
        return
    model, tokenizer, family = loaders.listed(source.removeprefix(sources.LISTED))
    what = "the next token" if family.kind == "decoder" else "the first token written"
    run = caches.capture(source, text)
    tokens = len(run.attention.axis_tokens(run.attention.stacks[0])[1])
    section(
        "ex", text, [] if family.kind == "encoder" else [what],
        lambda _, corrupted: byo.patching(model, tokenizer, family, text, corrupted),
        ("explorer", source, text), explorer=(source, text, ""),
        empty=f"A bare {family.name} encoder has no output to compare.",
        cost=jobs.Cost(model, tokens, run.forward_s),
    )  # fmt: skip
