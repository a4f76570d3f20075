"""How much memory does one server hold? The app's own loaders and capture cache, in one
process, as the server runs them:

  models  every default model loaded (MiniLM, MiniLM + NER, MiniLM + QA, our translator)
  fill    N different 512-token texts through the explorer's cached capture, one after another,
          then A texts through the architecture page's cache (every activation recorded)
  soak    K interactions (a capture of one of 60 texts of 8 to 512 tokens, any model), first
          from one thread, then from S threads as S browser sessions would send them; growth
          is the RSS at the end of each against the RSS after its first fifth (the warm-up)

RSS is read from /proc/self/status, and a sampler thread keeps the peak. Runs under the
allocator settings the app is served with (model/core/runtime.py), re-starting itself with
them if needed. The last line is
`memory: rss peak X MB with models and full caches, soak growth Y%` (Y: the larger of
the two soaks).

    python bench/memory.py [--texts 40] [--anatomies 30] [--soak 1000] [--sessions 4]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model.core.runtime import ALLOCATOR_ENV

SENTENCE = (
    "the quick brown fox jumps over lazy dogs near a river bank while students in Paris read "
    "old books about Marie Curie and the history of science in Europe"
)
WORDS = SENTENCE.split()


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


class Peak:
    """Samples RSS every 20 ms in a thread; `peak` is the largest seen since `reset`."""

    def __init__(self) -> None:
        self.peak = rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_mb())

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def text_of(tokens: int, seed: int) -> str:
    """About `tokens` MiniLM tokens of different words for each seed (no two texts alike)."""
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(tokens)) + f" {seed}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=40, help="512-token texts in the fill")
    parser.add_argument("--anatomies", type=int, default=30, help="architecture-page texts")
    parser.add_argument("--soak", type=int, default=1000, help="interactions in the soak")
    parser.add_argument("--sessions", type=int, default=4, help="threads in the soak")
    args = parser.parse_args()
    if not all(os.environ.get(k) == v for k, v in ALLOCATOR_ENV.items()):
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **ALLOCATOR_ENV})

    from app import loaders, sources

    # Outside a served app the loaders' st.cache_resource warns on every call; it still caches.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(
        logging.ERROR
    )
    start = rss_mb()
    peak = Peak()
    loaders.minilm(), loaders.ner_tagger(), loaders.qa_reader(), loaders.translator()
    models = rss_mb()
    print(f"rss at start {start:.0f} MB, with every default model {models:.0f} MB")

    began = time.monotonic()
    for i in range(args.texts):
        sources.cached_capture("minilm", text_of(600, seed=i))  # cut to 512 tokens
    for i in range(args.anatomies):  # the architecture page's cache: every activation
        sources.cached_anatomy(("minilm", "translator")[i % 2], text_of(70, seed=500 + i))
    fill_peak = peak.peak
    print(
        f"fill: {args.texts} texts of 512 tokens and {args.anatomies} anatomies in "
        f"{time.monotonic() - began:.0f} s; "
        f"rss now {rss_mb():.0f} MB, peak {fill_peak:.0f} MB; "
        f"{sources.cache_report()}"
    )

    pool = [
        (source, text_of(length, seed=1000 + i))
        for i, (source, length) in enumerate(
            (s, n)
            for s in ("minilm", "minilm-ner", "minilm-qa", "translator")
            for n in (8, 16, 32, 48, 64, 90, 128, 256, 384, 512, 20, 40, 60, 80, 100)
        )
    ]  # 60 texts; the translator reads at most 95 tokens of each
    growths = [soak(sources, pool, args.soak, threads, seed) for seed, threads in enumerate(
        (1, args.sessions)
    )]  # fmt: skip
    peak.stop()
    print(
        f"memory: rss peak {peak.peak:.0f} MB with models and full caches, "
        f"soak growth {max(growths):.1f}%"
    )


def soak(sources: Any, pool: list[tuple[str, str]], n: int, sessions: int, seed: int) -> float:
    """n captures drawn from `pool`, from `sessions` threads at once; returns the growth of
    RSS, in percent, from the end of the warm-up (the first fifth) to the end."""
    rng = random.Random(seed)
    plan = [rng.choice(pool) for _ in range(n)]
    warm = max(1, n // 5)
    done = 0
    lock = threading.Lock()
    trail: list[int] = []  # RSS every 100 interactions
    after_warmup = 0.0

    def session(index: int) -> None:
        nonlocal done, after_warmup
        for source, text in plan[index::sessions]:
            sources.cached_capture(source, text)
            with lock:
                done += 1
                if done == warm:
                    after_warmup = rss_mb()
                if done % 100 == 0:
                    trail.append(round(rss_mb()))

    began = time.monotonic()
    threads = [threading.Thread(target=session, args=(i,)) for i in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    end = rss_mb()
    print(
        f"soak: {n} interactions from {sessions} thread(s) in {time.monotonic() - began:.0f} s; "
        f"rss after warm-up {after_warmup:.0f} MB, at the end {end:.0f} MB; "
        f"{sources.cache_report()}\n  rss every 100 interactions (MB): {' '.join(map(str, trail))}"
    )
    return 100 * (end - after_warmup) / after_warmup


if __name__ == "__main__":
    main()
