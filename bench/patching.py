"""What do activation patching and the logit lens cost? On this machine's CPU threads, with the
model calls the pages make (medians of --reps), beside the plain forward pass in the same run:

  MiniLM + QA adapter, question and context of 32 tokens:
    heads      all 72 heads, each patched from the clean run into the corrupted one
    residual   the 6 x 32 map: the stream entering each layer, at each position
    lens       every layer read out through the QA head (one forward with activations)
  our translator (3 + 3 layers), one decoding step:
    heads      its 36 heads (encoder, decoder, cross)
    residual   its encoder stream, each layer at each source position
    lens       every decoder layer at every step (the greedy translation, captured)

This times the model calls only: the page adds the maps' drawing in the browser.
Last line: `patching at 32 tokens: heads X s, residual Y s, lens Z s` (MiniLM + QA).

    python bench/patching.py [--reps N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from model.analysis import anatomy as an
from model.analysis import lens as ln
from model.core.capture import capture
from model.core.patching import head_map, prepare, stream_map
from model.tasks.qa import QAReader
from model.tasks.translation import OurTranslator

LENGTH = 32
QUESTION = "Where is Mary?"
CLEAN = "Mary is in the garden and John is in the kitchen near the old table."
CORRUPT = "John is in the garden and Mary is in the kitchen near the old table."


def padded(reader: QAReader, context: str) -> str:
    """The context grown with a neutral word until question and context fill LENGTH tokens."""
    while len(reader.tokenizer(QUESTION, context)["input_ids"]) < LENGTH:
        context += " again"
    return context


def median_time(run: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    reader = QAReader.load()
    clean, corrupt = padded(reader, CLEAN), padded(reader, CORRUPT)
    result = reader(QUESTION, clean)
    experiment = reader.patching(result, QUESTION, corrupt)
    runs = prepare(experiment)
    n = experiment.clean["input_ids"].shape[1]
    print(f"MiniLM + QA adapter, {n} tokens ({result.answer!r} against the corrupted answer), "
          f"{torch.get_num_threads()} threads")  # fmt: skip

    def qa_lens() -> None:
        with torch.inference_mode(), capture(reader.model, activations=True) as rec:
            reader.model(**experiment.clean)
        ln.span_lens(ln.block_outputs(rec.result, "encoder", 6), reader.model.qa_outputs)

    def forward() -> None:
        with torch.inference_mode():
            reader.model(**experiment.clean)

    qa = {
        "forward": median_time(forward, args.reps * 5),
        "heads": median_time(lambda: head_map(runs, "encoder"), args.reps),
        "residual": median_time(lambda: stream_map(runs), args.reps),
        "lens": median_time(qa_lens, args.reps * 5),
    }
    translator = OurTranslator.load()
    sentence = "The cat sleeps in the garden."
    translated = translator.translate(sentence)
    t_runs = prepare(translator.patching(translated, "The dog sleeps in the garden.", 1))

    def t_lens() -> None:
        anatomy = an.translator_anatomy(translator, sentence, beams=0)
        hidden = ln.block_outputs(anatomy.capture, "decoder", anatomy.spec.n_layers)
        ln.lens(hidden, translator.model.generator, str)

    def t_forward() -> None:
        translator.translate(sentence)

    ours = {
        "forward": median_time(t_forward, args.reps * 5),
        "heads": median_time(
            lambda: [head_map(t_runs, s) for s in ("encoder", "decoder", "cross")], args.reps
        ),
        "residual": median_time(lambda: stream_map(t_runs), args.reps),
        "lens": median_time(t_lens, args.reps * 5),
    }
    print(f"{'':22s} {'forward':>8s} {'heads':>8s} {'residual':>9s} {'lens':>8s}  (median s)")
    for name, found in (("MiniLM + QA, 32 tokens", qa), ("translator, one step", ours)):
        print(f"{name:22s} {found['forward']:8.3f} {found['heads']:8.3f} "
              f"{found['residual']:9.3f} {found['lens']:8.3f}")  # fmt: skip
    print(
        f"MiniLM + QA, x its forward pass: heads {qa['heads'] / qa['forward']:.0f}, "
        f"residual {qa['residual'] / qa['forward']:.0f}, lens {qa['lens'] / qa['forward']:.1f}"
    )
    print(
        f"patching at {LENGTH} tokens: heads {qa['heads']:.2f} s, residual {qa['residual']:.2f} s,"
        f" lens {qa['lens']:.2f} s"
    )


if __name__ == "__main__":
    main()
