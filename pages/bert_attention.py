import streamlit as st

from app import figures, loaders, widgets
from model.bert import MINILM_NAME, max_length, run_with_capture

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
    attention, _ = run_with_capture(model, encoded)
    layer, head = widgets.layer_head_selectors(
        attention.n_layers(), attention.n_heads(), key="bert"
    )
    st.caption(f"{len(encoded)} tokens, including [CLS] and [SEP].")
    tokens = encoded.tokens
    left, right = st.columns(2)
    with left:
        st.plotly_chart(
            figures.attention_heatmap(
                attention.head("encoder", layer, head).numpy(),
                tokens,
                tokens,
                title=f"Layer {layer}, head {head}",
            ),
            key="bert_head_heatmap",
        )
    with right:
        st.plotly_chart(
            figures.attention_heatmap(
                attention.mean_over_heads("encoder", layer).numpy(),
                tokens,
                tokens,
                title=f"Layer {layer}, average over {attention.n_heads()} heads",
            ),
            key="bert_mean_heatmap",
        )
