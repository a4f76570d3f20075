"""Fine-tune the packaged MiniLM for NER and extractive QA with LoRA adapters.

    python -m model.train ner [--epochs N] [--minutes M] [--tiny]
    python -m model.train qa  [--epochs N] [--minutes M] [--tiny]

Only the adapters and the task head are trained and saved (checkpoints/<task>/);
the base weights stay in the package. The best epoch by validation score is kept.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from model.bert import minilm_path
from model.deltas import DELTAS, META, save_deltas, train_top_layers
from model.ner import (
    CASING_MODULE,
    CHECKPOINT_DIR,
    LABELS,
    NerTagger,
    add_casing,
    bio_decode,
    casing_ids,
    load_wnut,
    replace_mentions,
    split_sentences,
    uses_casing,
)

LORA_TARGETS = ["query", "key", "value", "dense"]


def lora_model(
    model: Any, task_type: str, rank: int, resume: str = "", also_train: Sequence[str] = ()
) -> Any:
    """LoRA adapters on every attention and feed-forward projection, plus whole copies of the
    modules named in `also_train` (the task head is always one); with `resume`, the adapter
    saved in that folder, trainable, to continue from."""
    from peft import LoraConfig, PeftModel, get_peft_model

    if resume:
        model = PeftModel.from_pretrained(model, resume, is_trainable=True)
        config = model.peft_config["default"]  # peft appends the head's name again on each load
        config.modules_to_save = list(dict.fromkeys(config.modules_to_save or [])) or None
        return model

    config = LoraConfig(
        task_type=task_type,
        r=rank,
        lora_alpha=2 * rank,
        lora_dropout=0.1,
        target_modules=LORA_TARGETS,
        modules_to_save=list(also_train) or None,
    )
    return get_peft_model(model, config)


def batches(items: Sequence[Any], size: int, rng: random.Random | None) -> Iterator[list[Any]]:
    order = list(range(len(items)))
    if rng is not None:
        rng.shuffle(order)
    for start in range(0, len(order), size):
        yield [items[i] for i in order[start : start + size]]


def fit(
    model: Any,
    train: Sequence[Any],
    collate: Callable[[list[Any]], dict[str, torch.Tensor]],
    score: Callable[[Any], float],
    out_dir: Path,
    args: argparse.Namespace,
    save: Callable[[Any, Path], None] | None = None,
    loss_of: Callable[[Any, dict[str, torch.Tensor]], torch.Tensor] | None = None,
) -> dict[str, Any]:
    """AdamW with linear warm-up and decay; validate after each epoch; keep the best model
    (`save`; by default the adapter's save_pretrained). With `args.ema` (a decay such as
    0.99), the model validated and kept is an exponential moving average of the weights
    over the steps, which varies less from epoch to epoch than the weights themselves. The
    loss is the model's own unless `loss_of(model, batch)` is given."""
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    steps_per_epoch = math.ceil(len(train) / args.batch_size)
    total = steps_per_epoch * args.epochs
    warmup = max(1, int(0.06 * total))
    optimiser = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.01
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup)))
    )
    ema = None
    if args.ema:  # validate and keep an exponential moving average instead
        from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

        ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(args.ema))
        ema.update_parameters(model)  # the first update copies: the average starts here
    deadline = time.monotonic() + 60 * args.minutes
    start = time.monotonic()
    best, history = -1.0, []
    for epoch in range(1, args.epochs + 1):
        model.train()
        bar = tqdm(
            list(batches(train, args.batch_size, rng)), desc=f"epoch {epoch}", disable=args.quiet
        )
        for batch in bar:
            inputs = collate(batch)
            loss = model(**inputs).loss if loss_of is None else loss_of(model, inputs)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            scheduler.step()
            if ema is not None:
                ema.update_parameters(model)
            bar.set_postfix(loss=f"{loss.item():.4f}")
        kept: Any = model if ema is None else ema.module
        kept.eval()
        value = score(kept)
        history.append({"epoch": epoch, "valid": round(value, 4)})
        if value > best:
            best = value
            if save is None:
                kept.save_pretrained(str(out_dir))
            else:
                save(kept, out_dir)
        tqdm.write(f"epoch {epoch}: validation {value:.2f} (best {best:.2f})")
        if time.monotonic() > deadline:
            tqdm.write("time budget reached")
            break
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    summary = {
        "minutes": round((time.monotonic() - start) / 60, 1),
        "best_valid": round(best, 4),
        "trainable_parameters": trainable,
        "train_examples": len(train),
        "arguments": vars(args),
        "history": history,
    }
    (out_dir / "training.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return summary


# -- NER ------------------------------------------------------------------------------------
def ner_features(
    tokenizer: Any, sentences: Sequence[Any], label_ids: dict[str, int], casing: bool = False
) -> list[Any]:
    """Word pieces with the word's label on its first piece and -100 (ignored) elsewhere;
    with `casing`, each word's casing class as the pieces' token type ids."""
    features = []
    for words, tags in sentences:
        enc = tokenizer(list(words), is_split_into_words=True, truncation=True, max_length=128)
        labels, previous = [], None
        for word in enc.word_ids():
            labels.append(-100 if word is None or word == previous else label_ids[tags[word]])
            previous = word
        feature = {**enc, "labels": labels}
        if casing:
            feature["token_type_ids"] = casing_ids(words, enc.word_ids())
        features.append(feature)
    return features


def pad_collate(tokenizer: Any) -> Callable[[list[Any]], dict[str, torch.Tensor]]:
    def collate(batch: list[Any]) -> dict[str, torch.Tensor]:
        labels = [f["labels"] for f in batch]
        padded = tokenizer.pad(
            [{k: v for k, v in f.items() if k != "labels"} for f in batch], return_tensors="pt"
        )
        width = padded["input_ids"].shape[1]
        padded["labels"] = torch.tensor([lab + [-100] * (width - len(lab)) for lab in labels])
        return dict(padded)

    return collate


@torch.inference_mode()
def teacher_targets(
    teachers: Sequence[Any], features: Sequence[Any], collate: Callable[..., Any]
) -> list[list[list[float]]]:
    """For each feature, the teachers' mean label distribution at each labelled position
    (a word's first piece), in order."""
    targets: list[list[list[float]]] = []
    for batch in batches(features, 64, None):
        inputs = collate(batch)
        labels = inputs.pop("labels")
        probs = sum(teacher(**inputs).logits.softmax(-1) for teacher in teachers) / len(teachers)
        targets.extend(probs[row][labels[row] != -100].tolist() for row in range(len(batch)))
    return targets


def with_targets(collate: Callable[[list[Any]], dict[str, torch.Tensor]]) -> Callable[..., Any]:
    """A collate for features carrying teacher targets: the targets of the batch's labelled
    positions in row-major order, as (positions, labels)."""

    def wrapped(batch: list[Any]) -> dict[str, torch.Tensor]:
        inputs = collate([{k: v for k, v in f.items() if k != "targets"} for f in batch])
        inputs["targets"] = torch.tensor([row for f in batch for row in f["targets"]])
        return inputs

    return wrapped


def distillation_loss(weight: float) -> Callable[[Any, dict[str, torch.Tensor]], torch.Tensor]:
    """(1 - weight) x cross-entropy with the gold labels + weight x cross-entropy with the
    teachers' distributions, over the labelled positions (Hinton et al., 2015, temperature 1).
    With weight 0 it is the model's own token-classification loss."""

    def loss_of(model: Any, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        inputs = dict(inputs)
        targets, labels = inputs.pop("targets"), inputs.pop("labels")
        keep = labels != -100
        log_probs = model(**inputs).logits[keep].log_softmax(-1)
        gold = torch.nn.functional.nll_loss(log_probs, labels[keep])
        taught = -(targets * log_probs).sum(-1).mean()
        return (1 - weight) * gold + weight * taught

    return loss_of


@torch.inference_mode()
def predict_ner(model: Any, tokenizer: Any, sentences: Sequence[Any], batch_size: int = 64):
    """Predicted BIO tags per word, read from each word's first piece and decoded as the
    most probable valid BIO sequence (the runner's decoding)."""
    id2label = {int(k): v for k, v in model.config.id2label.items()}
    labels = [id2label[i] for i in range(len(id2label))]
    predictions = []
    for batch in batches(sentences, batch_size, None):
        words = [list(w) for w, _ in batch]
        enc = tokenizer(
            words,
            is_split_into_words=True,
            truncation=True,
            max_length=128,
            padding=True,
            return_tensors="pt",
        )
        if uses_casing(model):
            enc["token_type_ids"] = torch.tensor(  # word_ids cover the padding (None)
                [casing_ids(w, enc.word_ids(row)) for row, w in enumerate(words)]
            )
        logits = model(**{k: enc[k] for k in ("input_ids", "attention_mask", "token_type_ids")})
        log_probs = logits.logits.log_softmax(-1)  # (batch, seq, labels)
        for row in range(len(words)):
            firsts: dict[int, int] = {}  # word -> position of its first piece
            for pos, word in enumerate(enc.word_ids(row)):
                if word is not None:
                    firsts.setdefault(word, pos)
            chosen = bio_decode(log_probs[row, list(firsts.values())], labels)
            tags = ["O"] * len(words[row])  # words cut by truncation stay O
            for word, label in zip(firsts, chosen, strict=True):
                tags[word] = labels[label]
            predictions.append(tags)
    return predictions


def ner_f1(model: Any, tokenizer: Any, sentences: Sequence[Any]) -> float:
    from seqeval.metrics import f1_score

    gold = [list(tags) for _, tags in sentences]
    return 100 * f1_score(gold, predict_ner(model, tokenizer, sentences))


def train_ner(args: argparse.Namespace) -> dict[str, Any]:
    from transformers import AutoTokenizer, BertForTokenClassification

    splits = split_sentences(load_wnut())
    train, valid = splits["train"], splits["valid"]
    if args.tiny:
        train, valid = train[:64], valid[:32]
    train = train + [s for i in range(args.augment) for s in replace_mentions(train, seed=i)]
    tokenizer = AutoTokenizer.from_pretrained(minilm_path())
    label_ids = {label: i for i, label in enumerate(LABELS)}
    torch.manual_seed(args.seed)  # the new head's initial weights
    base = BertForTokenClassification.from_pretrained(
        minilm_path(),
        attn_implementation="eager",
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id=label_ids,
    )
    if args.casing:
        add_casing(base)
    whole = ["classifier", CASING_MODULE] if args.casing else ["classifier"]
    out_dir = Path(args.out or CHECKPOINT_DIR)
    out_dir.mkdir(parents=True, exist_ok=True)
    save: Callable[[Any, Path], None] | None = None
    if args.layers:  # whole top layers, saved as float16 differences from the base
        if args.resume:
            raise SystemExit("--resume continues a LoRA adapter; it cannot be used with --layers")
        start = train_top_layers(base, args.layers, whole)
        model = base

        def save(trained: Any, directory: Path) -> None:
            save_deltas(trained, start, directory, whole, casing=args.casing, layers=args.layers)

        stale = ["adapter_model.safetensors", "adapter_config.json"]
    else:
        casing = [CASING_MODULE] if args.casing else []  # peft adds the head itself
        model = lora_model(base, "TOKEN_CLS", args.rank, args.resume, casing)
        stale = [DELTAS, META]
    for name in stale:  # the loader must not find the other kind left by an earlier run
        (out_dir / name).unlink(missing_ok=True)
    features = ner_features(tokenizer, train, label_ids, casing=args.casing)
    collate: Callable[..., Any] = pad_collate(tokenizer)
    loss_of = None
    if args.teacher:  # distil the teachers' mean distribution into this model
        teachers = [NerTagger.load(Path(directory)).model for directory in args.teacher]
        if any(uses_casing(t) != args.casing for t in teachers):
            raise SystemExit("every --teacher must read casing as this run does (see --no-casing)")
        for feature, targets in zip(
            features, teacher_targets(teachers, features, collate), strict=True
        ):
            feature["targets"] = targets
        collate, loss_of = with_targets(collate), distillation_loss(args.teacher_weight)
    print(f"NER: {len(train)} training sentences, {len(valid)} validation")
    return fit(
        model,
        features,
        collate,
        lambda m: ner_f1(m, tokenizer, valid),
        out_dir,
        args,
        save,
        loss_of,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m model.train", description=__doc__)
    parser.add_argument("task", choices=("ner", "qa"))
    parser.add_argument("--epochs", type=int, default=0, help="0: the task's default")
    parser.add_argument("--minutes", type=float, default=25.0, help="wall-clock budget")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--rank", type=int, default=16, help="LoRA rank")
    parser.add_argument(
        "--augment",
        type=int,
        default=0,
        help="NER: add N copies of the training sentences with entity mentions swapped",
    )
    parser.add_argument(
        "--layers",
        type=int,
        default=0,
        help="NER: train the top N encoder layers whole instead of a LoRA adapter (0: LoRA)",
    )
    parser.add_argument(
        "--teacher",
        action="append",
        default=[],
        help="NER: a trained checkpoint folder to distil from (repeat for an ensemble)",
    )
    parser.add_argument(
        "--teacher-weight",
        type=float,
        default=0.5,
        help="NER: the share of the loss given to the teachers' distributions",
    )
    parser.add_argument(
        "--ema",
        type=float,
        default=0.0,
        help="validate and keep a moving average of the weights with this decay (0: off)",
    )
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", default="")
    parser.add_argument("--tiny", action="store_true", help="a smoke run on a slice of the data")
    parser.add_argument("--resume", default="", help="continue the adapter in this folder")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument(
        "--no-casing",
        dest="casing",
        action="store_false",
        help="NER: do not give the uncased model each word's casing (model/ner.py)",
    )
    args = parser.parse_args(argv)
    if args.task == "ner":
        args.epochs = args.epochs or (1 if args.tiny else 12)
        summary = train_ner(args)
    else:
        from model.qa_training import train_qa

        args.epochs = args.epochs or (1 if args.tiny else 4)
        summary = train_qa(args)
    print(f"{args.task}: best validation {summary['best_valid']:.2f} in {summary['minutes']} min")


def train_steps(
    model: Any,
    features: Sequence[Any],
    collate: Callable[[list[Any]], dict[str, torch.Tensor]],
    max_steps: int,
    max_seconds: float,
    on_step: Callable[[int, float], None] | None = None,
    lr: float = 1e-3,
    batch_size: int = 8,
    seed: int = 13,
) -> list[float]:
    """A short fine-tuning run with a cap on steps and on time (for data a user uploads)."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    deadline = time.monotonic() + max_seconds
    losses: list[float] = []
    model.train()
    while len(losses) < max_steps and time.monotonic() < deadline:
        for batch in batches(features, batch_size, rng):
            loss = model(**collate(batch)).loss
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
            if on_step is not None:
                on_step(len(losses), losses[-1])
            if len(losses) >= max_steps or time.monotonic() >= deadline:
                break
    model.eval()
    return losses


def finetune_copy(
    model: Any,
    tokenizer: Any,
    task: str,
    data: Sequence[Any],
    max_steps: int,
    max_seconds: float,
    on_step: Callable[[int, float], None] | None = None,
) -> tuple[Any, list[float], str]:
    """Fine-tune a copy of a shipped model on a user's examples; the shipped model is not
    touched. Returns the tuned model (adapter merged, instrumented), the losses, and a note.

    NER tags outside the model's label set get a fresh head on the packaged MiniLM.
    """
    import copy

    from transformers import BertForTokenClassification

    from model.capture import instrument

    note = "fine-tuned a copy of the shipped model"
    if task == "ner":
        tags = sorted({tag for _, sentence_tags in data for tag in sentence_tags})
        known = model.config.label2id
        if all(tag in known for tag in tags):
            base, label_ids = copy.deepcopy(model), dict(known)
        else:
            labels = ["O", *(t for t in tags if t != "O")]
            label_ids = {label: i for i, label in enumerate(labels)}
            base = BertForTokenClassification.from_pretrained(
                minilm_path(),
                attn_implementation="eager",
                num_labels=len(labels),
                id2label=dict(enumerate(labels)),
                label2id=label_ids,
            )
            note = "your tags differ from the shipped model's, so a new head was trained on MiniLM"
        features = ner_features(tokenizer, data, label_ids, casing=uses_casing(base))
        collate, task_type = pad_collate(tokenizer), "TOKEN_CLS"
    else:
        from model.qa_training import qa_collate, qa_features

        base = copy.deepcopy(model)
        features, collate, task_type = (
            qa_features(tokenizer, data),
            qa_collate(tokenizer),
            "QUESTION_ANS",
        )
    if not features:
        raise ValueError("no usable examples (answers cut off by the length limit?)")
    tuned = lora_model(base, task_type, rank=8)
    losses = train_steps(tuned, features, collate, max_steps, max_seconds, on_step)
    merged = tuned.merge_and_unload().eval()
    return instrument(merged), losses, note
