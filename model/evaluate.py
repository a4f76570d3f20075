"""Scores on held-out data. The last line of each command is fixed (progress is read from it):

python -m model.evaluate translation   ->  translation test BLEU: X chrF: Y   (beam search)
python -m model.evaluate ner           ->  ner test F1: X
python -m model.evaluate qa            ->  qa test EM: X F1: Y handwritten EM: Z
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from tqdm import tqdm

HANDWRITTEN_QA = Path(__file__).resolve().parent.parent / "tests" / "data" / "qa_handwritten.json"


def evaluate_translation(args: argparse.Namespace) -> str:
    import sacrebleu

    from model.data import read_split
    from model.translation import OurTranslator

    translator = (
        OurTranslator.load(Path(args.checkpoint)) if args.checkpoint else OurTranslator.load()
    )
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


def evaluate_ner(args: argparse.Namespace) -> str:
    from seqeval.metrics import classification_report, f1_score

    from model.finetune import predict_ner
    from model.ner import NerTagger, load_wnut, split_sentences

    tagger = NerTagger.load(Path(args.checkpoint)) if args.checkpoint else NerTagger.load()
    test = split_sentences(load_wnut())["test"][: args.limit or None]
    gold = [list(tags) for _, tags in test]
    predicted = predict_ner(tagger.model, tagger.tokenizer, test)
    print(f"{len(test)} held-out WNUT-16 training sentences (seed 13)")
    print(classification_report(gold, predicted, digits=3, zero_division=0))
    return f"ner test F1: {100 * f1_score(gold, predicted):.1f}"


def load_handwritten() -> list[tuple[str, str, list[str]]]:
    data = json.loads(HANDWRITTEN_QA.read_text())
    return [
        (q["question"], item["context"], [q["answer"], *q.get("also", [])])
        for item in data["items"]
        for q in item["questions"]
    ]


def evaluate_qa(args: argparse.Namespace) -> str:
    from model.qa import QAReader, exact_match, f1_score
    from model.qa_data import generated_splits

    reader = QAReader.load(Path(args.checkpoint)) if args.checkpoint else QAReader.load()
    test = generated_splits()["test"][: args.limit or None]
    em = f1 = 0.0
    for example in tqdm(test, desc="generated", disable=args.quiet):
        answer = reader(example.question, example.context).answer
        if example.answer:
            right = exact_match(answer, [example.answer])
            f1 += f1_score(answer, [example.answer])
        else:  # a question the context cannot answer: right when the reader says so
            right = float(answer == "")
            f1 += right
        em += right
        if args.verbose and not right:
            print(
                f"MISS [{example.kind}] {example.question} -> {answer!r} (gold {example.answer!r})"
            )
    em, f1 = 100 * em / len(test), 100 * f1 / len(test)
    handwritten = load_handwritten()
    hand_em = 0.0
    for question, context, truths in handwritten:
        answer = reader(question, context).answer
        hand_em += exact_match(answer, truths)
        if args.verbose:
            mark = "ok " if exact_match(answer, truths) else "MISS"
            print(f"{mark} {question} -> {answer!r} (gold {truths[0]!r})")
    hand_em = 100 * hand_em / len(handwritten)
    print(f"generated test: {len(test)} questions; hand-written: {len(handwritten)} questions")
    return f"qa test EM: {em:.1f} F1: {f1:.1f} handwritten EM: {hand_em:.1f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m model.evaluate", description=__doc__)
    parser.add_argument("task", choices=("translation", "ner", "qa"))
    parser.add_argument("--checkpoint", default="", help="a checkpoint folder (default: shipped)")
    parser.add_argument("--limit", type=int, default=0, help="evaluate the first N examples")
    parser.add_argument("--beam", type=int, default=4)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    task = {"translation": evaluate_translation, "ner": evaluate_ner, "qa": evaluate_qa}
    print(task[args.task](args))


if __name__ == "__main__":
    main()
