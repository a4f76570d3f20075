"""The Explanations view, on each task page and in the explorer: for one output of a model,
where its attention looks (a head, its layer, every layer, rollout, flow) and what the output
depends on (gradient x input, integrated gradients, occlusion), as heat strips over the same
tokens, each with its rank correlation with occlusion.

A page hands over its choices: each output it can explain, named, with how to build it
(`model.core.attribution.Subject`). What attention stands for is defined once
(`model.analysis.attention.EXPLAINED_BY`) and stated under the chart.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from app.kit import widgets
from app.serving import caches, jobs, loaders, sources
from model.analysis.attention import EXPLAINED_BY, FLOW_MAX_TOKENS
from model.analysis.explanations import Explanation, Prepared, prepare
from model.core.attribution import IG_FLOOR, IG_MAX_STEPS, IG_STEPS, IG_TOLERANCE, Subject
from model.core.capture import AttentionCapture
from model.core.errors import InputError

Choice = tuple[str, Callable[[], Subject]]  # an output in words, and how to explain it
MAX_TOKENS = 256  # integrated gradients and occlusion grow with the length: beyond, a message
REMOVED = (
    "A token is removed by replacing it with the tokenizer's mask token ([MASK]; our "
    "translator, which has none, uses [UNK]), and the NER tagger's casing class of that "
    "token goes with it: occlusion removes each in turn, integrated gradients start from "
    "every token removed. Special tokens are never removed."
)
IMAGE_FORMATS = {"PNG": "png", "SVG": "svg"}


def explanation_passes(tokens: int, steps: int = IG_STEPS) -> tuple[int, float]:
    """Inputs through the model for every explanation of one output (the output found, its
    attention, gradient x input, integrated gradients with its two ends, occlusion with its
    baseline), and their cost in forward passes (a backward pass costs about two)."""
    inputs = 2 + 1 + (steps + 2) + (tokens + 1)
    return inputs, 2 + 3 * (1 + steps + 2) + (tokens + 1)


def section(
    choices: list[Choice],
    key: str,
    text_key: Hashable,
    shape: tuple[int, int],
    empty: str,
    cost: jobs.Cost | None = None,
) -> None:
    """The Explanations section. `text_key`: what identifies the input (the cache's key);
    `shape`: the model's layers and heads; `empty`: why there is nothing to explain; `cost`:
    what one pass costs (then, when long, the explanation is a job: app/serving/jobs.py)."""
    st.header("Does it matter? Explanations")
    if not choices:
        st.info(empty)
        return
    inputs, passes = explanation_passes(cost.tokens if cost else 0)
    help_ = (
        f"Integrated gradients and occlusion run the model at least {inputs:,} times"
        + (f": about {jobs.duration(cost.seconds(passes))} here" if cost else "")
        + f". Integrated gradients starts with {IG_STEPS} steps and doubles them, up to "
        f"{IG_MAX_STEPS}, until its error is within {IG_TOLERANCE:.0%}: a hard output costs more."
    )
    if not st.toggle("Explain an output", key=f"{key}_explain", help=help_):
        st.caption(
            "Attention shows where the model looks; attribution shows what its output "
            "depends on. Switch on to put both side by side for an output of this text."
        )
        return
    names = [name for name, _ in choices]
    widgets.keep_in_range(f"{key}_target", len(names))
    chosen = int(
        st.selectbox("Explain", range(len(names)), format_func=names.__getitem__,
                     key=f"{key}_target")
    )  # fmt: skip
    layer, head = widgets.layer_head_selectors(*shape, key=f"{key}_x")
    label = f"Explaining {names[chosen]}: integrated gradients and occlusion"
    found = widgets.run_or_hint(
        lambda: jobs.run(
            (text_key, names[chosen]), label, functools.partial(_prepared, choices[chosen][1]),
            cost.model if cost else None, caches.EXPLANATIONS, inputs,
            cost.seconds(passes) if cost else 0.0, key,
        ),
        f"{label}…",
    )  # fmt: skip
    if isinstance(found, Prepared):
        show(found.at(layer, head), key, names[chosen])


def _prepared(build: Callable[[], Subject]) -> Prepared:
    subject = build()
    if len(subject.tokens) > MAX_TOKENS:
        raise InputError(
            f"This input has {len(subject.tokens)} tokens; explanations are computed for up to "
            f"{MAX_TOKENS} (occlusion runs the model once per token). Shorten the text."
        )
    return prepare(subject)


def removed_note(found: Explanation) -> str:
    """What removal did for this model (a tokenizer without a mask token says its fallback)."""
    if not found.removed_as:
        return REMOVED
    return (
        f"A token is removed by replacing it with {found.removed_as}: occlusion removes each "
        "in turn, integrated gradients start from every token removed. Special tokens are "
        "never removed."
    )


def integration_note(found: Explanation) -> str:
    """Integrated gradients' steps and signed error, against what it integrates."""
    relative = found.relative_delta or 0.0
    note = (
        f"Integrated gradients took {found.steps} steps. Its scores sum to f(input) - "
        f"f(every token removed) = {found.change:.4g} up to an error (delta) of "
        f"{found.delta:+.3g}, {relative:.2%} of it"
    )
    if relative > IG_TOLERANCE and (found.delta is None or abs(found.delta) > IG_FLOOR):
        return note + f": not converged within {IG_MAX_STEPS} steps; read its scores with care."
    return note + "."


def show(found: Explanation, key: str, name: str) -> None:
    """The strips of one explanation (`name`: what is explained, as the menu says it)."""
    image = IMAGE_FORMATS[
        st.radio("Chart download (camera icon)", list(IMAGE_FORMATS), horizontal=True,
                 key=f"{key}_image")
        or "PNG"
    ]  # fmt: skip
    widgets.chart(_figure(found, name), key=f"{key}_strips", image=image)
    correlation = found.correlation
    left, right = widgets.chart_columns([3, 2])
    with left:
        st.caption(EXPLAINED_BY)
        st.caption(
            "Each strip is scaled by its largest value on the text's own tokens; on special "
            "tokens, where attention often piles up, it is clipped (the hover has every value)."
        )
        st.caption(removed_note(found))
        if found.delta is not None:
            st.caption(integration_note(found))
        if "flow" not in found.rows:
            st.caption(f"Flow is computed for inputs of up to {FLOW_MAX_TOKENS} tokens.")
    with right:
        st.dataframe(
            pd.DataFrame(
                {"explanation": list(correlation), "Spearman with occlusion": list(
                    correlation.values())}
            ).round(3),
            hide_index=True,
            key=f"{key}_correlation",
        )  # fmt: skip
    st.download_button(
        "Explanations as CSV",
        data=table_csv(found),
        file_name="explanations.csv",
        mime="text/csv",
        key=f"{key}_explanations_csv",
        on_click="ignore",
    )


def _figure(found: Explanation, name: str) -> Any:
    from app.kit import figures

    return figures.explanation_strips(
        found.rows, found.tokens, title=f"What explains {name}",
        scaled_on=found.removable,
    )  # fmt: skip


def table_csv(found: Explanation) -> bytes:
    """One row per token: its position, the token, and every explanation's raw score."""
    table = pd.DataFrame({"position": range(len(found.tokens)), "token": found.tokens})
    for name, row in found.rows.items():
        table[name] = np.asarray(row, dtype=np.float64)
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


# -- what each model can explain ----------------------------------------------------------------
def ner_choices(tagger: Any, result: Any) -> list[Choice]:
    return [
        (f"{e.label} '{e.text}'", functools.partial(tagger.explain, result, e))
        for e in result.entities
    ]


def qa_choices(reader: Any, result: Any) -> list[Choice]:
    if result.best is None:
        return []
    return [(f"the answer '{result.best.text}'", functools.partial(reader.explain, result))]


def translation_choices(translator: Any, result: Any) -> list[Choice]:
    from app.kit.tokens import readable_tokens

    shown = readable_tokens(result.output_tokens, marked=True)
    return [
        (f"step {s + 1}: '{token}'", functools.partial(translator.explain, result, s))
        for s, token in enumerate(shown)
    ]


NO_OUTPUT = (
    "MiniLM without an adapter has no output to explain: its weights end at the encoder. "
    "Pick MiniLM with its NER or QA adapter, the translator, or a listed model with a head."
)
NO_ENTITY = "No entity was found in this text, so there is no tag to explain."
NO_ANSWER = "There is no answer in the context to explain: the model found none."


def explorer_choices(source: str, text: str, pair: str | None) -> tuple[list[Choice], str]:
    """The outputs the explorer can explain for a source and a text, and why there are none.
    Raises model.core.errors.InputError for text the model cannot run."""
    from model.hf import byo
    from model.hf.families import Family

    if source == "minilm-ner":
        tagger = loaders.ner_tagger()
        return ner_choices(tagger, tagger(text)), NO_ENTITY
    if source == "minilm-qa":
        if not pair:
            return [], "Type the context as the second segment: the question is the first."
        reader = loaders.qa_reader()
        return qa_choices(reader, reader(text, pair)), NO_ANSWER
    if source == "translator":
        translator = loaders.translator()
        return translation_choices(translator, translator.translate(text)), ""
    if source.startswith(sources.LISTED):
        model, tokenizer, family = loaders.listed(source.removeprefix(sources.LISTED))
        assert isinstance(family, Family)
        if family.kind == "encoder":
            return [], (
                f"A bare {family.name} encoder has no output to explain: attribution needs a "
                "task head or a language-model head."
            )
        steps = 1 if family.kind == "decoder" else byo.GENERATE_STEPS
        explain_at = functools.partial(byo.explain, model, tokenizer, family, text)
        names = ["the next token"] if steps == 1 else [f"step {s + 1}" for s in range(steps)]
        return [(n, functools.partial(explain_at, s)) for s, n in enumerate(names)], ""
    return [], NO_OUTPUT


def explorer(
    source: str, text: str, pair: str | None, att: AttentionCapture, cost: jobs.Cost | None
) -> None:
    """The explorer's Explanations tab: the outputs `source` gave for `text`, each explained
    (a job when `cost` says it is long)."""
    found = widgets.run_or_hint(
        lambda: caches.result(
            ("choices", source, text, pair), lambda: explorer_choices(source, text, pair)
        ),
        f"Running {sources.SOURCES[source].label} to find its outputs…",
    )
    if found is not None:
        choices, empty = found
        last = att.stacks[-1]  # cross-attention, where a model has it
        section(
            choices, key="ex", text_key=("explorer", source, text, pair),
            shape=(att.n_layers(last), att.n_heads(last)), empty=empty, cost=cost,
        )  # fmt: skip
