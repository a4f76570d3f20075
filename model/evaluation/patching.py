"""`python -m model.evaluate patching`: activation patching checked on our models and every
generative family: a full patch restores the clean run, each head's effect recomputed by hand."""

import argparse
from typing import Any

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


def evaluate(args: argparse.Namespace) -> str:
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
