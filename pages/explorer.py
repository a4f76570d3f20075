import functools

import numpy as np
import pandas as pd
import streamlit as st

from app import (
    bertviz_views,
    caches,
    explanations,
    explore,
    figures,
    jobs,
    lens_views,
    patching_views,
    sources,
    tokens,
    widgets,
)
from app import head_views as views
from app.state import seed_from_url, write_to_url
from model.analysis.attention import (
    FLOW_MAX_TOKENS,
    attention_flow,
    attention_rollout,
    head_statistics,
)
from model.core.capture import AXES

sources.refresh_listed()  # the operator's models file (ATLAS_MODELS), if any
DEFAULT_TEXT = "The animal didn't cross the street because it was too tired."
PARAMS = explore.params(tuple(sources.SOURCES))

st.title("Attention explorer")
seed_from_url(PARAMS)
source_key = st.selectbox(
    "Model",
    list(sources.SOURCES),
    format_func={k: s.label for k, s in sources.SOURCES.items()}.__getitem__,
    key="ex_model",
)
source = sources.SOURCES[source_key]
st.caption(source.note)
text = widgets.text_box("Text", DEFAULT_TEXT, key="ex_text")
pair = None
if source.pairs:
    pair = (
        st.text_input(
            "Second segment (optional: a sentence pair, or the QA context)",
            key="ex_pair",
            max_chars=widgets.MAX_CHARS,
        )
        or None
    )

run = widgets.run_or_hint(
    lambda: caches.capture(source_key, text, pair),
    f"Running {source.label} on {widgets.words(text + ' ' + (pair or ''))}…",
)
if run is not None:
    att = run.attention
    for note in run.notes:
        st.info(note)
    if run.dropped:
        st.warning(
            f"The text is longer than the model reads: the last {run.dropped} tokens were dropped."
        )
    if st.session_state.get("ex_stack") not in att.stacks:  # e.g. cross, then a BERT model
        st.session_state["ex_stack"] = att.stacks[0]
    stack = st.radio(
        "Attention",
        att.stacks,
        horizontal=True,
        key="ex_stack",
        format_func={
            "encoder": "encoder self-attention",
            "decoder": "decoder self-attention (masked)",
            "cross": "cross-attention",
        }.__getitem__,
    )
    n_layers, n_heads = att.n_layers(stack), att.n_heads(stack)
    q_tokens, k_tokens = att.axis_tokens(stack)
    q_special, k_special = (att.special.get(axis, ()) for axis in AXES[stack])
    hide = st.toggle(
        "Hide special tokens ([CLS], [SEP], [EOS]…)",
        key="ex_hide",
        help="Their rows and columns are left out; the other weights are shown "
        "as computed, not renormalised.",
    )
    rows = [i for i in range(len(q_tokens)) if not (hide and q_special and q_special[i])]
    cols = [j for j in range(len(k_tokens)) if not (hide and k_special and k_special[j])]
    window: tuple[int, int] | None = None  # the tokens shown, of a long text
    if len(k_tokens) > figures.LABEL_EVERY:  # a long text: a window of it to focus on
        kept = st.session_state.get("ex_window")
        if not (isinstance(kept, tuple) and 0 <= kept[0] < kept[1] <= len(k_tokens)):
            st.session_state["ex_window"] = (0, len(k_tokens))  # a new text, or a shorter one
        start, end = st.slider(
            "Tokens shown",
            0,
            len(k_tokens),
            (0, len(k_tokens)),
            key="ex_window",
            help="A window of the text: every view below shows these tokens only, numbered "
            f"by their place in the whole text. Up to {figures.LABEL_EVERY} tokens, each "
            "one is labelled; a wider map has zoom (drag a box on it, double-click to "
            "zoom out).",
        )
        end = max(end, start + 1)
        window = (start, end)
        cols = [j for j in cols if start <= j < end]
        if AXES[stack][0] == AXES[stack][1]:  # self-attention: the same tokens down the side
            rows = [i for i in rows if start <= i < end]

    @functools.cache
    def every_layer() -> np.ndarray:
        """The stack's attention, built only for the views that need every layer (at 512
        tokens that is 75 MB to assemble on each rerun)."""
        return att.matrices(stack).numpy()  # (layers, heads, q_len, k_len)

    def one_layer(index: int) -> np.ndarray:
        if att.n_steps(stack) > 1:  # decoding steps are put together for every layer at once
            return every_layer()[index]
        return att.layer(stack, index).numpy()  # (heads, q_len, k_len), no copy

    def shown(array: np.ndarray) -> np.ndarray:
        """The rows and columns not hidden (a copy only when some are hidden)."""
        if len(rows) == len(q_tokens) and len(cols) == len(k_tokens):
            return array
        return array[..., rows, :][..., cols]

    rows_t, cols_t = [q_tokens[i] for i in rows], [k_tokens[j] for j in cols]
    cost = jobs.Cost(run.model, len(q_tokens), run.forward_s) if run.model else None
    layer, head = widgets.layer_head_selectors(n_layers, n_heads, key="ex")
    write_to_url(PARAMS)
    st.caption(
        f"{len(q_tokens)} query tokens x {len(k_tokens)} key tokens; "
        f"{n_layers} layers x {n_heads} heads. The link in the address bar reopens "
        "this view."
    )

    # The views, each a tab: only the open one is built (widgets.lazy_tabs).
    def one_head() -> None:
        widgets.head_and_mean(
            shown(one_layer(layer)),
            rows_t,
            cols_t,
            layer,
            head,
            key="ex",
            positions=(rows, cols),
        )

    def statistics_of() -> list:
        """Every head's statistics, computed once per text and stack (a few seconds at
        16 x 32 heads and 512 tokens)."""
        return caches.result(
            ("head statistics", source_key, text, pair, stack),
            lambda: head_statistics(every_layer(), special=k_special or None),
        )

    def all_heads() -> None:
        if n_layers * n_heads > figures.GRID_MAX_HEADS:  # 512 small maps would be 27 px each
            views.summary(statistics_of(), n_layers, n_heads, layer, head)
            st.subheader(f"The heads of layer {layer}")
            widgets.chart(
                figures.layer_heads(shown(one_layer(layer)), layer),
                key=explore.LAYER_GRID,
                on_select=explore.open_clicked_layer_head,
                selection_mode="points",
            )
            return
        st.caption(
            f"Every head of every layer; click one to open it. Each small map is "
            f"averaged down to at most {figures.GRID_MAX_CELLS} x {figures.GRID_MAX_CELLS} "
            "cells and scaled to its own maximum, so the browser receives one byte per cell "
            "at any length; the exact numbers are in the single-head view."
        )

        widgets.chart(
            figures.head_grid(shown(every_layer())),
            key=explore.GRID,
            on_select=explore.open_clicked_head,
            selection_mode="points",
        )

    def lines() -> None:
        if len(rows_t) > 120:
            st.info(
                "The lines view is drawn for up to 120 tokens; use the heatmap for longer texts."
            )
        else:
            widgets.chart(
                figures.token_lines(
                    shown(one_layer(layer)[head]),
                    rows_t,
                    cols_t,
                    title=f"Layer {layer}, head {head}: lines for weights of 0.05 and more",
                ),
                key="ex_lines",
            )

    def one_token() -> None:
        widgets.keep_in_range("ex_token", len(rows_t))
        readable = tokens.readable_tokens(rows_t)
        token = st.selectbox(
            "Query token",
            range(len(rows_t)),
            format_func=[f"{r}: {t}" for r, t in zip(rows, readable, strict=True)].__getitem__,
            key="ex_token",
        )
        first, last = views.layer_page(n_layers, n_heads, key="ex_token_layers")
        widgets.chart(
            figures.token_focus(
                shown(every_layer()[first:last]),
                token,
                cols_t,
                title=f"What '{readable[token]}' attends to, in every head"
                + (f" of layers {first} to {last - 1}" if last - first < n_layers else ""),
                key_positions=cols,
                first_layer=first,
            ),
            key="ex_token_focus",
        )

    def rollout_and_flow() -> None:
        if stack == "cross":
            st.info(
                "Rollout and flow follow the residual stream of one stack's self-attention; "
                "pick the encoder or the decoder."
            )
        else:
            st.caption(
                "Abnar & Zuidema (2020). Each layer's heads are averaged, the identity "
                "is added for the residual connection, rows renormalised; rollout "
                "multiplies the layers, flow solves a max-flow per token pair."
            )
            square = every_layer()  # rollout needs every token, hidden or not
            rolled = attention_rollout(square)[-1][np.ix_(rows, cols)]
            widgets.chart(
                figures.attention_heatmap(
                    rolled,
                    rows_t,
                    cols_t,
                    title="Attention rollout through all layers",
                    query_positions=rows,
                    key_positions=cols,
                ),
                key="ex_rollout",
            )
            if len(q_tokens) > FLOW_MAX_TOKENS:
                st.info(
                    f"Attention flow is computed for up to {FLOW_MAX_TOKENS} tokens (one "
                    f"max-flow per token pair); this text has {len(q_tokens)}."
                )
            elif st.toggle("Compute attention flow", key="ex_flow"):
                pairs = len(q_tokens) ** 2
                with widgets.working(
                    f"Solving {pairs:,} max-flow problems, one per pair of tokens…"
                ):
                    flow = caches.flow(
                        source_key, text, pair, stack, lambda: attention_flow(square)
                    )[np.ix_(rows, cols)]
                widgets.chart(
                    figures.attention_heatmap(
                        flow,
                        rows_t,
                        cols_t,
                        title="Attention flow (max-flow)",
                        query_positions=rows,
                        key_positions=cols,
                    ),
                    key="ex_flow_map",
                )

    def statistics() -> None:
        stats = statistics_of()
        table = pd.DataFrame([vars(s) for s in stats]).round(3)
        table.columns = [
            "layer",
            "head",
            "entropy (bits)",
            "mean distance (tokens)",
            "share on special tokens",
        ]
        st.caption("Click a column header to sort.")
        st.dataframe(table, hide_index=True, key="ex_stats")

    def bertviz() -> None:
        views: list[bertviz_views.View] = ["head", "model", "neuron"]
        view = st.radio("bertviz view", views, horizontal=True, key="ex_bertviz") or "head"
        if view == "neuron" and (stack != "encoder" or att.record("encoder", 0).q is None):
            st.info(
                "The neuron view shows the queries and keys of encoder self-attention: pick "
                "the encoder stack of MiniLM or of a listed model. (A decoder's steps are "
                "captured one query at a time as it writes, and the translator's capture "
                "here keeps no queries and keys.)"
            )
        else:
            try:
                html = bertviz_views.document(att, view, layer, head)
            except ValueError as error:
                st.info(str(error))
            else:
                st.caption(
                    "bertviz's own views (Jesse Vig), served with their libraries from "
                    "this app so they work offline."
                )
                st.iframe(html, height=720)

    def compare() -> None:
        other = widgets.text_box(
            "Second text",
            "The animal didn't cross the street because it was too wide.",
            key="ex_compare",
            height=80,
        )
        other_run = widgets.run_or_hint(
            lambda: caches.capture(source_key, other),
            f"Running {source.label} on the second text ({widgets.words(other)})…",
        )
        if other_run is not None:
            other_att = other_run.attention
            other_q, other_k = other_att.axis_tokens(stack)
            left, right = widgets.chart_columns(2)
            with left:
                widgets.chart(
                    figures.attention_heatmap(
                        one_layer(layer)[head], q_tokens, k_tokens, title="First text"
                    ),
                    key="ex_cmp_a",
                )
            with right:
                widgets.chart(
                    figures.attention_heatmap(
                        other_att.matrices(stack)[layer, head].numpy(),
                        other_q,
                        other_k,
                        title="Second text",
                    ),
                    key="ex_cmp_b",
                )

    def explained() -> None:
        found = widgets.run_or_hint(
            lambda: caches.result(
                ("choices", source_key, text, pair),
                lambda: explanations.explorer_choices(source_key, text, pair),
            ),
            f"Running {source.label} to find its outputs…",
        )
        if found is not None:
            choices, empty = found
            last = att.stacks[-1]  # cross-attention, where a model has it
            explanations.section(
                choices, key="ex", text_key=("explorer", source_key, text, pair),
                shape=(att.n_layers(last), att.n_heads(last)), empty=empty, cost=cost,
            )  # fmt: skip

    widgets.lazy_tabs(
        {
            "One head": one_head,
            "All heads": all_heads,
            "Lines": lines,
            "One token": one_token,
            "Rollout & flow": rollout_and_flow,
            "Head statistics": statistics,
            "bertviz": bertviz,
            "Compare": compare,
            "Explanations": explained,
            "Logit lens": lambda: lens_views.explorer(source_key, text, pair, window),
            "Patching": lambda: patching_views.explorer(source_key, text),
        },
        key="ex_tab",
    )

    st.subheader("Export")
    left, right = st.columns(2)
    left.download_button(
        "Attention as NPZ",
        data=att.to_npz,
        file_name="attention.npz",
        mime="application/octet-stream",
        key="ex_npz",
        on_click="ignore",
    )
    if len(q_tokens) <= 128:
        right.download_button(
            "Attention as JSON",
            data=att.to_json,
            file_name="attention.json",
            mime="application/json",
            key="ex_json",
            on_click="ignore",
        )
    else:
        right.caption(
            "JSON export is offered up to 128 tokens (it grows with the square of "
            "the length); NPZ holds the same numbers compactly."
        )
