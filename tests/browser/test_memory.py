"""What one visitor's long texts cost the server, measured where the visitor is: a fresh
server as `make run` starts it (same allocator settings), Chromium typing 30 different texts
of about 512 tokens into the Attention explorer and waiting for each heatmap, the server's
RSS read after each. Before the fix it grew about 100 MB a text, to 4.8 GB.
bench/memory.py measures the same and more (every tab, the other pages, closing)."""

from __future__ import annotations

import os
import random
import statistics
from pathlib import Path

from model.core.runtime import ALLOCATOR_ENV
from tests.browser.conftest import ARTIFACTS, _free_port, serve_process
from tests.browser.test_pages import open_page, wait_for_app

BOUND_MB = 1500  # what issue 25 sets for the server through the pages
TEXTS = 30  # the first twenty give the peak, the last ten must not rise above it
WORDS = [
    "the",
    "students",
    "read",
    "old",
    "books",
    "about",
    "science",
    "near",
    "a",
    "river",
    "bank",
    "in",
    "Paris",
]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# each text starts with a word of its own, so that its heatmap is told from the last one
FIRST = (
    "apple", "banana", "cherry", "dog", "eagle", "falcon", "garden", "harbor", "island",
    "jungle", "kitten", "lemon", "mountain", "needle", "ocean", "pepper", "queen", "river",
    "silver", "tiger", "umbrella", "valley", "window", "yellow", "anchor", "bridge", "castle",
    "desert", "engine", "forest", "guitar", "hammer", "jacket", "ladder", "mirror", "nest",
    "orange", "piano", "rabbit", "salad",
)  # fmt: skip


def long_text(seed: int) -> str:
    rng = random.Random(seed)
    return " ".join([FIRST[seed], *(rng.choice(WORDS) for _ in range(560))])  # cut to 512


# Slow (about 45 s): a fresh server and 30 heatmaps of 512 tokens in Chromium. The leak it
# guards against grew about 100 MB a text; a bound is told from a slow climb only over tens
# of texts (thirty: twenty to peak, ten after; it was forty, 60 s).
def test_thirty_long_texts_keep_the_server_within_its_memory_bound(browser):
    from transformers import AutoTokenizer

    from model.hf.loading import minilm_path

    tokenizer = AutoTokenizer.from_pretrained(str(minilm_path()))
    assert len(set(FIRST)) >= TEXTS
    env = {**os.environ, **ALLOCATOR_ENV, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "memory-server.log", "w") as log:
        served = serve_process(_free_port(), env, log)
        url, server = next(served)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.set_default_timeout(120_000)
            open_page(page, url, "Attention explorer")
            page.wait_for_selector(".js-plotly-plot .main-svg")
            trail = []
            for i in range(TEXTS):
                box = page.get_by_label("Text", exact=True)
                box.fill(long_text(i))
                box.press("Control+Enter")
                page.wait_for_function(  # this text's heatmap is drawn: its first word
                    "(label) => [...document.querySelectorAll('.js-plotly-plot')]"
                    ".some(c => c.data && c.data[0].x && c.data[0].x[1] === label)",
                    arg=f"1 {tokenizer.tokenize(long_text(i))[0]}",
                )
                wait_for_app(page)
                trail.append(rss_mb(server.pid))
            context.close()
        finally:
            served.close()
    print(f"server rss after each text (MB): {' '.join(f'{r:.0f}' for r in trail)}")
    assert max(trail) <= BOUND_MB, trail
    # flat, not growing: the last ten texts sit no higher than the first twenty peaked, +10%
    # (their median: one reading caught mid-collection, 1,154 MB among 965s, is not growth;
    # before the fix every reading was 100 MB above the one before)
    assert statistics.median(trail[-10:]) <= 1.1 * max(trail[:20]), trail
