"""`python -m model.evaluate anatomy`: every number Inside the Transformer shows, recomputed
from the parameters."""

import argparse
from pathlib import Path

ANATOMY_SENTENCES = (
    "The cat drinks milk from a bowl.",
    "I would like a cup of coffee.",
    "Our neighbours have two dogs and three cats.",
    "The children are playing in the garden.",
)
ANATOMY_TOLERANCE = 1e-5


def evaluate(args: argparse.Namespace) -> str:
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
