"""The head atlas's cost, measured side by side in one run, and its page where the visitor is.

1. MiniLM's plain forward passes over the corpus's sentences (no capture), spaCy's parses of
   them, and the whole `python -m model.atlas heads` (capture, parsing, every behaviour and
   relation, sinks across lengths, the file written), on this machine.
2. Unless --no-browser: the Head atlas page in Debian's Chromium against a fresh server
   started as `make run` starts it: from the menu click to the map drawn from the shipped
   atlas, for a first and a second visitor (each in a new browser context).

The last line is the command's own:

    head atlas: N sentences, M heads, X s

    python bench/head_atlas.py [--limit 1000] [--corpus corpus] [--no-browser]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

MAP = "[data-testid='stPlotlyChart'] .scatterlayer .point"


def plain_passes(texts: list[str]) -> float:
    import torch

    from model.hf.encoding import encode, max_length
    from model.hf.loading import load_bert

    model, tokenizer = load_bert()
    limit = max_length(tokenizer, model)
    began = time.perf_counter()
    with torch.inference_mode():
        for text in texts:
            model(**encode(tokenizer, text, limit=limit).inputs)
    return time.perf_counter() - began


def page_paint(runs: int = 2) -> list[float]:
    from playwright.sync_api import sync_playwright

    from bench.first_view import start_server
    from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS

    seconds = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        server, url = start_server(ROOT / "bench" / "head-atlas-server.log")
        try:
            for _ in range(runs):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                page.set_default_timeout(120_000)
                page.goto(url)
                link = page.locator("[data-testid='stSidebarNav'] a", has_text="Head atlas")
                link.first.wait_for()
                page.wait_for_function(
                    "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
                )
                page.wait_for_selector(".js-plotly-plot .main-svg", state="visible")  # home
                page.wait_for_timeout(500)
                began = time.monotonic()
                link.first.click()
                page.locator(MAP).first.wait_for(state="attached")
                seconds.append(time.monotonic() - began)
                context.close()
        finally:
            server.terminate()
            server.wait(timeout=15)
        browser.close()
    return seconds


def main(argv: list[str] | None = None) -> str:
    from model.analysis.head_atlas import Atlas
    from model.atlas import main as atlas_main
    from model.datasets.corpora import sentences
    from model.datasets.parses import parse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--corpus", default="corpus")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    texts = sentences(args.corpus, args.limit)
    plain = plain_passes(texts)
    parse(texts[:2])  # the pipeline's load, once
    began = time.perf_counter()
    parse(texts)
    parsing = time.perf_counter() - began
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "atlas.npz"
        atlas_main(["heads", "--model", "minilm", "--corpus", args.corpus, "--limit",
                    str(args.limit), "--out", str(out), "--quiet"])  # fmt: skip
        atlas = Atlas.load(out)
    whole = atlas.seconds
    print(
        f"MiniLM over {len(texts)} sentences: plain forward passes {plain:.1f} s, spaCy "
        f"parses {parsing:.1f} s, the whole atlas (model loaded, captured, parsed, sinks "
        f"measured) {whole:.1f} s = {whole / plain:.1f}x the plain passes"
    )
    if not args.no_browser:
        first, second = page_paint()
        print(
            f"Head atlas page, menu click to map drawn (Chromium, fresh server): first visitor "
            f"{first:.2f} s, second {second:.2f} s"
        )
    line = atlas.summary()
    print(line)
    return line


if __name__ == "__main__":
    main()
