"""Train the shipped models (one command, a subcommand per model; `--help` on each).

    python -m model.train translation [--minutes 55] [--bf16] [--tiny]   our transformer
    python -m model.train ner [--epochs 12] [--tiny]                     MiniLM + LoRA, WNUT-16
    python -m model.train qa [--epochs 4] [--tiny]                       MiniLM + LoRA, generated QA
    python -m model.train average STEP.safetensors ... --like RUN --out DIR

The training code itself is in model/training/; this file only reads the command line.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from model.tasks import ner as ner_task
from model.tasks import qa as qa_task
from model.training.average import average_files
from model.training.loop import FinetuneConfig
from model.training.ner import train_ner
from model.training.qa import train_qa
from model.training.translation import MAX_TOKENS, TranslationConfig, train_translation

TASK_EPOCHS = {"ner": 12, "qa": 4}


def _translation_parser(sub: argparse._SubParsersAction) -> None:
    tr = sub.add_parser(
        "translation",
        help="train the English -> Spanish transformer from scratch",
        description="Train our encoder-decoder on data/translation/ (the best checkpoint by "
        "validation loss is kept).",
    )
    tr.add_argument("--minutes", type=float, default=55.0, help="wall-clock budget")
    tr.add_argument("--epochs", type=int, default=100)
    tr.add_argument("--max-steps", type=int, default=0, help="stop after N steps (0: no limit)")
    tr.add_argument("--d-model", type=int, default=256)
    tr.add_argument("--heads", type=int, default=4)
    tr.add_argument("--layers", type=int, default=3, help="encoder layers, and decoder layers")
    tr.add_argument("--vocab", type=int, default=8000, help="BPE vocabulary size")
    tr.add_argument("--max-len", type=int, default=96, help="tokens per sentence at most")
    tr.add_argument(
        "--max-tokens", type=int, default=MAX_TOKENS, help="source + target tokens per batch"
    )
    tr.add_argument("--warmup", type=int, default=1000, help="warm-up steps of the schedule")
    tr.add_argument("--lr-factor", type=float, default=1.0, help="scales the paper's schedule")
    tr.add_argument("--smoothing", type=float, default=0.1, help="label smoothing")
    tr.add_argument(
        "--dropout",
        type=float,
        default=None,
        help="dropout while training (default 0.1, or the resumed run's); on a CPU, drawing the "
        "dropout masks takes about a third of each step",
    )
    tr.add_argument(
        "--bf16",
        action="store_true",
        help="autocast to bfloat16 (bench/train_step.py: 1.2x faster a step on a CPU with AMX)",
    )
    tr.add_argument("--validate-every", type=int, default=300, help="steps between validations")
    tr.add_argument("--seed", type=int, default=13)
    tr.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), default="auto", help="auto: cuda if present"
    )
    tr.add_argument("--out", type=Path, default=TranslationConfig.out)
    tr.add_argument("--tiny", action="store_true", help="a smoke run on a slice of the data")
    tr.add_argument("--resume", default="", help="continue training the checkpoint in this folder")
    tr.add_argument("--quiet", action="store_true", help="no progress bar")
    tr.add_argument(
        "--everyday",
        type=int,
        default=0,
        help="add N generated everyday sentence pairs to the training split "
        "(python -m model.datasets.sentences)",
    )
    tr.add_argument(
        "--snapshots",
        default="",
        help="also keep the weights of every validation here (to average them: "
        "python -m model.train average)",
    )


def _finetune_parser(sub: argparse._SubParsersAction, task: str, what: str, out: Path) -> None:
    ft = sub.add_parser(
        task,
        help=f"fine-tune MiniLM for {what} (LoRA adapter)",
        description=f"Fine-tune the packaged MiniLM for {what} with a LoRA adapter; the epoch "
        "with the best validation score is kept.",
    )
    ft.add_argument(
        "--epochs", type=int, default=0, help=f"default {TASK_EPOCHS[task]} (1 with --tiny)"
    )
    ft.add_argument("--minutes", type=float, default=25.0, help="wall-clock budget")
    ft.add_argument("--lr", type=float, default=1e-3)
    ft.add_argument("--rank", type=int, default=16, help="LoRA rank")
    ft.add_argument("--batch-size", type=int, default=16)
    ft.add_argument("--seed", type=int, default=13)
    ft.add_argument("--out", type=Path, default=out)
    ft.add_argument("--tiny", action="store_true", help="a smoke run on a slice of the data")
    ft.add_argument("--resume", default="", help="continue the adapter in this folder")
    ft.add_argument("--quiet", action="store_true", help="no progress bar")
    if task == "ner":
        ft.add_argument(
            "--no-casing",
            dest="casing",
            action="store_false",
            help="do not give the uncased model each word's casing (model/tasks/ner.py)",
        )


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m model.train",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _translation_parser(sub)
    _finetune_parser(sub, "ner", "named entities on WNUT-16", ner_task.CHECKPOINT_DIR)
    _finetune_parser(sub, "qa", "extractive QA on generated data", qa_task.CHECKPOINT_DIR)
    av = sub.add_parser(
        "average",
        help="average translation checkpoints (as the paper's base models)",
        description="Average weights files written with --snapshots into one checkpoint.",
    )
    av.add_argument("weights", nargs="+", type=Path, help="model.safetensors files to average")
    av.add_argument("--like", type=Path, required=True, help="folder with config and tokenizer")
    av.add_argument("--out", type=Path, required=True)
    return root


def main(argv: list[str] | None = None) -> None:
    args = vars(parser().parse_args(argv))
    command = args.pop("command")
    if command == "translation":
        train_translation(TranslationConfig(**args))
    elif command == "average":
        record = average_files(args["weights"], args["like"], args["out"])
        print(
            f"averaged {len(args['weights'])} checkpoints into {args['out']}: validation loss "
            f"{record['best_valid_loss']:.4f}"
        )
    else:
        args["epochs"] = args["epochs"] or (1 if args["tiny"] else TASK_EPOCHS[command])
        train = train_ner if command == "ner" else train_qa
        summary = train(FinetuneConfig(**args))
        print(f"{command}: best validation {summary['best_valid']:.2f} in {summary['minutes']} min")


if __name__ == "__main__":
    main()
