"""The logit lens on the task pages and in the explorer: what each layer would already say,
read out through the model's own final layer (`model.analysis.lens`), as a layer x position
grid. Each cell holds the top token or label and its probability; the hover gives the top 5.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st
import torch

from app import caches, figures, loaders, sources, widgets
from app.tokens import readable_tokens
from model.analysis import lens as ln
from model.core.capture import capture

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


def ner(tagger: Any, result: Any, key: str = "ner") -> None:
    """The NER head read at every layer, on the first window's pieces."""
    inputs, _ = tagger.first_window(result)
    with widgets.working("Reading every layer through the NER head…"):
        hidden = _encoder_hidden(tagger.model, inputs)
    found = ln.lens(hidden, tagger.model.classifier, tagger.id2label.__getitem__)
    tokens = tagger.tokenizer.convert_ids_to_tokens(inputs["input_ids"][0])
    grid(found, tokens, "What each layer would tag", f"{key}_lens_grid", "word piece")


def qa(reader: Any, result: Any, key: str = "qa") -> None:
    """The QA head read at every layer: where the answer would start and end."""
    inputs = reader.window_inputs(result)
    with widgets.working("Reading every layer through the QA head…"):
        hidden = _encoder_hidden(reader.model, inputs)
    start, end = ln.span_lens(hidden, reader.model.qa_outputs)
    tokens = list(result.tokens)
    for name, z in (("start", start), ("end", end)):
        widgets.chart(
            figures.layer_grid(z, tokens, f"Where each layer would put the answer's {name}",
                               x_title="token", z_title=f"p({name})"),
            key=f"{key}_lens_{name}",
        )  # fmt: skip
    best = np.unravel_index(start[-1].argmax(), start[-1].shape)
    st.caption(f"{SAYS} The top row's likeliest start is token {int(best[0])}.")


def explorer(source: str, text: str, pair: str | None) -> None:
    """The explorer's Logit lens tab, for every source with an output layer."""
    if source == "translator":
        translation(text, key="ex")
    elif source == "minilm-ner":
        tagger = loaders.ner_tagger()
        tagged = widgets.run_or_hint(lambda: tagger(text), "Tagging…")
        if tagged is not None:
            ner(tagger, tagged, key="ex")
    elif source == "minilm-qa":
        if not pair:
            st.info("Type the context as the second segment: the question is the first.")
            return
        reader = loaders.qa_reader()
        read = widgets.run_or_hint(lambda: reader(text, pair), "Reading…")
        if read is not None:
            qa(reader, read, key="ex")
    elif source.startswith(sources.LISTED):
        model, tokenizer, family = loaders.listed(source.removeprefix(sources.LISTED))
        found = widgets.run_or_hint(
            lambda: ln.listed_lens(model, tokenizer, family, text),
            "Reading every decoder layer out through the model's head…",
        )
        if found is not None:
            grid(found[0], list(found[1]), "What each decoder layer would write next",
                 "ex_lens_grid", "the token each position reads")  # fmt: skip
    else:
        st.info(
            "MiniLM without an adapter has no output layer to read its layers through: pick "
            "MiniLM with its NER or QA adapter, the translator, or a listed model with a head."
        )
