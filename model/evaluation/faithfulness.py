"""Which explanation is faithful, measured against rankings that know nothing of the model:
`python -m model.evaluate faithfulness ner|qa|translation`.

Every method ranks the removable tokens of held-out examples; ERASER's comprehensiveness and
sufficiency (model.core.attribution.faithfulness) say how much the output's probability
falls when the top ones are removed, or when only they are kept. Two baselines are measured
the same way, on the same examples:

- **random**: a random ranking, the mean over RANDOM_SEEDS seeds: what no method may fall to;
- **modelfree**: the task's own prior, with no look inside the model: the tokens the output
  is about first (QA: the answer span; NER: the entity's pieces; translation: the source
  token at the step's place in the sentence, as no alignment is shipped), then the others
  by distance to them.

A method *beats* the model-free ranking when its comprehensiveness exceeds it on the same
examples by more than their spread: the 95% bootstrap interval (BOOTSTRAP resamples of the
examples) of the paired difference lies above 0. A task whose row sits at a ceiling (every
ranking removes the answer) cannot tell methods apart, and the report says so.
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model.core.attribution import FRACTIONS, AnswerSpan, LabelAt, Subject, TokenAt, faithfulness

# The rows reported (comprehensiveness AOPC in the last line), by the names
# model.analysis.explanations gives them; then the two baselines.
METHOD_ROWS = {
    "attention": "every layer (mean)",
    "rollout": "rollout",
    "flow": "flow",
    "gradxinput": "gradient x input",
    "ig": "integrated gradients",
    "occlusion": "occlusion",
}
BASELINES = ("random", "modelfree")
RANDOM_SEEDS = 5
BOOTSTRAP = 1000
LEVEL = 0.95


# -- the baselines ----------------------------------------------------------------------------
def anchors(subject: Subject, output_length: int = 0) -> tuple[int, ...]:
    """The input positions the output is about, without asking the model: an answer span's
    tokens, an entity's pieces, or for a decoding step the removable source token at the
    same relative place (`output_length`: the translation's steps)."""
    target = subject.target
    if isinstance(target, AnswerSpan):
        return tuple(range(target.start, target.end + 1))
    if isinstance(target, LabelAt):
        return target.positions
    if isinstance(target, TokenAt):
        kept = [i for i, r in enumerate(subject.removable) if r]
        if not kept:
            return ()
        at = round(target.position * len(kept) / max(1, output_length))
        return (kept[min(at, len(kept) - 1)],)
    raise ValueError(f"no model-free ranking for a {type(target).__name__}")


def modelfree_scores(subject: Subject, around: Sequence[int]) -> np.ndarray:
    """Highest on the anchors, then falling with the distance to the nearest one."""
    positions = np.arange(len(subject.tokens))
    if not around:
        return np.zeros(len(positions))
    distance = np.min(np.abs(positions[:, None] - np.asarray(around)[None, :]), axis=1)
    return -distance.astype(float)


def random_scores(subject: Subject, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).permutation(len(subject.tokens)).astype(float)


# -- the statistics ----------------------------------------------------------------------------
def interval(values: Sequence[float], seed: int = 0) -> tuple[float, float]:
    """The LEVEL bootstrap interval of the mean of `values` (percentile method)."""
    data = np.asarray(values, dtype=float)
    if len(data) < 2:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, len(data), (BOOTSTRAP, len(data)))].mean(axis=1)
    tail = (1 - LEVEL) / 2
    return (float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail)))


@dataclass
class Row:
    """One ranking's measures over the examples, each example's kept by its index."""

    comprehensiveness: dict[int, tuple[float, ...]] = field(default_factory=dict)
    sufficiency: dict[int, tuple[float, ...]] = field(default_factory=dict)
    normalised: dict[int, float] = field(default_factory=dict)  # comprehensiveness AOPC / p(x)
    spearman: list[float] = field(default_factory=list)

    def add(self, index: int, comp: Sequence[float], suff: Sequence[float], p: float) -> None:
        self.comprehensiveness[index] = tuple(comp)
        self.sufficiency[index] = tuple(suff)
        self.normalised[index] = float(np.mean(comp)) / p if p > 0 else float("nan")

    def aopc(self, index: int, measure: str = "comprehensiveness") -> float:
        return float(np.mean(getattr(self, measure)[index]))


def beats(
    method: Row, baseline: Row, measure: str = "comprehensiveness"
) -> tuple[float, tuple[float, float]]:
    """The mean paired difference of a measure's AOPC (method - baseline) over the examples
    both have, and its bootstrap interval."""
    shared = sorted(set(method.comprehensiveness) & set(baseline.comprehensiveness))
    differences = [method.aopc(i, measure) - baseline.aopc(i, measure) for i in shared]
    return (float(np.mean(differences)) if differences else float("nan"), interval(differences))


# -- the examples --------------------------------------------------------------------------------
def subjects(which: str, checkpoint: str) -> Iterator[tuple[str, Subject, tuple[int, ...]]]:
    """(example in words, Subject, its model-free anchors) for each held-out example with
    something to explain, in order: NER, every entity the tagger finds in the WNUT-16
    sentences held out from training (the test tenth, then the validation tenth: 93 test
    sentences hold an entity); QA, the answer the reader gives to each generated test
    question; translation, the middle decoding step of each held-out corpus sentence's greedy
    translation."""
    folder = Path(checkpoint) if checkpoint else None
    if which == "ner":
        from model.datasets.wnut import load_wnut, split_sentences
        from model.tasks.ner import NerTagger

        tagger = NerTagger.load(folder) if folder else NerTagger.load()
        held_out = split_sentences(load_wnut())
        for words, _ in [*held_out["test"], *held_out["valid"]]:
            tagged = tagger(" ".join(words))
            for entity in tagged.entities:
                subject = tagger.explain(tagged, entity)
                yield tagged.text, subject, anchors(subject)
    elif which == "qa":
        from model.datasets.qa_generator import generated_splits
        from model.tasks.qa import QAReader

        reader = QAReader.load(folder) if folder else QAReader.load()
        for example in generated_splits()["test"]:
            read = reader(example.question, example.context)
            if read.best is not None:
                subject = reader.explain(read)
                yield example.question, subject, anchors(subject)
    else:
        from model.datasets.corpus import read_split
        from model.tasks.translation import OurTranslator

        translator = OurTranslator.load(folder) if folder else OurTranslator.load()
        for pair in read_split("test"):
            translated = translator.translate(pair.english)
            steps = len(translated.output_tokens)
            subject = translator.explain(translated, steps // 2)
            yield pair.english, subject, anchors(subject, steps)


# -- the command ----------------------------------------------------------------------------------
def measure(
    which: str, checkpoint: str, limit: int, steps: int, quiet: bool
) -> tuple[dict[str, Row], int]:
    """Every method and both baselines on the first `limit` examples; IG's steps and errors
    are printed as they are found."""
    from tqdm import tqdm

    from model.analysis.explanations import explain

    rows = {name: Row() for name in [*METHOD_ROWS, *BASELINES]}
    steps_taken: list[int] = []
    errors: list[float] = []
    examples = itertools.islice(subjects(which, checkpoint), limit)
    counted = 0
    for index, (_, subject, around) in enumerate(tqdm(examples, total=limit, disable=quiet)):
        found = explain(subject, layer=0, head=0, steps=steps)
        correlation = found.correlation
        for short, name in METHOD_ROWS.items():
            if name not in found.rows:  # flow beyond its token limit
                continue
            measured = faithfulness(subject, found.rows[name])
            rows[short].add(index, measured.comprehensiveness, measured.sufficiency,
                            measured.probability)  # fmt: skip
            if name in correlation and np.isfinite(correlation[name]):
                rows[short].spearman.append(correlation[name])
        draws = [
            faithfulness(subject, random_scores(subject, seed)) for seed in range(RANDOM_SEEDS)
        ]
        rows["random"].add(
            index,
            np.mean([d.comprehensiveness for d in draws], axis=0),
            np.mean([d.sufficiency for d in draws], axis=0),
            draws[0].probability,
        )
        prior = faithfulness(subject, modelfree_scores(subject, around))
        rows["modelfree"].add(index, prior.comprehensiveness, prior.sufficiency, prior.probability)
        if found.steps is not None and found.relative_delta is not None:
            steps_taken.append(found.steps)
            errors.append(found.relative_delta)
        counted += 1
    if errors:
        print(f"integrated gradients: median steps {np.median(steps_taken):.0f} (from {steps}), "
              f"largest |delta|/|f(x)-f(b)| {max(errors):.2e}")  # fmt: skip
    return rows, counted


def report(which: str, rows: dict[str, Row], counted: int) -> str:
    """The table, what it can and cannot tell apart, and the last line."""
    percents = " ".join(f"{int(100 * f):>5d}%" for f in FRACTIONS)
    print(
        f"{counted} held-out {which} examples; removed = replaced by the mask (or unknown) "
        "token, with what the model reads of it; higher comprehensiveness and lower "
        "sufficiency are more faithful; [ ] 95% bootstrap intervals over the examples"
    )
    print(f"{'method':10s} {'n':>4s}  comprehensiveness {percents}  AOPC {'interval':>15s} "
          f"/p(x) | sufficiency {percents}  AOPC {'interval':>15s} | vs modelfree "
          f"{'interval':>17s} | Spearman")  # fmt: skip
    won: list[str] = []
    sufficient: list[str] = []
    aopc: dict[str, float] = {}
    for short, row in rows.items():
        if not row.comprehensiveness:
            continue
        comp = np.array(list(row.comprehensiveness.values()))
        suff = np.array(list(row.sufficiency.values()))
        aopc[short] = float(comp.mean())
        c_low, c_high = interval(comp.mean(axis=1))
        s_low, s_high = interval(suff.mean(axis=1))
        normalised = np.nanmean(list(row.normalised.values()))
        if short == "modelfree":
            versus = f"{'':12s}{'':18s}"
        else:
            difference, (low, high) = beats(row, rows["modelfree"])
            versus = f"{difference:+.3f}      [{low:+.3f}, {high:+.3f}]"
            if short in METHOD_ROWS and low > 0:
                won.append(short)
            if short in METHOD_ROWS and beats(row, rows["modelfree"], "sufficiency")[1][1] < 0:
                sufficient.append(short)  # lower sufficiency: the top tokens alone suffice
        rho = f"{np.mean(row.spearman):.3f}" if row.spearman else "-"
        print(
            f"{short:10s} {len(comp):4d}  {'':17s} "
            + " ".join(f"{v:6.3f}" for v in comp.mean(axis=0))
            + f" {comp.mean():5.3f} [{c_low:.3f}, {c_high:.3f}] {normalised:5.3f} | {'':11s} "
            + " ".join(f"{v:6.3f}" for v in suff.mean(axis=0))
            + f" {suff.mean():5.3f} [{s_low:.3f}, {s_high:.3f}] | {versus} | {rho}"
        )
    print(f"beat modelfree on sufficiency (lower, interval below 0): "
          f"{', '.join(sufficient) or 'none'}")  # fmt: skip
    if not won:
        print(
            f"faithfulness {which}: no method's comprehensiveness beats the model-free "
            "ranking by more than the spread: this row does not tell the methods apart"
        )
    names = [*METHOD_ROWS, *BASELINES]
    return (
        f"faithfulness {which}: "
        + " ".join(f"{n} {aopc[n]:.3f}" if n in aopc else f"{n} -" for n in names)
        + f"; beat modelfree: {', '.join(won) or 'none'}"
    )


def evaluate(args: argparse.Namespace) -> str:
    rows, counted = measure(args.which, args.checkpoint, args.limit or 200, args.steps,
                            args.quiet)  # fmt: skip
    if not counted:
        raise SystemExit(f"faithfulness {args.which}: no example had anything to explain")
    return report(args.which, rows, counted)
