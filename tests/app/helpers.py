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


def switch_on(at: AppTest, key: str) -> AppTest:
    """Switch a page's toggle on (explanations, the lens, patching) and rerun, cleanly."""
    at.toggle(key).set_value(True).run()
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


SAME_COLOUR = 16.0  # RGB distance (0-255 per channel) under which two cells read as one colour


def one_colour_share(trace: dict) -> float:
    """The largest share of a heatmap's cells drawn in what reads as one colour.

    Each cell's value is placed on the trace's colour scale as Plotly places it (zmin..zmax,
    else the data's range, centred on zmid when given) and turned into its RGB colour; the
    share is the most cells within SAME_COLOUR of one cell's colour. A map whose scale one
    outlier sets is almost all the scale's middle colour: close to 1."""
    from plotly.colors import get_colorscale, sample_colorscale, unlabel_rgb

    z = decode(trace["z"]).astype(np.float64)
    z = z[np.isfinite(z)]
    if z.size == 0:
        return 1.0
    low, high = trace.get("zmin"), trace.get("zmax")
    if low is None or high is None:
        low, high = float(z.min()), float(z.max())
        if trace.get("zmid") is not None:
            half = max(abs(low - trace["zmid"]), abs(high - trace["zmid"]))
            low, high = trace["zmid"] - half, trace["zmid"] + half
    if high <= low:
        return 1.0
    scale = trace["colorscale"]
    scale = get_colorscale(scale) if isinstance(scale, str) else scale
    levels = np.linspace(0, 1, 256)
    palette = np.array([unlabel_rgb(c) for c in sample_colorscale(scale, list(levels))])
    level = np.round(np.clip((z - low) / (high - low), 0, 1) * 255).astype(int)
    counts = np.bincount(level, minlength=256)  # cells per colour level
    near = np.linalg.norm(palette[:, None, :] - palette[None, :, :], axis=2) < SAME_COLOUR
    return float((near @ counts).max() / z.size)
