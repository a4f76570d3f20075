"""Train our transformer on the committed WordNet/Apertium corpus
(python -m model.train translation).

The paper's warm-up schedule, label smoothing, length-bucketed batches of about
`max_tokens` tokens, a fixed seed, validation every `validate_every` steps, and the
best checkpoint (by validation loss) written as float16 safetensors.
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

import torch
from tokenizers import Tokenizer
from tqdm import tqdm

from model.datasets.corpus import Pair, read_split
from model.tasks.translation import CHECKPOINT_DIR
from model.transformer.checkpoint import (
    CONFIG,
    TOKENIZER,
    save_checkpoint,
    save_weights,
    write_atomically,
)
from model.transformer.config import TransformerConfig
from model.transformer.model import Transformer, make_model
from model.transformer.tokenizer import (
    BOS,
    EOS,
    PAD,
    UNK,
    token_id,
    train_tokenizer,
    with_pieces,
)

Batch = tuple[torch.Tensor, torch.Tensor]  # src (b, s), tgt with BOS ... EOS (b, t)

# Source + target tokens a batch holds, padding included (`--max-tokens`). 12,000 rather than
# 3,000: the same steps learn far faster (checkpoints/translation/README.md).
MAX_TOKENS = 12000
# Pieces a resumed tokenizer gains if it lacks them, each starting from the row of a piece it
# has: Spanish opens its questions and exclamations, which the WordNet corpus never does.
OPENING_MARKS = {"¿": "?", "¡": "!"}


@dataclass(frozen=True)
class TranslationConfig:
    """One training run (`python -m model.train translation --help` says what each does)."""

    out: Path = CHECKPOINT_DIR
    minutes: float = 55.0
    epochs: int = 100
    max_steps: int = 0  # 0: no limit but the time
    d_model: int = 256
    heads: int = 4
    layers: int = 3
    vocab: int = 8000
    max_len: int = 96
    max_tokens: int = MAX_TOKENS
    warmup: int = 1000
    lr_factor: float = 1.0
    smoothing: float = 0.1
    dropout: float | None = None  # None: 0.1, or the resumed run's
    bf16: bool = False
    validate_every: int = 300
    seed: int = 13
    device: Literal["auto", "cpu", "cuda"] = "auto"
    tiny: bool = False
    resume: str = ""
    quiet: bool = False
    snapshots: str = ""  # keep the weights of every validation here (for averaging)
    everyday: int = 0  # generated everyday sentence pairs added to the corpus's training split

    def __post_init__(self) -> None:
        for name in ("epochs", "max_tokens", "warmup", "validate_every", "max_len"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.minutes <= 0:
            raise ValueError(f"minutes must be positive, not {self.minutes}")


VOCABULARY_ROWS = ("src_embed.table.weight", "tgt_embed.table.weight", "generator.weight",
                   "generator.bias")  # fmt: skip


def load_grown(model: Transformer, path: Path, old_size: int, like: list[int]) -> None:
    """Weights saved with a vocabulary of `old_size` into `model`, whose vocabulary has
    len(like) more pieces at its end: each new piece's embeddings and output row start as a
    copy of the piece it is like ("¿" as "?"), its output bias lower by 4 so that it is not
    at first as likely as that piece wherever that piece is."""
    from safetensors.torch import load_file

    state = {k: v.float() for k, v in load_file(str(path)).items()}
    if like:
        for name in VOCABULARY_ROWS:
            if state[name].shape[0] != old_size:
                raise ValueError(f"{path}: {name} has {state[name].shape[0]} rows, not {old_size}")
            rows = state[name][like].clone()
            if name == "generator.bias":
                rows -= 4.0
            state[name] = torch.cat([state[name], rows])
    model.load_state_dict(state)


def noam_rate(step: int, d_model: int, warmup: int, factor: float = 1.0) -> float:
    """lrate = d_model^-0.5 * min(step^-0.5, step * warmup^-1.5) (paper, section 5.3)."""
    step = max(step, 1)
    return factor * d_model**-0.5 * min(step**-0.5, step * warmup**-1.5)


def make_batches(
    pairs: list[tuple[list[int], list[int]]], max_tokens: int, pad_id: int, seed: int
) -> list[Batch]:
    """Group pairs of similar length so little of each batch is padding; about `max_tokens`
    source+target tokens (padding included) per batch, in an order shuffled by `seed`."""
    batches = bucket_batches(pairs, max_tokens, pad_id)
    random.Random(seed).shuffle(batches)
    return batches


def bucket_batches(
    pairs: list[tuple[list[int], list[int]]], max_tokens: int, pad_id: int
) -> list[Batch]:
    """The padded batches, shortest first. They depend only on the pairs, so training builds
    them once and shuffles their order each epoch."""
    order = sorted(range(len(pairs)), key=lambda i: (len(pairs[i][0]), len(pairs[i][1])))
    batches: list[Batch] = []
    current: list[int] = []
    longest = 0
    for index in order:
        src, tgt = pairs[index]
        size = max(longest, len(src) + len(tgt))
        if current and size * (len(current) + 1) > max_tokens:
            batches.append(_pad(pairs, current, pad_id))
            current, size = [], len(src) + len(tgt)
        current.append(index)
        longest = size
    if current:
        batches.append(_pad(pairs, current, pad_id))
    return batches


def _pad(pairs: list[tuple[list[int], list[int]]], indices: list[int], pad_id: int) -> Batch:
    src_len = max(len(pairs[i][0]) for i in indices)
    tgt_len = max(len(pairs[i][1]) for i in indices)
    src = torch.full((len(indices), src_len), pad_id)  # (batch, src_len)
    tgt = torch.full((len(indices), tgt_len), pad_id)  # (batch, tgt_len)
    for row, i in enumerate(indices):
        src[row, : len(pairs[i][0])] = torch.tensor(pairs[i][0])
        tgt[row, : len(pairs[i][1])] = torch.tensor(pairs[i][1])
    return src, tgt


def encode_pairs(
    tokenizer: Tokenizer, pairs: list[Pair], max_len: int
) -> list[tuple[list[int], list[int]]]:
    """(source ids + EOS, BOS + target ids + EOS), each cut to fit `max_len`."""
    bos, eos = token_id(tokenizer, BOS), token_id(tokenizer, EOS)
    src = tokenizer.encode_batch([p.english for p in pairs])
    tgt = tokenizer.encode_batch([p.spanish for p in pairs])
    limit = max_len - 2
    return [
        ([*s.ids[:limit], eos], [bos, *t.ids[:limit], eos]) for s, t in zip(src, tgt, strict=True)
    ]


def split_loss(model: Transformer, tokenizer: Tokenizer, split: str, max_tokens: int) -> float:
    """Validation loss (per target token, no smoothing) of a model on a corpus split, batched
    as training batches it."""
    pairs = encode_pairs(tokenizer, read_split(split), model.config.max_len)
    return validation_loss(model, bucket_batches(pairs, max_tokens, model.config.pad_id))


def batch_loss(
    model: Transformer, batch: Batch, smoothing: float, bf16: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """The summed loss over the batch's target tokens, and their number (both 0-d tensors on
    the model's device: reading either waits for it). `bf16`: autocast to bfloat16, which
    runs the matrix products (and what follows them) in bfloat16; the weights, their
    gradients and the loss stay float32."""
    device = next(model.parameters()).device
    src, tgt = (t.to(device, non_blocking=True) for t in batch)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        logits = model(src, tgt[:, :-1])  # (batch, tgt_len - 1, vocab)
    target = tgt[:, 1:]  # (batch, tgt_len - 1)
    loss = torch.nn.functional.cross_entropy(
        logits.float().flatten(0, 1),
        target.flatten(),
        ignore_index=model.config.pad_id,
        label_smoothing=smoothing,
        reduction="sum",
    )
    return loss, (target != model.config.pad_id).sum()


@torch.inference_mode()
def validation_loss(model: Transformer, batches: list[Batch]) -> float:
    model.eval()
    total, count = 0.0, 0
    for batch in batches:
        loss, n = batch_loss(model, batch, smoothing=0.0)
        total, count = total + float(loss), count + int(n)
    model.train()
    return total / max(count, 1)


def training_device(name: str) -> torch.device:
    """`auto`: the GPU when there is one (the device tool lends one to some sessions)."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: no CUDA GPU is visible to torch on this machine")
        torch.backends.cuda.matmul.allow_tf32 = True  # TensorFloat-32 matmuls on Ampere+
    return torch.device(name)


def train_translation(run: TranslationConfig) -> dict[str, Any]:
    device = training_device(run.device)
    torch.manual_seed(run.seed)
    random.seed(run.seed)
    train, valid = read_split("train"), read_split("valid")
    if run.tiny:  # a smoke run: a slice of the corpus and a toy model
        train, valid = train[:400], valid[:50]
    if run.everyday:  # full sentences built with Apertium's generators (datasets/sentences/)
        from model.datasets.everyday import everyday_test
        from model.datasets.sentences import generate

        held_out = {pair.english.lower() for pair in everyday_test()}
        made = [(e, s) for e, s in generate(run.everyday, seed=run.seed)
                if e.lower() not in held_out]  # the test set's sentences never train  # fmt: skip
        train = train + [Pair(english, spanish, "generated") for english, spanish in made]
    previous: dict[str, Any] = {}
    if run.resume:  # continue a run: same tokenizer, config and weights, schedule carried on
        resume_dir = Path(run.resume)
        tokenizer = Tokenizer.from_file(str(resume_dir / "tokenizer.json"))
        previous = json.loads((resume_dir / "training.json").read_text())
        old_vocabulary = tokenizer.get_vocab_size()
        tokenizer, gained = with_pieces(tokenizer, OPENING_MARKS)
    else:
        tokenizer = train_tokenizer(
            [p.english for p in train] + [p.spanish for p in train], vocab_size=run.vocab
        )
    pad = token_id(tokenizer, PAD)
    if run.resume:
        config = TransformerConfig.from_json(Path(run.resume) / "config.json")
        size = tokenizer.get_vocab_size()
        config = replace(config, src_vocab_size=size, tgt_vocab_size=size)
        if run.dropout is not None:  # dropout acts in training only: any value fits the weights
            config = replace(config, dropout=run.dropout)
    else:
        config = TransformerConfig(
            src_vocab_size=tokenizer.get_vocab_size(),
            tgt_vocab_size=tokenizer.get_vocab_size(),
            d_model=run.d_model,
            n_heads=run.heads,
            d_ff=4 * run.d_model,
            n_layers=run.layers,
            dropout=0.1 if run.dropout is None else run.dropout,
            max_len=run.max_len,
            pad_id=pad,
        )

    train_pairs = encode_pairs(tokenizer, train, config.max_len)
    valid_pairs = encode_pairs(tokenizer, valid, config.max_len)
    # Batches are built once and kept on the training device; each epoch shuffles their order.
    train_batches = [
        (s.to(device), t.to(device)) for s, t in bucket_batches(train_pairs, run.max_tokens, pad)
    ]
    valid_batches = [
        (s.to(device), t.to(device))
        for s, t in make_batches(valid_pairs, run.max_tokens, pad, run.seed)
    ]
    model = make_model(config)
    if run.resume:
        like = [tokenizer.token_to_id(OPENING_MARKS[p]) for p in gained]  # "?" for "¿"
        unknown = token_id(tokenizer, UNK)  # a vocabulary without "!" grows "¡" from [UNK]
        load_grown(model, Path(run.resume) / "model.safetensors", old_vocabulary,
                   [unknown if i is None else i for i in like])  # fmt: skip
        if gained:
            print(f"vocabulary grown by {gained}, each from {[OPENING_MARKS[p] for p in gained]}")
    model.to(device).train()
    first_step = int(previous.get("steps", 0))
    # fused: one kernel for the whole update (a third of a step's time on a CPU otherwise)
    optimiser = torch.optim.Adam(
        model.parameters(), lr=1.0, betas=(0.9, 0.98), eps=1e-9, fused=True
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda step: noam_rate(first_step + step + 1, config.d_model, run.warmup, run.lr_factor),
    )
    out_dir = Path(run.out)
    params = sum(p.numel() for p in model.parameters())
    print(
        f"{len(train_pairs):,} training pairs, vocabulary {config.src_vocab_size}, "
        f"{params / 1e6:.1f}M parameters, budget {run.minutes} min on {device.type}"
    )
    start = time.monotonic()
    deadline = start + 60 * run.minutes
    best = float(previous.get("best_valid_loss", math.inf))
    step, epoch = first_step, int(previous.get("epochs", 0))
    history: list[dict[str, Any]] = list(previous.get("history", []))
    minutes_before = float(previous.get("minutes", 0.0))
    done = False

    def write_summary(step: int, epoch: int) -> dict[str, Any]:
        summary = {
            "steps": step,
            "epochs": epoch,
            "minutes": round(minutes_before + (time.monotonic() - start) / 60, 1),
            "best_valid_loss": round(best, 4),
            "parameters": params,
            "train_pairs": len(train_pairs),
            "device": device.type,
            "config": asdict(config),
            "arguments": asdict(run),
            "history": history,
        }
        out_dir.mkdir(parents=True, exist_ok=True)  # a resumed run may never beat its start
        (out_dir / "training.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
        return summary

    while not done and epoch < run.epochs + int(previous.get("epochs", 0)):
        epoch += 1
        batches = list(train_batches)
        random.Random(run.seed + epoch).shuffle(batches)  # as make_batches(..., seed + epoch)
        bar = tqdm(batches, desc=f"epoch {epoch}", unit="batch", disable=run.quiet)
        for batch in bar:
            loss, n = batch_loss(model, batch, run.smoothing, run.bf16)
            optimiser.zero_grad()
            (loss / n).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            scheduler.step()
            step += 1
            if not run.quiet and step % 10 == 0:  # .item() waits for the GPU: not every step
                bar.set_postfix(
                    loss=f"{float(loss / n):.3f}", lr=f"{scheduler.get_last_lr()[0]:.2e}"
                )
            out_of_time = time.monotonic() > deadline or (
                run.max_steps and step - first_step >= run.max_steps
            )
            if step % run.validate_every == 0 or out_of_time:
                valid_loss = validation_loss(model, valid_batches)
                history.append({"step": step, "epoch": epoch, "valid_loss": valid_loss})
                if run.snapshots:  # every validated checkpoint, for `python -m model.train average`
                    save_weights(model, Path(run.snapshots) / f"step-{step}.safetensors")
                if valid_loss < best:
                    best = valid_loss
                    save_checkpoint(model, tokenizer, out_dir)
                    write_summary(step, epoch)  # a run stopped early still leaves its record
                bar.write(f"step {step}: validation loss {valid_loss:.3f} (best {best:.3f})")
            if out_of_time:
                done = True
                break
    summary = write_summary(step, epoch)
    minutes = summary["minutes"]
    written = (out_dir / "model.safetensors").exists()
    if not written:  # the config and tokenizer beside the record: `average --like` reads them
        write_atomically(out_dir / CONFIG, config.to_json)
        write_atomically(out_dir / TOKENIZER, tokenizer.save)
    print(
        f"trained {step} steps ({epoch} epochs) in {minutes:.1f} min; "
        f"best validation loss {best:.3f}; "
        + (
            f"checkpoint in {out_dir}"
            if written
            else f"no validation beat the resumed checkpoint's, so {out_dir} holds no weights "
            "(the snapshots, if kept, can be averaged: python -m model.train average)"
        )
    )
    return summary
