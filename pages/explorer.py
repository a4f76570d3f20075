"""The Attention explorer: any model the app serves, on any text, seen through its tabs
(each a named view: app/views/explorer/tabs.py and the lens, patching, explanation and
bertviz views)."""

import streamlit as st

from app.kit import explore, figures, widgets
from app.kit.state import seed_from_url, write_to_url
from app.serving import caches, jobs, sources
from app.views import bertviz_views, explanations, lens_views, patching_views
from app.views.explorer import tabs
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

    cost = jobs.Cost(run.model, len(q_tokens), run.forward_s) if run.model else None
    layer, head = widgets.layer_head_selectors(n_layers, n_heads, key="ex")
    write_to_url(PARAMS)
    st.caption(
        f"{len(q_tokens)} query tokens x {len(k_tokens)} key tokens; "
        f"{n_layers} layers x {n_heads} heads. The link in the address bar reopens "
        "this view."
    )
    shown = tabs.Shown(source_key, text, pair, run, stack, rows, cols, layer, head)
    # The views, each a tab: only the open one is built (widgets.lazy_tabs).
    widgets.lazy_tabs(
        {
            "One head": lambda: tabs.one_head(shown),
            "All heads": lambda: tabs.all_heads(shown),
            "Lines": lambda: tabs.lines(shown),
            "One token": lambda: tabs.one_token(shown),
            "Rollout & flow": lambda: tabs.rollout_and_flow(shown),
            "Head statistics": lambda: tabs.statistics(shown),
            "bertviz": lambda: bertviz_views.explorer(att, stack, layer, head),
            "Compare": lambda: tabs.compare(shown, source.label),
            "Explanations": lambda: explanations.explorer(source_key, text, pair, att, cost),
            "Logit lens": lambda: lens_views.explorer(source_key, text, pair, window),
            "Patching": lambda: patching_views.explorer(source_key, text),
        },
        key="ex_tab",
    )
    tabs.export(shown)
