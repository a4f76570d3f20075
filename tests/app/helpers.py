"""Helpers for AppTest: start the app, open a page, read a Plotly chart's numbers back."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

MAIN = str(Path(__file__).resolve().parents[2] / "app" / "main.py")
TIMEOUT = 120  # first model loads take seconds; AppTest's default 3 s is too short


def open_page(page: str | None = None) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT).run()
    if page is not None:
        at.switch_page(f"../pages/{page}").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def chart_spec(at: AppTest, key: str) -> dict:
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if chart.proto.id and key in chart.proto.id:
            return spec
    raise AssertionError(f"no chart with key {key!r}")


def decode(value) -> np.ndarray:
    """Plotly sends arrays as typed base64 ('bdata'); plain lists also appear."""
    if isinstance(value, dict) and "bdata" in value:
        data = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = [int(s) for s in str(value.get("shape", len(data))).split(",")]
        return data.reshape(shape)
    return np.asarray(value)


def heatmap_z(at: AppTest, key: str) -> np.ndarray:
    return decode(chart_spec(at, key)["data"][0]["z"])


def reference_attention(minilm_reference, tokenizer, text: str) -> np.ndarray:
    """MiniLM's attention computed without the app or the capture API: Hugging Face's own
    output_attentions on an untouched copy. (layers, heads, seq, seq)"""
    import torch

    inputs = tokenizer(text, return_tensors="pt", truncation=True, max_length=512)
    with torch.inference_mode():
        out = minilm_reference(**inputs, output_attentions=True)
    return torch.stack(out.attentions)[:, 0].numpy()
