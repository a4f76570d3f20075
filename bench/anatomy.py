"""What does capturing the whole architecture cost? Our translator on a 40-token sentence,
greedy decoding, variants interleaved in one run:

  bare       an uninstrumented copy of the model (no hook anywhere): a plain translation
  idle       the instrumented model with nothing listening (the cost of being ready)
  attention  translate() as the translation page calls it (attention probabilities)
  anatomy    translate(detail=True) as the architecture page calls it: probabilities, scores,
             Q/K/V, masks, embeddings, every block's residual stream, sublayer output,
             Add & Norm and feed-forward hidden units, and the logits of every step

Prints medians and ratios to bare; the last line is `anatomy capture overhead ratio: X`
(anatomy / bare).

    python bench/anatomy.py [--reps N]
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

from model.tasks.translation import OurTranslator
from model.transformer.decoding import greedy_decode
from model.transformer.model import Transformer

SENTENCE = (  # 40 tokens and EOS
    "On a quiet Sunday morning in early spring, my grandmother and her two friends walked "
    "along the river to the market, where they bought fresh bread and cheese."
)
VARIANTS = ("bare", "idle", "attention", "anatomy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=15, help="repetitions of each variant")
    args = parser.parse_args()
    translator = OurTranslator.load()
    bare = Transformer(translator.model.config).eval()  # never instrumented: no hooks at all
    bare.load_state_dict(translator.model.state_dict())
    ids, _, _ = translator.encode_source(SENTENCE)
    src = torch.tensor([ids])
    steps = len(translator.translate(SENTENCE).output_tokens)

    def run(variant: str) -> None:
        if variant == "bare":
            with torch.inference_mode():
                greedy_decode(bare, src, translator.bos, translator.eos, steps)
        elif variant == "idle":
            with torch.inference_mode():
                greedy_decode(translator.model, src, translator.bos, translator.eos, steps)
        else:
            result = translator.translate(SENTENCE, max_new=steps, detail=variant == "anatomy")
            assert (variant == "anatomy") == bool(result.attention.blocks)

    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; our translator "
        f"({translator.model.config.n_layers} layers); a {len(ids)}-token source, "
        f"{steps} decoding steps"
    )
    for variant in VARIANTS:  # warm up
        run(variant)
    times: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for rep in range(args.reps):
        order = VARIANTS[rep % 4 :] + VARIANTS[: rep % 4]  # rotate who goes first
        for variant in order:
            start = time.perf_counter()
            run(variant)
            times[variant].append(time.perf_counter() - start)
    medians = {v: statistics.median(t) * 1000 for v, t in times.items()}
    for variant in VARIANTS:
        ratio = medians[variant] / medians["bare"]
        print(f"{variant:>10}: {medians[variant]:7.1f} ms  ({ratio:.2f}x bare)")
    print(f"anatomy capture overhead ratio: {medians['anatomy'] / medians['bare']:.2f}")


if __name__ == "__main__":
    main()
