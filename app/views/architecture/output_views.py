"""The views of the output blocks: the final linear map, the softmax, the word chosen, the
beam search tree."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from markupsafe import Markup

from app.kit import figures, text, widgets
from app.kit.theme import lecture_mode
from app.kit.tokens import readable_tokens
from app.serving import caches, loaders
from app.views.architecture import diagram
from app.views.architecture.shown import Shown, tabs, vectors
from model.analysis import anatomy as an


# -- the output --------------------------------------------------------------------------------
def vocabulary() -> Callable[[int], str]:
    """The translator's token for an id (only the translator has an output layer here)."""
    vocab = loaders.translator().tokenizer
    return lambda i: vocab.id_to_token(i) or "?"


def linear_view(shown: Shown) -> None:
    spec, step = shown.spec, shown.step
    if not spec.lm_head:
        st.info(
            "The packaged MiniLM holds no masked-language-model head: its weights end at "
            "the encoder (and a pooler), so there is no Linear + Softmax over the "
            "vocabulary to show. The translator on this page has one."
        )
        return
    last = shown.cap.joined("decoder", spec.n_layers - 1, "ffn", "normed")[0, step].numpy()
    top = an.top_logits(shown.anatomy, step, vocabulary())
    tabs(shown, {
        "Logits": lambda: widgets.chart(
            figures.bars([value for _, value in top],
                         readable_tokens([token for token, _ in top], marked=True),
                         title=f"The 10 largest of {spec.vocab:,} logits at step {step}"),
            key="arch_logits"),
        "The vector it reads": lambda: vectors(
            last[None], [Markup("h")], f"The decoder's last vector at step {step}", "arch_h"),
    })  # fmt: skip


def softmax_view(shown: Shown) -> None:
    step = shown.step
    table = an.next_tokens(shown.anatomy, step, vocabulary())
    names = readable_tokens([t for t, _, _ in table], marked=True)
    widgets.chart(
        figures.bars([p for _, p, _ in table],
                     [f"{n} (chosen)" if c else n for n, (_, _, c) in zip(names, table,
                                                                          strict=True)],
                     title=f"Step {step}: the 10 likeliest next pieces"),
        key="arch_softmax",
    )  # fmt: skip
    st.caption(f"The probabilities of all {shown.spec.vocab:,} pieces sum to 1.")


def word_view(shown: Shown) -> None:
    anatomy, vocab = shown.anatomy, vocabulary()

    def shown_as(token: str) -> str:
        return readable_tokens([token], marked=True)[0]

    rows = []
    for s in range(anatomy.steps):
        (chosen, p, _), (runner_up, p_runner_up, _) = an.next_tokens(anatomy, s, vocab, k=2)
        rows.append({
            "step": s, "input": shown_as(anatomy.target[s]), "chosen": shown_as(chosen), "p": p,
            "runner-up": shown_as(runner_up), "p (runner-up)": p_runner_up,
        })  # fmt: skip
    widgets.data_table(pd.DataFrame(rows).round(4), key="arch_words")


LECTURE_RANKS = 8  # candidates a step shows in lecture mode (beams: at most 5)


def beam_view(shown: Shown) -> None:
    anatomy = shown.anatomy
    st.session_state.setdefault("arch_beams", 3)
    width = int(st.select_slider("Beams", [2, 3, 4, 5], key="arch_beams"))
    tree = widgets.run_or_hint(
        lambda: caches.beam_tree(anatomy.source_ids, width), f"Searching with {width} beams…"
    )
    if tree is None:
        return
    nodes = an.beam_nodes(an.with_tree(anatomy, tree))
    ranks = None
    if lecture_mode():  # the pruned candidates below the last beam kept or ended go
        ranks = max([LECTURE_RANKS] + [n.index + 1 for n in nodes if n.fate != "pruned"])
    widgets.chart(diagram.beam_tree(nodes, ranks), key="arch_beam_tree")
    hidden = sum(n.index >= ranks for n in nodes) if ranks else 0
    if hidden:
        st.caption(
            f"Lecture mode draws each step's {ranks} best candidates, so that the tree fits "
            f"the window; {hidden} more, all pruned, are drawn outside lecture mode."
        )
    st.markdown(
        f"**Beam search ({width} beams):** {text.escape(tree.text)} "
        f"(score {tree.score:.3f}, length-normalised)  \n"
        f"**Greedy:** {text.escape(anatomy.text)}"
    )
