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
Each subcommand is a module of model/evaluation/ with an `evaluate(args)` that returns the
last line; this module is the command line.
"""

from __future__ import annotations

import argparse
import importlib


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
    # Each task's module (model/evaluation/), imported when run: `--help` loads none of them.
    task = importlib.import_module(f"model.evaluation.{args.task}")
    print(task.evaluate(args))


if __name__ == "__main__":
    main()
