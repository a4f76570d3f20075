"""Widgets shared by pages. Keys are explicit so state survives reruns and tests can find them."""

from __future__ import annotations

import streamlit as st
from transformers import PreTrainedTokenizerBase

from model.bert import Encoded, InputError, encode


def text_box(label: str, default: str, key: str, height: int = 100) -> str:
    return st.text_area(label, value=default, key=key, height=height)


def encode_or_hint(
    tokenizer: PreTrainedTokenizerBase, text: str, limit: int, text_pair: str | None = None
) -> Encoded | None:
    """Tokenise typed text; on bad input show a short hint and return None (no model call)."""
    try:
        encoded = encode(tokenizer, text, text_pair, limit=limit)
    except InputError as error:
        st.info(str(error))
        return None
    if encoded.dropped:
        st.warning(
            f"The text is longer than the model's {limit}-token limit: the last "
            f"{encoded.dropped} tokens were dropped and only the first {limit} are shown."
        )
    return encoded


def layer_head_selectors(n_layers: int, n_heads: int, key: str) -> tuple[int, int]:
    left, right = st.columns(2)
    layer = left.selectbox("Layer", range(n_layers), key=f"{key}_layer")
    head = right.selectbox("Head", range(n_heads), key=f"{key}_head")
    return int(layer), int(head)
