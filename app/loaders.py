"""Every model the app serves, loaded once per process and shared by all sessions.

The models are read-only at serving time; per-call state (captures, ablations)
lives in `model.capture`'s context variable, never on the modules.
"""

from __future__ import annotations

import streamlit as st
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from model.bert import load_bert


@st.cache_resource(show_spinner="Loading the packaged MiniLM (first time only, a few seconds)…")
def minilm() -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    return load_bert()
