import numpy as np
import streamlit as st

from app.kit import figures, widgets
from app.serving import caches
from app.serving.navigation import by_section
from model.analysis.attention import sharpest_head

EXAMPLE = "The animal didn't cross the street because it was too tired."

st.title("Attention Atlas")
intro, preview = widgets.chart_columns([3, 2])
intro.markdown(
    "See what transformers attend to. Every number on these pages is what a real model "
    "computed for the text you type: captured from the model's own forward pass, never "
    "re-derived. Everything runs on this machine, with no network."
)
with preview:
    run = widgets.run_or_hint(
        lambda: caches.capture("minilm", EXAMPLE), "Running MiniLM on an example…"
    )
    if run is not None:  # the sharpest head (lowest entropy) of MiniLM on the example
        matrices = run.attention.matrices("encoder").numpy()  # (layers, heads, q, k)
        sharpest = sharpest_head(matrices)
        tokens = run.attention.tokens["source"]
        widgets.chart(
            figures.attention_heatmap(
                np.asarray(matrices[sharpest.layer, sharpest.head]),
                tokens,
                tokens,
                title=f"MiniLM, layer {sharpest.layer}, head {sharpest.head}",
            ),
            key="home_preview",
        )
        st.caption(
            f"Its sharpest head ({sharpest.entropy:.2f} bits per row) on an example; type "
            "your own text in BERT attention or the Attention explorer."
        )
for section, pages in by_section().items():
    pages = [p for p in pages if p.path != "../pages/home.py"]
    if not pages:
        continue
    st.subheader(section)
    for page in pages:
        st.page_link(page.path, label=page.title, icon=page.icon)
        st.caption(page.purpose)
