import streamlit as st

from app.navigation import by_section

st.title("Attention Atlas")
st.markdown(
    "See what transformers attend to. Every number on these pages is what a real model "
    "computed for the text you type: captured from the model's own forward pass, never "
    "re-derived. Everything runs on this machine, with no network."
)
for section, pages in by_section().items():
    pages = [p for p in pages if p.path != "../pages/home.py"]
    if not pages:
        continue
    st.subheader(section)
    for page in pages:
        st.page_link(page.path, label=page.title, icon=page.icon)
        st.caption(page.purpose)
