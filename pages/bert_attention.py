import streamlit as st

from app import loaders, widgets
from model.hf.encoding import max_length, run_with_capture
from model.hf.loading import MINILM_NAME

DEFAULT_TEXT = "The cat sat on the mat because it was warm."

st.title("BERT attention")
st.caption(
    f"Model: {MINILM_NAME}. Each row of a heatmap is a query token; the colours show how much "
    "it attends to each key token, and every row sums to 1."
)

model, tokenizer = loaders.minilm()
text = widgets.text_box("Text", DEFAULT_TEXT, key="bert_text")
encoded = widgets.encode_or_hint(tokenizer, text, limit=max_length(tokenizer, model))
if encoded is not None:
    with widgets.working(f"Running MiniLM on {len(encoded)} tokens…"):
        attention, _ = run_with_capture(model, encoded)
    layer, head = widgets.layer_head_selectors(
        attention.n_layers(), attention.n_heads(), key="bert"
    )
    st.caption(f"{len(encoded)} tokens, including [CLS] and [SEP].")
    widgets.head_and_mean(
        attention.layer("encoder", layer).numpy(),
        encoded.tokens,
        encoded.tokens,
        layer,
        head,
        key="bert",
    )
