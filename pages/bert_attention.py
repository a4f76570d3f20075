import streamlit as st

from app.kit import widgets
from app.kit.state import Param, follow
from app.serving import caches
from model.hf.loading import MINILM_NAME

DEFAULT_TEXT = "The cat sat on the mat because it was warm."

# The page's view in its link (app/kit/state.py): rooms, bookmarks and shared links reopen it.
PARAMS = {
    "text": Param("bert_text"),
    "layer": Param("bert_layer", int),
    "head": Param("bert_head", int),
}
follow(PARAMS)
st.title("BERT attention")
st.caption(
    f"Model: {MINILM_NAME}. Each row of a heatmap is a query token; the colours show how much "
    "it attends to each key token, and every row sums to 1."
)

text = widgets.text_box("Text", DEFAULT_TEXT, key="bert_text")
run = widgets.run_or_hint(
    lambda: caches.capture("minilm", text), f"Running MiniLM on {widgets.words(text)}…"
)
if run is not None:
    attention = run.attention
    tokens = attention.tokens["source"]
    if run.dropped:
        st.warning(
            f"The text is longer than the model's {len(tokens)}-token limit: the last "
            f"{run.dropped} tokens were dropped and only the first {len(tokens)} are shown."
        )
    layer, head = widgets.layer_head_selectors(
        attention.n_layers(), attention.n_heads(), key="bert"
    )
    st.caption(f"{len(tokens)} tokens, including [CLS] and [SEP].")
    widgets.head_and_mean(
        attention.layer("encoder", layer).numpy(), tokens, tokens, layer, head, key="bert"
    )
