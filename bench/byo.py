"""What does capturing a model you bring cost? A small GPT-2 and a small T5 (`--all`: every
supported family) with random weights, 4 layers, d_model 256, 4 heads, d_ff 1024, on a
128-token input
(T5, BART and Marian: 32 decoder tokens), variants interleaved in one run:

  bare     an uninstrumented copy with Transformers' own eager attention
  capture  the instrumented model inside `capture(model)`: every head's probabilities

Prints medians and the ratio capture / bare per family; the last line is
`byo capture overhead ratio (worst family): X`.

    python bench/byo.py [--reps N] [--all]
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch
import transformers

from model.core.capture import capture, instrument
from model.hf.families import FAMILIES, Size

LENGTH = 128  # tokens in; T5's decoder reads 32


BENCH = Size(d_model=256, layers=4, heads=4, positions=512, ffn=4)  # d_ff 1024, as released


def models(names: list[str]) -> dict[str, tuple[torch.nn.Module, dict[str, torch.Tensor]]]:
    """Each family's model at the bench's size, random weights, and its 128-token input."""
    ids = torch.randint(5, 5000, (1, LENGTH))
    built = {}
    for family in FAMILIES:
        if family.name in names:
            inputs = {"input_ids": ids}
            if family.kind == "seq2seq":
                inputs["decoder_input_ids"] = ids[:, :32]
            built[family.name] = (family.tiny(vocab_size=5000, size=BENCH), inputs)
    return built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=30, help="repetitions of each variant")
    parser.add_argument("--all", action="store_true", help="every family, not GPT-2 and T5")
    args = parser.parse_args()
    names = [f.name for f in FAMILIES] if args.all else ["GPT-2", "T5"]
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, "
          f"{torch.get_num_threads()} threads; {LENGTH} tokens in")  # fmt: skip
    worst = 0.0
    for name, (bare, inputs) in models(names).items():
        hooked = instrument(copy.deepcopy(bare))  # the same weights, switched to our attention

        def run(variant: str, bare=bare, hooked=hooked, inputs=inputs) -> None:
            with torch.inference_mode():
                if variant == "bare":
                    bare(**inputs)
                else:
                    with capture(hooked) as recorder:
                        hooked(**inputs)
                    assert recorder.result.records

        variants = ("bare", "capture")
        for variant in variants:  # warm up
            run(variant)
        times: dict[str, list[float]] = {v: [] for v in variants}
        for rep in range(args.reps):
            for variant in variants if rep % 2 == 0 else variants[::-1]:  # alternate the order
                start = time.perf_counter()
                run(variant)
                times[variant].append(time.perf_counter() - start)
        medians = {v: statistics.median(t) * 1000 for v, t in times.items()}
        ratio = medians["capture"] / medians["bare"]
        worst = max(worst, ratio)
        print(f"{name:10s} bare {medians['bare']:7.2f} ms  capture {medians['capture']:7.2f} ms  "
              f"ratio {ratio:.3f}")  # fmt: skip
    print(f"byo capture overhead ratio (worst family): {worst:.2f}")


if __name__ == "__main__":
    main()
