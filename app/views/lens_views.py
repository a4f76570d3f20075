"""The logit lens on the task pages and in the explorer: what each layer would already say,
read out through the model's own final layer (`model.analysis.lens`), as a layer x position
grid. Each cell holds the top token or label and its probability; the hover gives the top 5.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import numpy as np
import streamlit as st
import torch

from app.kit import figures, widgets
from app.kit.tokens import readable_tokens
from app.serving import caches, jobs, loaders, sources
from model.analysis import lens as ln
from model.core.capture import capture
from model.hf import budgets
from model.hf.encoding import max_length

T = TypeVar("T")
SAYS = (
    "Each layer's output is read out as if it were the last: through the model's final norm "
    "(where it has one) and its output layer or task head. The top row is what the model "
    "said; lower rows show how early the answer forms."
)


def grid(found: ln.Lens, columns: list[str], title: str, key: str, x_title: str,
         marked: bool | None = None) -> None:  # fmt: skip
    """The lens as a grid: the top name in each cell, the top 5 in the hover."""
    text = [[readable_tokens([cell[0]], marked)[0] for cell in layer] for layer in found.top_names]
    hover = [
        [figures.lens_hover(readable_tokens(list(cell), marked), found.top_probs[i, p])
         for p, cell in enumerate(layer)]
        for i, layer in enumerate(found.top_names)
    ]  # fmt: skip
    widgets.chart(
        figures.layer_grid(found.top_probs[:, :, 0], columns, title, text=text, hover=hover,
                           x_title=x_title),
        key=key,
    )  # fmt: skip
    st.caption(SAYS)


def section(key: str) -> bool:
    """The page's logit-lens section: whether the visitor switched it on."""
    st.header("What each layer would say")
    on = bool(st.toggle("Read every layer out (logit lens)", key=f"{key}_lens"))
    if not on:
        st.caption("Read each layer's output through the model's own last layer, to see where "
                   "the answer forms.")  # fmt: skip
    return on


def translation(text: str, key: str = "tr") -> None:
    """Our translator's decoder, each layer at each greedy step (the anatomy's capture)."""
    anatomy = widgets.run_or_hint(
        lambda: caches.anatomy("translator", text), "Reading every decoder layer out…"
    )
    if anatomy is None:
        return
    translator = loaders.translator()
    hidden = ln.block_outputs(anatomy.capture, "decoder", anatomy.spec.n_layers)
    found = ln.lens(
        hidden, translator.model.generator, lambda i: translator.tokenizer.id_to_token(i) or "?"
    )
    grid(found, list(anatomy.target), "What each decoder layer would write next, at each step",
         f"{key}_lens_grid", "the decoder's input at each step", marked=True)  # fmt: skip


def _encoder_hidden(model: Any, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    with torch.inference_mode(), capture(model, activations=True) as recorder:
        model(**inputs)
    layers = int(model.config.num_hidden_layers)
    return ln.block_outputs(recorder.result, "encoder", layers)


def _once(key: Hashable | None, compute: Callable[[], T]) -> T:
    """`compute()`, kept under `key` (a shipped model's result for a text), or computed."""
    return compute() if key is None else caches.result(key, compute)


def ner(tagger: Any, result: Any, key: str = "ner", kept_as: Hashable | None = None) -> None:
    """The NER head read at every layer, on the first window's pieces (`kept_as`: what
    identifies the text for a shipped model, whose lens is then computed once)."""
    inputs, _ = tagger.first_window(result)
    with widgets.working("Reading every layer through the NER head…"):
        found = _once(kept_as, lambda: ln.lens(_encoder_hidden(tagger.model, inputs),
                                               tagger.model.classifier,
                                               tagger.id2label.__getitem__))  # fmt: skip
    tokens = tagger.tokenizer.convert_ids_to_tokens(inputs["input_ids"][0])
    grid(found, tokens, "What each layer would tag", f"{key}_lens_grid", "word piece")


def qa(reader: Any, result: Any, key: str = "qa", kept_as: Hashable | None = None) -> None:
    """The QA head read at every layer: where the answer would start and end (`kept_as`: as
    for `ner`)."""
    inputs = reader.window_inputs(result)
    with widgets.working("Reading every layer through the QA head…"):
        start, end = _once(
            kept_as,
            lambda: ln.span_lens(_encoder_hidden(reader.model, inputs), reader.model.qa_outputs),
        )
    tokens = list(result.tokens)
    for name, z in (("start", start), ("end", end)):
        widgets.chart(
            figures.layer_grid(z, tokens, f"Where each layer would put the answer's {name}",
                               x_title="token", z_title=f"p({name})"),
            key=f"{key}_lens_{name}",
        )  # fmt: skip
    best = np.unravel_index(start[-1].argmax(), start[-1].shape)
    st.caption(f"{SAYS} The top row's likeliest start is token {int(best[0])}.")


def explorer(
    source: str, text: str, pair: str | None, window: tuple[int, int] | None = None
) -> None:
    """The explorer's Logit lens tab, for every source with an output layer. `window`: the
    explorer's tokens shown (a listed model's lens reads out at most POSITIONS of them)."""
    if source == "translator":
        translation(text, key="ex")
    elif source == "minilm-ner":
        tagger = loaders.ner_tagger()
        tagged = widgets.run_or_hint(
            lambda: caches.result(("ner", text), lambda: tagger(text)), "Tagging…"
        )
        if tagged is not None:
            ner(tagger, tagged, key="ex", kept_as=("ner lens", text))
    elif source == "minilm-qa":
        if not pair:
            st.info("Type the context as the second segment: the question is the first.")
            return
        reader = loaders.qa_reader()
        read = widgets.run_or_hint(
            lambda: caches.result(("qa", text, pair), lambda: reader(text, pair)), "Reading…"
        )
        if read is not None:
            qa(reader, read, key="ex", kept_as=("qa lens", text, pair))
    elif source.startswith(sources.LISTED):
        listed(source, text, window)
    else:
        st.info(
            "MiniLM without an adapter has no output layer to read its layers through: pick "
            "MiniLM with its NER or QA adapter, the translator, or a listed model with a head."
        )


POSITIONS = 64  # read out at once: a grid wider than this has no room for its words


def listed(source: str, text: str, window: tuple[int, int] | None) -> None:
    """A listed model's decoder read out at every layer: one forward pass for the layers'
    outputs (kept per text), then the read-out of up to POSITIONS positions, the last ones of
    the explorer's window, a chunk of positions at a time (never a layers x positions x
    vocabulary tensor). Long ones run as a job."""
    model, tokenizer, family = loaders.listed(source.removeprefix(sources.LISTED))
    if family.kind == "encoder":
        st.info(
            f"A bare {family.name} encoder has no output layer: the logit lens needs a "
            "language-model head."
        )
        return
    run = caches.capture(source, text)
    tokens = len(run.attention.axis_tokens(run.attention.stacks[-1])[0])
    end = min(window[1] if window else tokens, tokens)
    start = max(window[0] if window else 0, end - POSITIONS)
    # one pass over the text (unless kept), then the read-out
    passes = (0 if (source, text) in caches.HIDDEN else 1) + ln.readout_passes(
        model, end - start, tokens
    )
    kept = caches.LENSES.peek((source, text, start, end)) is not None
    if not kept and not st.toggle(
        "Read every layer out (logit lens)", key="ex_lens",
        help=f"One pass of the model over the text, then its head on every layer's output "
        f"at up to {POSITIONS} positions: about {jobs.duration(passes * run.forward_s)} here.",
    ):  # fmt: skip
        st.caption("Read each decoder layer's output through the model's own head, to see "
                   "where the next token forms (a model call: switched on here).")  # fmt: skip
        return
    limit = budgets.capture_tokens(model.config, family, max_length(tokenizer, model))

    def compute() -> tuple[ln.Lens, tuple[str, ...]]:
        hidden, read = caches.HIDDEN.get(
            (source, text), lambda: ln.listed_hidden(model, tokenizer, family, text, limit=limit)
        )
        last = min(end, hidden.shape[1])
        first = min(start, max(0, last - 1))
        found = ln.lens(hidden[:, first:last], ln.hf_readout(model), ln.token_namer(tokenizer))
        return found, read[first:last]

    found = widgets.run_or_hint(
        lambda: jobs.run(
            (source, text, start, end), "Reading every decoder layer out through the model's "
            f"head (positions {start} to {end - 1})", compute, model, caches.LENSES, 1,
            passes * run.forward_s, "ex_lens",
        ),
        "Reading every decoder layer out through the model's head…",
    )  # fmt: skip
    if found is not None:
        if tokens > POSITIONS:
            st.caption(
                f"Positions {start} to {end - 1} of {tokens}: the last {POSITIONS} of the "
                "window chosen above (Tokens shown)."
            )
        grid(found[0], list(found[1]), "What each decoder layer would write next",
             "ex_lens_grid", "the token each position reads")  # fmt: skip
