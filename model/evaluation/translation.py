"""`python -m model.evaluate translation`: BLEU and chrF of the shipped translator on the
held-out corpus pairs (greedy and beam), or on the everyday sentences beside Apertium."""

import argparse
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from model.core.runtime import lazy


def evaluate(args: argparse.Namespace) -> str:
    from model.tasks.translation import OurTranslator

    sacrebleu = lazy("sacrebleu")

    translator = (
        OurTranslator.load(Path(args.checkpoint)) if args.checkpoint else OurTranslator.load()
    )
    if args.set == "everyday":
        return everyday(translator, args)
    from model.datasets.corpus import read_split

    test = read_split("test")[: args.limit or None]
    references = [[p.spanish for p in test]]
    scores = {}
    for name, beam in (("greedy", 1), ("beam", args.beam)):
        start = time.monotonic()
        outputs = [
            translator.translate(p.english, beam=beam).text
            for p in tqdm(test, desc=name, disable=args.quiet)
        ]
        seconds = time.monotonic() - start
        bleu = sacrebleu.corpus_bleu(outputs, references)
        chrf = sacrebleu.corpus_chrf(outputs, references)
        scores[name] = (bleu.score, chrf.score)
        print(
            f"{name} (beam={beam}): BLEU {bleu.score:.1f}  chrF {chrf.score:.1f}  "
            f"{len(test)} sentences in {seconds:.0f} s"
        )
    beam_bleu, beam_chrf = scores["beam"]
    return f"translation test BLEU: {beam_bleu:.1f} chrF: {beam_chrf:.1f}"


def everyday(translator: Any, args: argparse.Namespace) -> str:
    """The hand-written everyday set (data/everyday), ours (beam search) beside Apertium, the
    teacher (`apertium -u eng-spa`), per kind of sentence and overall; and the share of
    outputs, for the set as typed and in capitals, that repeat a 3-gram the source does not."""
    from model.datasets.corpus import apertium_translate
    from model.datasets.everyday import KINDS, everyday_test, repeats_a_trigram

    sacrebleu = lazy("sacrebleu")

    pairs = everyday_test()[: args.limit or None]
    english = [p.english for p in pairs]
    ours = [
        translator.translate(s, beam=args.beam).text
        for s in tqdm(english, desc="ours", disable=args.quiet)
    ]
    shouted = [
        translator.translate(s.upper(), beam=args.beam).text
        for s in tqdm(english, desc="ours, in capitals", disable=args.quiet)
    ]
    teacher = apertium_translate(english, marks=False, quiet=True)
    scored = {}
    for name, outputs in (("ours", ours), ("apertium", teacher)):
        scored[name] = (
            sacrebleu.corpus_bleu(outputs, [[p.spanish for p in pairs]]).score,
            sacrebleu.corpus_chrf(outputs, [[p.spanish for p in pairs]]).score,
        )
    print(f"{'kind':10s} {'n':>4s}  {'ours BLEU':>9s}  {'apertium BLEU':>13s}")
    for kind in KINDS:
        index = [i for i, p in enumerate(pairs) if p.kind == kind]
        if not index:
            continue
        refs = [[pairs[i].spanish for i in index]]
        mine = sacrebleu.corpus_bleu([ours[i] for i in index], refs).score
        theirs = sacrebleu.corpus_bleu([teacher[i] for i in index], refs).score
        print(f"{kind:10s} {len(index):4d}  {mine:9.1f}  {theirs:13.1f}")
    for label, outputs, sources in (("as typed", ours, english), ("in capitals", shouted, english)):
        looping = sum(repeats_a_trigram(s, o) for s, o in zip(sources, outputs, strict=True))
        print(
            f"outputs repeating a 3-gram the source does not ({label}): {looping} of {len(pairs)}"
        )
    same = sum(a.lower() == b.lower() for a, b in zip(ours, shouted, strict=True))
    print(f"the same words in capitals as typed: {same} of {len(pairs)}")
    (bleu, chrf), (a_bleu, a_chrf) = scored["ours"], scored["apertium"]
    return (
        f"translation everyday BLEU: {bleu:.1f} chrF: {chrf:.1f} "
        f"apertium BLEU: {a_bleu:.1f} chrF: {a_chrf:.1f}"
    )
