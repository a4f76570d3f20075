"""Streamlit entry point: `streamlit run app/main.py` (or `make run`)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # pages import app/ and model/ from the project root
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from app.serving.navigation import by_section  # noqa: E402
from model.core.runtime import tidy_after_run  # noqa: E402

# A file, not a Material icon: Streamlit fetches a Material favicon from a font CDN.
st.set_page_config(
    page_title="Attention Atlas",
    page_icon=str(ROOT / "app" / "static" / "favicon.png"),
    layout="wide",
)
from app.kit import exports, state  # noqa: E402
from app.kit.theme import lecture_toggle  # noqa: E402
from app.kit.widgets import tables_toggle  # noqa: E402
from app.rooms import panel  # noqa: E402
from app.serving import loaders  # noqa: E402

menu = {
    section: [st.Page(p.path, title=p.title, icon=p.icon) for p in pages]
    for section, pages in by_section().items()
}
page = st.navigation(menu, expanded=True)  # every page in the menu, none behind "View more"
panel.before_run({p.url_path: p for pages in menu.values() for p in pages}, page)
lecture_toggle()
tables_toggle()
exports.svg_buttons()
loaders.wait_for_loading()  # a fresh server's loading thread (why: app/serve.py)
state.running(page.url_path)
try:
    page.run()
    state.write_followed(page.url_path)  # the page's view into its link (app/kit/state.py)
    panel.after_run(page)  # a lecturer's view goes to their room
finally:  # what the run left goes back to the system (why: model/core/runtime.py)
    tidy_after_run()
