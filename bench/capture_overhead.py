"""What does capturing attention cost? MiniLM forward passes, interleaved in one run:

  plain             Hugging Face eager model, nothing asked for
  idle              our instrumented model with no capture open (the cost of being ready)
  capture           our instrumented model inside capture() (probabilities only)
  output_attentions Hugging Face eager model with output_attentions=True

Prints a table of medians and ratios to plain; the last line is
`capture overhead ratio at 128 tokens: X.XX` (capture / plain).

    python bench/capture_overhead.py [--reps N] [--default-allocator] [--tidy]

It runs under the allocator settings the app is served with (model/core/runtime.py),
re-starting itself with them if needed; --default-allocator measures glibc's
defaults instead. --tidy gives every free page back to the system after each call, untimed
(`model.core.runtime.tidy_after_run` with no threshold: the worst case of what the server does
after a page run), so that each timed call faults its memory in anew. Both variants of a row
always run in the same process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch
from transformers import AutoModel

from model.core.capture import capture
from model.core.runtime import ALLOCATOR_ENV, tidy_after_run
from model.hf.loading import load_bert, minilm_path

SIZES = (32, 128, 512)
VARIANTS = ("plain", "idle", "capture", "output_attentions")


def inputs_of_length(tokenizer, n: int) -> dict[str, torch.Tensor]:
    text = "The quick brown fox jumps over the lazy dog near the river bank. " * (n // 4)
    return dict(tokenizer(text, truncation=True, max_length=n, return_tensors="pt"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=0, help="repetitions per size (0: auto)")
    parser.add_argument(
        "--default-allocator", action="store_true", help="keep glibc's default malloc settings"
    )
    parser.add_argument(
        "--tidy", action="store_true", help="give free memory back after each call (untimed)"
    )
    args = parser.parse_args()
    serving = all(os.environ.get(k) == v for k, v in ALLOCATOR_ENV.items())
    if not args.default_allocator and not serving:  # glibc reads these only at start-up
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **ALLOCATOR_ENV})
    if args.default_allocator and any(key in os.environ for key in ALLOCATOR_ENV):
        env = {k: v for k, v in os.environ.items() if k not in ALLOCATOR_ENV}
        os.execve(sys.executable, [sys.executable, *sys.argv], env)

    ours, tokenizer = load_bert()
    plain = AutoModel.from_pretrained(minilm_path(), attn_implementation="eager").eval()

    def run(variant: str, inputs: dict[str, torch.Tensor]) -> None:
        if variant == "plain":
            plain(**inputs)
        elif variant == "idle":
            ours(**inputs)
        elif variant == "capture":
            with capture(ours) as recorder:
                ours(**inputs)
            assert len(recorder.result.records) == 6
        else:
            out = plain(**inputs, output_attentions=True)
            assert len(out.attentions) == 6

    allocator = "glibc defaults" if args.default_allocator else "serving settings (runtime.py)"
    allocator += ", every free page given back after each call" if args.tidy else ""
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, MiniLM (6 x 12 heads), "
        f"malloc: {allocator}"
    )
    print(f"{'tokens':>6} | " + " | ".join(f"{v:>17}" for v in VARIANTS) + " | capture/plain")
    ratio_at: dict[int, float] = {}
    with torch.inference_mode():
        for n in SIZES:
            inputs = inputs_of_length(tokenizer, n)
            assert inputs["input_ids"].shape[1] == n
            reps = args.reps or {32: 60, 128: 40, 512: 12}[n]
            for variant in VARIANTS:  # warm up
                run(variant, inputs)
            times: dict[str, list[float]] = {v: [] for v in VARIANTS}
            for rep in range(reps):
                order = VARIANTS[rep % 4 :] + VARIANTS[: rep % 4]  # rotate who goes first
                for variant in order:
                    start = time.perf_counter()
                    run(variant, inputs)
                    times[variant].append(time.perf_counter() - start)
                    if args.tidy:
                        tidy_after_run(collect_mb=0, keep_mb=0)
            medians = {v: statistics.median(t) * 1000 for v, t in times.items()}
            ratio_at[n] = medians["capture"] / medians["plain"]
            cells = " | ".join(
                f"{medians[v]:8.1f} ms ({medians[v] / medians['plain']:.2f}x)" for v in VARIANTS
            )
            print(f"{n:>6} | {cells} | {ratio_at[n]:.3f}")
    print(f"capture overhead ratio at 128 tokens: {ratio_at[128]:.2f}")


if __name__ == "__main__":
    main()
