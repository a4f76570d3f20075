"""`python -m model.evaluate ner`: entity F1 of the shipped tagger on the held-out tenth of
WNUT-16."""

import argparse
from pathlib import Path

from tqdm import tqdm

from model.core.runtime import lazy


def evaluate(args: argparse.Namespace) -> str:
    from model.datasets.wnut import load_wnut, split_sentences
    from model.tasks.ner import NerTagger

    seqeval = lazy("seqeval.metrics")
    classification_report, f1_score = seqeval.classification_report, seqeval.f1_score

    tagger = NerTagger.load(Path(args.checkpoint)) if args.checkpoint else NerTagger.load()
    test = split_sentences(load_wnut())["test"][: args.limit or None]
    gold = [list(tags) for _, tags in test]
    predicted = [tagger.tag_words(words) for words, _ in tqdm(test, disable=args.quiet)]
    print(f"{len(test)} held-out WNUT-16 training sentences (seed 13)")
    print(classification_report(gold, predicted, digits=3, zero_division=0))
    return f"ner test F1: {100 * f1_score(gold, predicted):.1f}"
