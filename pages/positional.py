import numpy as np
import streamlit as st

from app.kit import figures, widgets
from app.kit.state import Param, follow
from app.serving import loaders
from model.hf.encoding import max_length, run_with_capture
from model.transformer.positional import sinusoidal_encoding

# The page's view in its link (app/kit/state.py): rooms, bookmarks and shared links reopen it.
PARAMS = {
    "first": Param("pe_sentence_a"),
    "second": Param("pe_sentence_b"),
    "d_model": Param("pe_d_model", int),
    "length": Param("pe_length", int),
    "positions": Param("pe_bert_positions", int),
}
follow(PARAMS)
st.title("Positional encodings")
st.markdown(
    "Attention itself ignores order: shuffle the tokens and every weight moves with them. "
    "Transformers therefore add a position signal to each token's embedding. The original "
    "transformer adds fixed sinusoids, "
    "$PE_{(pos, 2i)} = \\sin(pos / 10000^{2i/d_{model}})$ and "
    "$PE_{(pos, 2i+1)} = \\cos(pos / 10000^{2i/d_{model}})$; BERT learns a table instead."
)

st.header("Sinusoidal encoding")
left, right = st.columns(2)
d_model = left.slider("d_model", 8, 512, 128, step=8, key="pe_d_model")
length = right.slider("Positions", 4, 256, 64, key="pe_length")
pe = sinusoidal_encoding(length, d_model).numpy()  # (length, d_model)
widgets.chart(
    figures.matrix_heatmap(
        pe,
        list(range(length)),
        list(range(d_model)),
        title=f"PE for {length} positions x {d_model} dimensions",
    ),
    key="pe_heatmap",
)
st.caption(
    "Rows are positions, columns dimensions. Low dimensions oscillate fast, high ones "
    "slowly: each position gets a distinct pattern, like the digits of a clock."
)
dims = st.multiselect(
    "Dimensions to plot",
    list(range(d_model)),
    default=[0, 1, 6, 7, min(40, d_model - 2)],
    key="pe_dims",
)
kind = {0: "sin", 1: "cos"}
widgets.chart(
    figures.curves(
        {f"dim {d} ({kind[d % 2]})": pe[:, d] for d in dims},
        "position",
        title="Sine and cosine curves of chosen dimensions",
    ),
    key="pe_curves",
)
similarity = pe @ pe.T  # (length, length)
widgets.chart(
    figures.matrix_heatmap(
        similarity,
        list(range(length)),
        list(range(length)),
        title="Dot product between positions: PE(i) . PE(j)",
        diverging=False,
    ),
    key="pe_similarity",
)
st.caption(
    "The dot product depends only on the distance |i - j|, and falls with it: "
    "nearby positions look alike to attention, far ones do not."
)

translator = loaders.translator()
table = translator.model.src_position.table[:length].numpy()
formula = sinusoidal_encoding(length, translator.model.config.d_model).numpy()
st.caption(
    f"Our translator (d_model = {translator.model.config.d_model}) adds exactly this formula: "
    f"the largest difference between its own table and the formula over these {length} "
    f"positions is {np.abs(table - formula).max():.1e}."
)

st.header("BERT's learned position embeddings")
model, tokenizer = loaders.minilm()
positions = st.slider("Positions to show", 8, 512, 64, key="pe_bert_positions")
bert_positions = model.get_parameter("embeddings.position_embeddings.weight")  # (512, 384)
learned = bert_positions[:positions].detach().numpy()  # (positions, 384)
widgets.chart(
    figures.matrix_heatmap(
        learned,
        list(range(positions)),
        list(range(learned.shape[1])),
        title="MiniLM's position embeddings (learned in pre-training)",
    ),
    key="pe_bert_table",
)
unit = learned / np.linalg.norm(learned, axis=1, keepdims=True)
widgets.chart(
    figures.matrix_heatmap(
        unit @ unit.T,
        list(range(positions)),
        list(range(positions)),
        title="Cosine similarity between learned positions",
    ),
    key="pe_bert_similarity",
)

st.header("A BERT input, taken apart")
st.caption(
    "The input to BERT's first layer is token + position + segment embeddings, then "
    "layer normalisation. These are the model's own vectors for your sentence pair, "
    "captured as it ran."
)
first = st.text_input(
    "Sentence A", "Where is the cat?", key="pe_sentence_a", max_chars=widgets.MAX_CHARS
)
second = st.text_input(
    "Sentence B", "The cat is in the garden.", key="pe_sentence_b", max_chars=widgets.MAX_CHARS
)
encoded = widgets.encode_or_hint(tokenizer, first, max_length(tokenizer, model), second)
if encoded is not None:
    with widgets.working(f"Running MiniLM on {len(encoded)} tokens…"):
        attention, _ = run_with_capture(model, encoded, embeddings=True)
    parts = {
        name: attention.embeddings[name][0].numpy() for name in ("token", "position", "segment")
    }
    parts["sum"] = parts["token"] + parts["position"] + parts["segment"]
    labels = [
        f"{i} {t} (seg {s})"
        for i, (t, s) in enumerate(zip(encoded.tokens, encoded.segments, strict=True))
    ]
    columns = widgets.chart_columns(2)
    for index, (name, matrix) in enumerate(parts.items()):
        with columns[index % 2]:
            widgets.chart(
                figures.matrix_heatmap(
                    matrix, labels, list(range(matrix.shape[1])), title=f"{name} embedding"
                ),
                key=f"pe_part_{name}",
            )
