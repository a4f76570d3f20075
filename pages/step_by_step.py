import numpy as np
import pandas as pd
import streamlit as st
import torch

from app.kit import figures, widgets
from app.kit.state import Param, flag, follow
from app.serving import loaders
from model.analysis.teaching import attention_steps, head_outputs, output_projection, soft_lookup
from model.hf.encoding import max_length, run_with_capture

# The page's view in its link (app/kit/state.py): rooms, bookmarks and shared links reopen it.
PARAMS = {
    "text": Param("steps_text"),
    "layer": Param("steps_layer", int),
    "head": Param("steps_head", int),
    "token": Param("steps_token", int),
    "q1": Param("steps_q1", float),
    "q2": Param("steps_q2", float),
    "scale": Param("steps_scale", flag),
}
follow(PARAMS)
st.title("Attention step by step")
st.markdown(
    "Scaled dot-product attention is four steps: **MatMul** $QK^T$, **Scale** by "
    "$1/\\sqrt{d_k}$, **Mask** (optional), **SoftMax**, then a **MatMul** with $V$. "
    "Below, every number is from MiniLM's own forward pass on your text."
)

model, tokenizer = loaders.minilm()
text = widgets.text_box(
    "Text", "The bank raised interest rates again.", key="steps_text", height=70
)
encoded = widgets.encode_or_hint(tokenizer, text, min(64, max_length(tokenizer, model)))
if encoded is not None:
    if encoded.dropped:
        st.caption("This page shows up to 64 tokens, so that every vector fits on screen.")
    with widgets.working(f"Running MiniLM on {len(encoded)} tokens…"):
        attention, _ = run_with_capture(model, encoded, qkv=True, masks=True)
    tokens = encoded.tokens
    layer, head = widgets.layer_head_selectors(attention.n_layers(), attention.n_heads(), "steps")
    widgets.keep_in_range("steps_token", len(tokens))
    token = st.selectbox(
        "Query token",
        range(len(tokens)),
        index=min(2, len(tokens) - 1),
        format_func=[f"{i}: {t}" for i, t in enumerate(tokens)].__getitem__,
        key="steps_token",
    )
    record = attention.record("encoder", layer)
    steps = attention_steps(record, head, token)
    d_k = steps.d_k
    labels = [f"{i} {t}" for i, t in enumerate(tokens)]

    st.header("1. Queries, keys and values")
    st.caption(
        f"Each head projects every token to a query, a key and a value of d_k = {d_k} "
        "numbers (its own slice of W_Q, W_K, W_V)."
    )
    widgets.chart(
        figures.matrix_heatmap(
            steps.query[None], [f"Q of '{tokens[token]}'"], list(range(d_k)), title="Query"
        ),
        key="steps_q",
    )
    left, right = widgets.chart_columns(2)
    with left:
        widgets.chart(
            figures.matrix_heatmap(
                steps.keys, labels, list(range(d_k)), title="Keys of every token"
            ),
            key="steps_k",
        )
    with right:
        widgets.chart(
            figures.matrix_heatmap(
                steps.values, labels, list(range(d_k)), title="Values of every token"
            ),
            key="steps_v",
        )

    st.header("2. MatMul, Scale, Mask, SoftMax")
    table = pd.DataFrame(
        {
            "key token": labels,
            "Q.K": steps.dot,
            f"/ sqrt({d_k})": steps.scaled,
            "may attend": steps.allowed,
            "softmax": steps.weights,
        }
    )
    st.dataframe(table.round(4), hide_index=True, key="steps_table")
    widgets.chart(
        figures.bars(
            steps.weights, labels, title=f"Attention weights of '{tokens[token]}' (they sum to 1)"
        ),
        key="steps_weights",
    )

    st.header("3. Weighted sum of the values")
    widgets.chart(
        figures.matrix_heatmap(
            steps.output[None],
            ["softmax . V"],
            list(range(d_k)),
            title=f"Head {head}'s output for '{tokens[token]}'",
        ),
        key="steps_out",
    )

    st.header("4. Concatenate the heads, then W_O")
    outputs = head_outputs(record, token)  # (heads, d_head)
    widgets.chart(
        figures.matrix_heatmap(
            outputs.numpy(),
            [f"head {h}" for h in range(outputs.shape[0])],
            list(range(d_k)),
            title="Every head's output for this token",
        ),
        key="steps_heads",
    )
    w_o = output_projection(model, "encoder", layer)
    with torch.inference_mode():
        projected = w_o(outputs.reshape(-1)).numpy()  # (d_model,)
    widgets.chart(
        figures.matrix_heatmap(
            projected[None],
            ["W_O . concat"],
            list(range(projected.shape[0])),
            title=f"Multi-head attention output ({projected.shape[0]} numbers), before "
            "the residual connection and layer norm",
        ),
        key="steps_projected",
    )

st.header("Attention as a soft key-value lookup")
st.markdown(
    "A dictionary returns the value whose key matches the query exactly. Attention compares the "
    "query with **every** key, turns the scores into weights with a softmax, and returns the "
    "weighted mix of the values. Edit the keys, values and query:"
)
default = pd.DataFrame(
    {
        "key 1": [1.0, 0.0, -1.0, 0.5],
        "key 2": [0.0, 1.0, 0.0, 0.5],
        "value": [10.0, 20.0, 30.0, 40.0],
    },
    index=["apple", "banana", "cherry", "date"],
)
lookup = st.data_editor(default, key="steps_lookup", num_rows="dynamic")
lookup = lookup.dropna()
left, right, third = st.columns(3)
q1 = left.slider("query 1", -3.0, 3.0, 2.0, key="steps_q1")
q2 = right.slider("query 2", -3.0, 3.0, 0.0, key="steps_q2")
scale = third.toggle("divide by sqrt(d_k)", value=True, key="steps_scale")
if lookup.empty:
    st.info("Add at least one key and value.")
else:
    result = soft_lookup(
        np.array([q1, q2]),
        lookup[["key 1", "key 2"]].to_numpy(),
        lookup[["value"]].to_numpy(),
        scale=scale,
    )
    widgets.chart(
        figures.bars(
            result["weights"],
            [str(i) for i in lookup.index],
            title=f"Weights; the lookup returns {float(result['output'][0]):.2f}",
        ),
        key="steps_lookup_weights",
    )
    st.caption(
        "Make query 1 large: the weights sharpen towards the best-matching key and the "
        "result approaches its value, a hard lookup. Near zero, every value is mixed "
        "in equally."
    )
