"""What does explaining an answer cost? MiniLM with its QA adapter, a question and a context
of 128 tokens in all, on this machine's CPU threads; every method, and the plain forward
pass it is built from, interleaved in one run (medians of --reps):

  forward      the reader's model on the window, nothing else (the unit of cost)
  gradxinput   gradient x input on the embedding layer (one forward and one backward)
  ig32         integrated gradients, 32 steps, in batches of 32, with the convergence delta
  occlusion    each of the ~120 removable tokens replaced by [MASK], batched by 32

This measures the model calls only: the page adds the attention rows (a capture, rollout,
flow over the answer's two rows) and the browser's drawing, which it does not time.
Then integrated gradients as the app runs it, doubling its steps from 32 until converged
(model.core.attribution), on the first --examples held-out QA examples:

    ig converged: median steps S, max |delta|/|f(x)-f(b)| D

Last line: `attribution at 128 tokens: gradxinput X s, ig32 Y s, occlusion Z s`.

    python bench/attribution.py [--reps N] [--examples N]
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

from model.core.attribution import attribute
from model.tasks.qa import QAReader

LENGTH = 128
QUESTION = "Where did Marie Curie study physics?"
SENTENCES = (
    "Marie Curie studied physics in Paris at the Sorbonne. ",
    "She later worked with her husband Pierre on radioactivity. ",
    "The couple shared a Nobel Prize with Henri Becquerel in 1903. ",
    "Her daughter Irene also became a famous scientist. ",
)


def context_of(reader: QAReader, length: int) -> str:
    """A context that, with the question, fills `length` tokens ([CLS] and [SEP]s included)."""
    words: list[str] = []
    k = 0
    while True:
        candidate = " ".join([*words, *SENTENCES[k % len(SENTENCES)].split()])
        size = len(reader.tokenizer(QUESTION, candidate)["input_ids"])
        if size > length:
            break
        words, k = candidate.split(), k + 1
    while len(reader.tokenizer(QUESTION, " ".join(words))["input_ids"]) < length:
        words.append("again")
    return " ".join(words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--examples", type=int, default=20, help="held-out QA examples for IG")
    args = parser.parse_args()
    reader = QAReader.load()
    context = context_of(reader, LENGTH)
    result = reader(QUESTION, context)
    subject = reader.explain(result)
    n = subject.ids.shape[1]
    print(f"MiniLM + QA adapter, {n} tokens, answer {result.answer!r}, "
          f"{torch.get_num_threads()} threads")  # fmt: skip

    def forward() -> None:
        with torch.inference_mode():
            subject.run(subject.ids)

    runs = {
        "forward": forward,
        "gradxinput": lambda: attribute(subject, method="gradxinput"),
        "ig32": lambda: attribute(subject, method="ig", steps=32, tolerance=None),
        "occlusion": lambda: attribute(subject, method="occlusion"),
    }
    for run in runs.values():  # warm up
        run()
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.reps):
        for name, run in runs.items():
            began = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - began)
    base = statistics.median(times["forward"])
    print(f"{'method':12s} {'median s':>9s} {'x forward':>10s}")
    for name, found in times.items():
        median = statistics.median(found)
        print(f"{name:12s} {median:9.3f} {median / base:10.1f}")
    delta = attribute(subject, method="ig", steps=32, tolerance=None).delta
    print(f"integrated gradients' convergence delta at 32 steps: {delta:+.2e}")
    print(converged_line(reader, args.examples))
    medians = {name: statistics.median(found) for name, found in times.items()}
    print(
        f"attribution at {LENGTH} tokens: gradxinput {medians['gradxinput']:.2f} s, "
        f"ig32 {medians['ig32']:.2f} s, occlusion {medians['occlusion']:.2f} s"
    )


def converged_line(reader: QAReader, examples: int) -> str:
    """Integrated gradients as the app runs it, on held-out QA examples: steps and error."""
    from model.datasets.qa_generator import generated_splits

    steps, relative = [], []
    for example in generated_splits()["test"][:examples]:
        read = reader(example.question, example.context)
        if read.best is None:
            continue
        found = attribute(reader.explain(read), method="ig")
        steps.append(found.steps)
        relative.append(found.relative_delta)
        at32 = attribute(reader.explain(read), method="ig", steps=32, tolerance=None)
        print(f"  {found.steps:4d} steps, |delta|/|f(x)-f(b)| {found.relative_delta:.1e} "
              f"(at 32 steps {at32.relative_delta:.1e}): {read.answer!r}")  # fmt: skip
    return (
        f"ig converged: median steps {statistics.median(steps):.0f}, "
        f"max |delta|/|f(x)-f(b)| {max(relative):.4f}"
    )


if __name__ == "__main__":
    main()
