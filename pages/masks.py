import numpy as np
import pandas as pd
import streamlit as st

from app.kit import figures, tokens, widgets
from app.kit.state import Param, follow
from app.serving import caches
from model.analysis.teaching import MARKOV_SENTENCES, masked_vote, masking_steps, skip_features
from model.core.capture import STACKS, Stack

# The page's view in its link (app/kit/state.py): rooms, bookmarks and shared links reopen it.
PARAMS = {
    "first": Param("mask_first"),
    "second": Param("mask_second"),
    "layer": Param("mask_layer", int),
    "head": Param("mask_head", int),
    "sentence": Param("mask_item", int, [0, 1]),
    "stack": Param("mask_stack", str, STACKS),
}
follow(PARAMS)
st.title("Masks")
st.markdown(
    "A mask says which keys each query may look at. Here `True` (dark) means *may attend*; "
    "a masked score becomes $-\\infty$ before the softmax, so its weight is exactly 0. "
    "Three masks appear in an encoder-decoder transformer: **padding** (shorter sentences in a "
    "batch are filled with `[PAD]`, which nobody should attend to), **look-ahead** (a decoder "
    "position may not see the words after it), and **cross-attention** (decoder queries over "
    "the source, whose padding is masked too)."
)


left, right = st.columns(2)
first = left.text_input(
    "Sentence 1", "The cat sleeps.", key="mask_first", max_chars=widgets.MAX_CHARS
)
second = right.text_input(
    "Sentence 2",
    "My grandmother keeps her old bicycle in the garden shed.",
    key="mask_second",
    max_chars=widgets.MAX_CHARS,
)
view = widgets.run_or_hint(
    lambda: caches.batch(first, second), "Running our translator on the batch of two…"
)
if view is None and (not first.strip() or not second.strip()):
    st.info("Type two sentences: the masks need a batch of two.")
if view is not None:
    att = view.attention
    for notice in view.notices:
        st.info(notice)
    st.caption(f"Translations: 1. {view.translations[0]}  2. {view.translations[1]}")
    st.header("The masks of this batch")
    pad_mask = att.mask("encoder", 0)[:, 0, 0, :].numpy().astype(np.float32)  # (2, s)
    widgets.chart(
        figures.matrix_heatmap(
            pad_mask,
            ["sentence 1", "sentence 2"],
            [f"{j}" for j in range(pad_mask.shape[1])],
            title="Padding mask of the source batch (1 = may attend)",
            diverging=False,
            value_format=".0f",
        ),
        key="mask_padding",
    )
    item = st.radio(
        "Sentence",
        [0, 1],
        format_func={0: "sentence 1", 1: "sentence 2"}.__getitem__,
        horizontal=True,
        key="mask_item",
    )
    src, tgt = view.sources[item], view.targets[item]
    columns = widgets.chart_columns(2)
    masks: list[tuple[Stack, str, tuple[str, ...], tuple[str, ...]]] = [
        ("decoder", "Look-ahead mask (with target padding)", tgt, tgt),
        ("cross", "Cross-attention mask (source padding)", tgt, src),
    ]
    for column, (stack, title, rows, cols) in zip(columns, masks, strict=True):
        with column:
            allowed = att.mask(stack, 0)[item, 0].numpy().astype(np.float32)
            widgets.chart(
                figures.attention_heatmap(allowed, rows, cols, title=title, zmax=1.0),
                key=f"mask_{stack}",
            )

    st.header("One head, before and after masking")
    stack = st.radio("Attention", STACKS, horizontal=True, key="mask_stack") or "encoder"
    layer, head = widgets.layer_head_selectors(att.n_layers(stack), att.n_heads(stack), "mask")
    before, after, probs = masking_steps(att.record(stack, layer), head, item)
    rows, cols = {"encoder": (src, src), "decoder": (tgt, tgt), "cross": (tgt, src)}[stack]
    shown_after = np.where(np.isinf(after), np.nan, after)  # blank where masked
    parts = widgets.chart_columns(3)
    for column, matrix, title, key in (
        (parts[0], before, "Scores Q.K^T / sqrt(d_k)", "mask_before"),
        (parts[1], shown_after, "After masking (blank = -inf)", "mask_after"),
        (parts[2], probs, "After softmax", "mask_softmax"),
    ):
        with column:
            figure = figures.matrix_heatmap(
                matrix,
                tokens.token_names(rows),
                tokens.token_names(cols),
                title=title,
                diverging=key != "mask_softmax",
            )
            widgets.chart(figure, key=key)
    st.caption(
        "Every masked entry's weight is exactly 0: "
        f"{int((probs[np.isinf(after)] == 0).sum())} of {int(np.isinf(after).sum())} "
        "masked entries here."
    )

st.header("Intuition: masking as crossing out")
st.markdown(
    "Predict the word after *ran*. A second-order model with skips lets every earlier word "
    "vote, from what followed *ran* in the sentences it has seen:"
)
for sentence in MARKOV_SENTENCES:
    st.markdown(f"> {sentence}.")
features = skip_features()
table = pd.DataFrame(features).T.fillna(0.0)
table.insert(0, "keep", True)
edited = st.data_editor(
    table,
    key="mask_markov",
    disabled=list(table.columns[1:]),
    column_config={"keep": st.column_config.CheckboxColumn("keep")},
)
kept = {word for word, row in edited.iterrows() if row["keep"]}
votes = masked_vote(features, kept)
if votes:
    widgets.chart(
        figures.bars(list(votes.values()), list(votes.keys()), title="Votes for the next word"),
        key="mask_votes",
    )
else:
    st.info("Every feature is crossed out: nothing votes.")
st.caption(
    "With every feature kept the vote is nearly a tie: most words (check, the, log...) "
    "appear in both sentences and say nothing. Untick everything but *program* and "
    "*battery*, the only informative features, and the prediction becomes certain. "
    "Attention learns such masks, softly, from data."
)
