"""Score the shipped models on held-out data (a subcommand per task; `--help` on each).
The last line of each command is fixed (progress is read from it):

    python -m model.evaluate translation   ->  translation test BLEU: X chrF: Y   (beam search)
    python -m model.evaluate translation --set everyday
        ->  translation everyday BLEU: X chrF: Y apertium BLEU: A chrF: B
    python -m model.evaluate ner           ->  ner test F1: X
    python -m model.evaluate qa            ->  qa test EM: X F1: Y handwritten EM: Z
    python -m model.evaluate anatomy       ->  anatomy recompute max abs error: X over N blocks
    python -m model.evaluate faithfulness qa
        ->  faithfulness qa: attention X rollout Y flow Z gradxinput W ig V occlusion O
            random R modelfree M; beat modelfree: <methods>
    python -m model.evaluate patching
        ->  patching: N models checked, full patch error X, head patch recompute max abs error Y

Every score is computed with the decoder the app shows (`translate`, `tag_words`, `answer`).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from model.core.runtime import lazy


def evaluate_translation(args: argparse.Namespace) -> str:
    from model.tasks.translation import OurTranslator

    sacrebleu = lazy("sacrebleu")

    translator = (
        OurTranslator.load(Path(args.checkpoint)) if args.checkpoint else OurTranslator.load()
    )
    if args.set == "everyday":
        return evaluate_everyday(translator, args)
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


def evaluate_everyday(translator: Any, args: argparse.Namespace) -> str:
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


def evaluate_ner(args: argparse.Namespace) -> str:
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


def evaluate_qa(args: argparse.Namespace) -> str:
    from model.datasets.qa_generator import generated_splits
    from model.datasets.qa_handwritten import handwritten_questions
    from model.tasks.qa import QAReader, answer_em, answer_f1

    reader = QAReader.load(Path(args.checkpoint)) if args.checkpoint else QAReader.load()
    if args.framework == "both":
        return qa_parity(reader, args)
    if args.framework == "tensorflow":
        from model.tasks.qa_tf import TFQAReader

        reader = TFQAReader.from_pytorch(reader)
    test = generated_splits()["test"][: args.limit or None]
    em = f1 = 0.0
    for example in tqdm(test, desc="generated", disable=args.quiet):
        answer = reader.answer(example.question, example.context)
        right = answer_em(answer, [example.answer])  # no gold answer: right when it says none
        em += right
        f1 += answer_f1(answer, [example.answer])
        if args.verbose and not right:
            print(
                f"MISS [{example.kind}] {example.question} -> {answer!r} (gold {example.answer!r})"
            )
    em, f1 = 100 * em / len(test), 100 * f1 / len(test)
    handwritten = handwritten_questions()
    hand_em = 0.0
    for question, context, truths in handwritten:
        answer = reader.answer(question, context)
        right = answer_em(answer, truths)
        hand_em += right
        if args.verbose:
            mark = "ok " if right else "MISS"
            print(f"{mark} {question} -> {answer!r} (gold {truths[0]!r})")
    hand_em = 100 * hand_em / len(handwritten)
    print(
        f"generated test: {len(test)} questions; hand-written: {len(handwritten)} questions; "
        f"{reader.framework}"
    )
    return f"qa test EM: {em:.1f} F1: {f1:.1f} handwritten EM: {hand_em:.1f}"


PARITY_GENERATED = 200  # generated test questions the parity check reads, beside the hand-written


def qa_parity(reader: Any, args: argparse.Namespace) -> str:
    """The same questions read in both frameworks: the largest start or end logit difference
    over every window, the largest attention difference, and whether every answer is the
    same (the hand-written set and the first 200 generated test questions)."""
    import numpy as np

    from model.datasets.qa_generator import generated_splits
    from model.datasets.qa_handwritten import handwritten_questions
    from model.tasks.qa_tf import TFQAReader, compare

    tf_reader = TFQAReader.from_pytorch(reader)
    questions = [(q, c) for q, c, _ in handwritten_questions()] + [
        (e.question, e.context)
        for e in generated_splits()["test"][: args.limit or PARITY_GENERATED]
    ]
    logits = attention = 0.0
    same = 0
    for question, context in tqdm(questions, desc="pytorch vs tensorflow", disable=args.quiet):
        found = compare(reader, tf_reader, question, context)
        window_pairs = zip(
            reader._read(question, context, 0.1, 0, 384, 128).logits,
            tf_reader._read(question, context, 0.1, 0, 384, 128).logits,
            strict=True,
        )
        for (a_start, a_end), (b_start, b_end) in window_pairs:
            logits = max(logits, float(np.abs((a_start - b_start).numpy()).max()),
                         float(np.abs((a_end - b_end).numpy()).max()))  # fmt: skip
        attention = max(attention, found.attention)
        same += found.same_answer
    print(f"max abs attention difference {attention:.2e} over every layer and head")
    return (
        f"qa tensorflow vs pytorch: max abs logit difference {logits:.2e}, answers equal "
        f"{same} of {len(questions)}"
    )


ANATOMY_SENTENCES = (
    "The cat drinks milk from a bowl.",
    "I would like a cup of coffee.",
    "Our neighbours have two dogs and three cats.",
    "The children are playing in the garden.",
)
ANATOMY_TOLERANCE = 1e-5


def evaluate_anatomy(args: argparse.Namespace) -> str:
    """Every number Inside the Transformer shows, recomputed from the parameters: our
    translator (greedy decoding, and beam search of 2 to 5 beams) and MiniLM."""
    from model.analysis.anatomy import bert_anatomy, translator_anatomy
    from model.analysis.recompute import Check, recompute
    from model.hf.encoding import encode
    from model.hf.loading import load_bert
    from model.tasks.translation import OurTranslator

    translator = (
        OurTranslator.load(Path(args.checkpoint)) if args.checkpoint else OurTranslator.load()
    )
    bert, tokenizer = load_bert()
    sentences = ANATOMY_SENTENCES[: args.limit or None]
    checks: dict[str, list[Check]] = {}
    blocks = 0
    for index, sentence in enumerate(sentences):
        beams = 2 + index % 4  # 2, 3, 4, 5
        runs = {
            "translator": recompute(
                translator.model, translator_anatomy(translator, sentence, beams)
            ),
            "MiniLM": recompute(bert, bert_anatomy(bert, encode(tokenizer, sentence))),
        }
        for model_name, run in runs.items():
            blocks += run.blocks
            for check in run.checks:
                checks.setdefault(f"{model_name}: {check.name}", []).append(check)
    worst, failed = 0.0, []
    for name, found in checks.items():
        error = max(c.error for c in found)
        count = sum(c.instances for c in found)
        ok = all(c.ok for c in found) and error <= ANATOMY_TOLERANCE
        worst = max(worst, error)
        if not ok:
            failed.append(name)
        print(f"{'ok  ' if ok else 'FAIL'} {name:45s} {count:5d} checked  max error {error:.2e}")
    print(f"{len(sentences)} sentences; tolerance {ANATOMY_TOLERANCE:g}")
    if failed:
        print(f"failed: {', '.join(failed)}")
        raise SystemExit(f"anatomy recompute max abs error: {worst:.2e} over {blocks} blocks")
    return f"anatomy recompute max abs error: {worst:.2e} over {blocks} blocks"


def evaluate_families(args: argparse.Namespace) -> str:
    """Every supported Hugging Face family, on tiny random models built here, as checkpoints
    are released: float32, float16 and bfloat16, with a sliding window shorter than the text
    where the family has one, and a padded vocabulary. Each: a forward pass and a 5-step
    generation captured, checked against output_attentions and recomputed from the captured
    Q, K and mask (model.hf.family_check)."""
    import torch

    from model.hf.families import FAMILIES
    from model.hf.family_check import GENERATION_TOLERANCE, TOLERANCE, report

    families = FAMILIES[: args.limit or None]
    passed, full, half = 0, 0.0, 0.0
    for family in families:
        try:
            found = report(family)
        except Exception as error:  # a family that cannot even run is a failure to report
            print(f"FAIL {family.name:11s} {type(error).__name__}: {str(error)[:120]}")
            continue
        passed += found.ok
        full = max(full, found.worst(torch.float32, torch.float16))
        half = max(half, found.worst(torch.bfloat16))
        errors = "  ".join(
            f"{str(dtype).removeprefix('torch.')} {found.worst(dtype):.1e}" for dtype in TOLERANCE
        )
        window = f"window {'yes' if family.window else '-':3s}"
        padded = {None: "-", True: "named", False: "FAILED"}[found.padded]
        print(
            f"{'ok  ' if found.ok else 'FAIL'} {family.name:11s} {family.kind:8s} "
            f"{found.records:4d} calls  {errors}  {window}  padded ids {padded}"
        )
    print(
        "errors: the worst of parity with output_attentions, the recomputation and the "
        "generation steps; tolerance "
        + ", ".join(f"{str(d).removeprefix('torch.')} {t:g}" for d, t in TOLERANCE.items())
        + f" (a float16 generation's steps: {GENERATION_TOLERANCE[torch.float16]:g}, its last "
        "place)"
    )
    line = (
        f"families captured: {passed} of {len(families)}, max abs error: {full:.2e} "
        f"(float32, float16), {half:.2e} (bfloat16)"
    )
    if passed < len(families):
        raise SystemExit(line)
    return line


def evaluate_faithfulness(args: argparse.Namespace) -> str:
    """Every explanation's faithfulness beside a random and a model-free ranking
    (model/evaluation/faithfulness.py)."""
    from model.evaluation.faithfulness import evaluate

    return evaluate(args)


PATCHING_TOLERANCE = 1e-5


def patching_experiments(args: argparse.Namespace) -> Any:
    """(name, Experiment) for the shipped models and a tiny model of every generative family:
    a clean input against one with a word (or a token) swapped. With --limit N: the first N
    generative families only (a quick check)."""
    import torch

    from model.core.hooks import Stack
    from model.core.instrument import instrument
    from model.core.patching import Experiment
    from model.hf.families import FAMILIES

    if not args.limit:
        from model.tasks.ner import NerTagger
        from model.tasks.qa import QAReader
        from model.tasks.translation import OurTranslator

        translator = OurTranslator.load()
        result = translator.translate("The cat sleeps in the garden.")
        yield "translator", translator.patching(result, "The dog sleeps in the garden.", 1)
        tagger = NerTagger.load()
        tagged = tagger("Going to see Taylor Swift at Madison Square Garden tonight")
        yield (
            "MiniLM + NER",
            tagger.patching(
                tagged, tagged.entities[0], "Going to see it Swift at Madison Square Garden tonight"
            ),
        )
        reader = QAReader.load()
        question = "Where is Mary?"
        read = reader(question, "Mary is in the garden and John is in the kitchen.")
        yield (
            "MiniLM + QA",
            reader.patching(read, question, "John is in the garden and Mary is in the kitchen."),
        )
    # every inner token differs: some tiny random models (BART's kin) barely move with one
    clean, corrupted = (
        torch.tensor([[5, 17, 33, 8, 41, 60, 2]]),
        torch.tensor([[5, 70, 71, 72, 73, 74, 2]]),
    )
    generative = [f for f in FAMILIES if f.kind != "encoder"]
    for family in generative[: args.limit or None]:
        model = instrument(family.tiny())
        extra = (
            {"decoder_input_ids": torch.tensor([[1, 9, 12]])} if family.kind == "seq2seq" else {}
        )
        with torch.no_grad():
            said = model(input_ids=clean, **extra).logits[0, -1].double()
            moved = said - model(input_ids=corrupted, **extra).logits[0, -1].double()
        right = int(said.argmax())
        moved[right] = float("inf")  # against the token the corruption raised most
        wrong = int(moved.argmin())

        def metric(output: Any, right: int = right, wrong: int = wrong) -> float:
            return float(output.logits[0, -1, right] - output.logits[0, -1, wrong])

        def run(inputs: Any, model: Any = model) -> Any:
            return model(**inputs)

        stack: Stack = "encoder" if family.kind == "seq2seq" else "decoder"
        yield family.name, Experiment(
            model, run, {"input_ids": clean, **extra}, {"input_ids": corrupted, **extra}, metric,
            tuple(str(i) for i in clean[0].tolist()), "next token", stack,
        )  # fmt: skip


def evaluate_patching(args: argparse.Namespace) -> str:
    """Activation patching, checked: patching the whole input restores the clean answer
    exactly (effect 1), and every head's effect equals a re-run with plain PyTorch hooks that
    swap that head's slice of W_O's input."""
    from model.core.patching import Where, head_effect_by_hand, prepare, whole_input

    worst_full = worst_head = 0.0
    checked = 0
    for name, experiment in patching_experiments(args):
        runs = prepare(experiment)
        full = abs(whole_input(runs) - 1.0)
        heads = 0
        head_error = 0.0
        for stack in runs.capture.stacks:  # one run per head: the maps batch them
            key = next(k for k in runs.clean.values if k[:3] == ("heads", stack, 0))
            d_head = runs.clean.values[key].shape[-1]
            for layer in range(runs.capture.n_layers(stack)):
                for head in range(runs.capture.n_heads(stack)):
                    found = runs.effect(Where("heads", stack, layer, head=head))
                    by_hand = head_effect_by_hand(runs, stack, layer, head, d_head)
                    head_error = max(head_error, abs(by_hand - found))
                    heads += 1
        checked += 1
        worst_full, worst_head = max(worst_full, full), max(worst_head, head_error)
        ok = full <= PATCHING_TOLERANCE and head_error <= PATCHING_TOLERANCE
        print(f"{'ok  ' if ok else 'FAIL'} {name:28s} full patch error {full:.1e}, "
              f"{heads:3d} heads recomputed, max error {head_error:.1e}")  # fmt: skip
    line = (
        f"patching: {checked} models checked, full patch error {worst_full:.2e}, "
        f"head patch recompute max abs error {worst_head:.2e}"
    )
    if max(worst_full, worst_head) > PATCHING_TOLERANCE:
        raise SystemExit(line)
    return line


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m model.evaluate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = root.add_subparsers(dest="task", required=True, metavar="TASK")
    what = {
        "translation": "BLEU and chrF on the 1,918 held-out corpus pairs, greedy and beam",
        "ner": "entity F1 on the held-out tenth of WNUT-16",
        "qa": "exact match and F1 on generated questions, exact match on the hand-written set",
        "anatomy": "recompute every number Inside the Transformer shows from the parameters",
        "families": "capture on a tiny model of every supported Hugging Face family, checked",
        "faithfulness": "comprehensiveness and sufficiency of every explanation, held out",
        "patching": "activation patching checked on our models and every generative family",
    }
    for task, description in what.items():
        cmd = sub.add_parser(task, help=description, description=description)
        cmd.add_argument("--checkpoint", default="", help="a checkpoint folder (default: shipped)")
        cmd.add_argument(
            "--limit", type=int, default=0,
            help="evaluate the first N examples (faithfulness: N explained, default 200)",
        )  # fmt: skip
        cmd.add_argument("--quiet", action="store_true", help="no progress bar")
        if task == "translation":
            cmd.add_argument("--beam", type=int, default=4, help="beams of the beam search")
            cmd.add_argument(
                "--set",
                choices=("test", "everyday"),
                default="test",
                help="the held-out corpus pairs, or the hand-written everyday sentences "
                "(scored beside Apertium)",
            )
        if task == "qa":
            cmd.add_argument("--verbose", action="store_true", help="list every miss")
            cmd.add_argument(
                "--framework", choices=("pytorch", "tensorflow", "both"), default="pytorch",
                help="run the model in PyTorch, in TensorFlow (model/tf/), or both and compare "
                "them (the parity line)",
            )  # fmt: skip
        if task == "faithfulness":
            cmd.add_argument("which", choices=("ner", "qa", "translation"))
            cmd.add_argument(
                "--steps",
                type=int,
                default=32,
                help="integrated gradients' first steps (doubled until converged)",
            )
    return root


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    task = {
        "translation": evaluate_translation,
        "ner": evaluate_ner,
        "qa": evaluate_qa,
        "anatomy": evaluate_anatomy,
        "families": evaluate_families,
        "faithfulness": evaluate_faithfulness,
        "patching": evaluate_patching,
    }
    print(task[args.task](args))


if __name__ == "__main__":
    main()
