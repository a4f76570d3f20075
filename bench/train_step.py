"""What does one training step of the translator cost, and what do the training options buy?

Steps of `python -m model.train translation` on real batches of the corpus (about 3,000
tokens each, a quarter of the default, to keep the run short), interleaved in one run, each
variant with its own model and fused Adam:

  fp32        float32, dropout 0.1 (the paper's recipe)
  bf16        --bf16: matrix products in bfloat16 (autocast), dropout 0.1
  bf16 no-dropout   --bf16 --dropout 0

Prints medians and each variant's speed-up over fp32; the last line is
`train step speed-up (bf16, no dropout) over fp32: X.XX`.

    python bench/train_step.py [--steps N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from model.datasets.corpus import read_split
from model.tasks.translation import OurTranslator
from model.training.translation import batch_loss, bucket_batches, encode_pairs
from model.transformer.model import make_model

VARIANTS = {"fp32": (False, 0.1), "bf16": (True, 0.1), "bf16 no-dropout": (True, 0.0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=12, help="timed steps per variant")
    args = parser.parse_args()
    torch.manual_seed(0)
    shipped = OurTranslator.load()  # its tokenizer and config: the shape of the real model
    tokenizer, config = shipped.tokenizer, shipped.model.config
    encoded = encode_pairs(tokenizer, read_split("train")[:4000], config.max_len)
    batches = bucket_batches(encoded, 3000, config.pad_id)
    middle = batches[len(batches) // 4 : len(batches) // 4 + args.steps + 2]  # typical lengths
    runs = {}
    for name, (bf16, dropout) in VARIANTS.items():
        model = make_model(replace(config, dropout=dropout)).train()
        optimiser = torch.optim.Adam(model.parameters(), lr=1e-5, fused=True)
        runs[name] = (model, optimiser, bf16)
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    tokens = sum(int(s.numel() + t.numel()) for s, t in middle[2:])
    for index, batch in enumerate(middle):
        for name, (model, optimiser, bf16) in runs.items():  # interleaved: same load for all
            start = time.perf_counter()
            loss, n = batch_loss(model, batch, 0.1, bf16)
            optimiser.zero_grad()
            (loss / n).backward()
            optimiser.step()
            if index >= 2:  # two warm-up steps
                times[name].append(time.perf_counter() - start)
    print(f"{args.steps} steps per variant, {tokens / args.steps:.0f} tokens a step (padded)")
    base = statistics.median(times["fp32"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:>16}: {1000 * median:6.0f} ms a step   speed-up {base / median:.2f}")
    speedup = base / statistics.median(times["bf16 no-dropout"])
    print(f"train step speed-up (bf16, no dropout) over fp32: {speedup:.2f}")


if __name__ == "__main__":
    main()
