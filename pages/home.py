import streamlit as st

from app.navigation import PAGES

st.title("Attention Atlas")
st.markdown(
    "See what transformers attend to. Every number on these pages is what a real model "
    "computed for the text you type: captured from the model's own forward pass, never "
    "re-derived. Everything runs on this machine, with no network."
)
st.subheader("Pages")
for page in PAGES[1:]:
    st.page_link(page.path, label=page.title, icon=page.icon)
    st.caption(page.purpose)
