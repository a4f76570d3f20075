"""`python -m model.evaluate qa`: exact match and F1 of the shipped reader on generated and
hand-written questions, in PyTorch, TensorFlow or both (the parity line)."""

import argparse
from pathlib import Path
from typing import Any

from tqdm import tqdm


def evaluate(args: argparse.Namespace) -> str:
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
