"""How many bytes does the browser receive for every head of MiniLM at once?

Ours: the all-heads grid of the explorer, serialised exactly as st.plotly_chart does
(plotly.io.to_json, the spec Streamlit sends). bertviz: the HTML its model_view returns
for the same attention. Same input, same capture, measured side by side in one run.
Last line: `payload ratio vs bertviz at 128 tokens: X` (ours / bertviz).

    python bench/payload.py [--sizes 128 512]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import plotly.io
from bertviz import model_view

from app.kit.figures import head_grid
from model.hf.encoding import encode, run_with_capture
from model.hf.loading import load_bert


def text_of_tokens(tokenizer, n: int) -> str:
    words = [
        "the",
        "quick",
        "brown",
        "fox",
        "jumps",
        "over",
        "the",
        "lazy",
        "dog",
        "near",
        "the",
        "old",
        "river",
        "bank",
    ]
    text = " ".join(words[i % len(words)] for i in range(n))
    assert len(tokenizer(text)["input_ids"]) >= n
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 512])
    args = parser.parse_args()
    model, tokenizer = load_bert()
    ratios = {}
    print(
        f"{'tokens':>6} | {'ours (grid)':>12} | {'bertviz model_view':>18} | {'ratio':>7} | times"
    )
    for n in args.sizes:
        encoded = encode(tokenizer, text_of_tokens(tokenizer, n), limit=n)
        attention, _ = run_with_capture(model, encoded)
        stacked = attention.stacked().numpy()  # (6, 12, n, n)
        start = time.perf_counter()
        ours = len(plotly.io.to_json(head_grid(stacked), validate=False).encode())
        ours_s = time.perf_counter() - start
        start = time.perf_counter()
        per_layer = [attention.record("encoder", i).probs for i in range(attention.n_layers())]
        html = model_view(per_layer, list(encoded.tokens), html_action="return").data
        theirs = len(html.encode())
        theirs_s = time.perf_counter() - start
        del html
        ratios[n] = ours / theirs
        print(
            f"{n:>6} | {ours / 1e6:9.3f} MB | {theirs / 1e6:15.1f} MB | {ratios[n]:7.4f} | "
            f"ours {ours_s:.2f} s, bertviz {theirs_s:.1f} s"
        )
    if 128 in ratios:
        print(f"payload ratio vs bertviz at 128 tokens: {ratios[128]:.4f}")


if __name__ == "__main__":
    main()
