"""Text into a Hugging Face model: tokenised with an honest truncation count, run with capture."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase
from transformers.utils import logging as hf_logging

from model.core.attribution import removal
from model.core.capture import AttentionCapture, capture
from model.core.errors import InputError


@dataclass(frozen=True)
class Encoded:
    """One tokenised input, already cut to the model's limit."""

    inputs: dict[str, torch.Tensor]  # input_ids, attention_mask, token_type_ids: (1, seq)
    tokens: tuple[str, ...]
    special: tuple[bool, ...]
    segments: tuple[int, ...]
    dropped: int  # tokens cut off to fit max_length
    offsets: tuple[tuple[int, int], ...] = ()  # characters of each token in its segment
    removed_id: int = 0  # what a removed token becomes (model.core.attribution.removal_id)
    removed_as: str = ""  # the same in words (model.core.attribution.Removal.said)
    # per-token inputs a removed token resets: name -> value (model.core.attribution.Subject)
    follow: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.tokens)


UNNAMED = "<id {}>"  # an id the tokenizer has no token for, named by its number


def token_names(tokenizer: PreTrainedTokenizerBase, ids: list[int]) -> list[str]:
    """Each id's token; an id the tokenizer does not know (a model's vocabulary padded beyond
    its tokenizer's, as many are released, to a multiple of 64) is named by its number."""
    names = tokenizer.convert_ids_to_tokens(ids)
    return [UNNAMED.format(i) if n is None else n for i, n in zip(ids, names, strict=True)]


def decode_named(tokenizer: PreTrainedTokenizerBase, ids: list[int]) -> str:
    """Ids as text, special tokens left out; an id with no token is named (`token_names`)
    where it was written, not silently dropped."""
    pieces: list[str] = []
    run: list[int] = []
    for i, name in zip(ids, tokenizer.convert_ids_to_tokens(ids), strict=True):
        if name is not None:
            run.append(i)
            continue
        pieces += [str(tokenizer.decode(run, skip_special_tokens=True)), UNNAMED.format(i)]
        run = []
    pieces.append(str(tokenizer.decode(run, skip_special_tokens=True)))
    return " ".join(piece for piece in pieces if piece)


def max_length(tokenizer: PreTrainedTokenizerBase, model: PreTrainedModel | None = None) -> int:
    limit = int(getattr(getattr(model, "config", None), "max_position_embeddings", 512) or 512)
    model_max = tokenizer.model_max_length
    return min(limit, model_max) if model_max and model_max < 100_000 else limit


def encode(
    tokenizer: PreTrainedTokenizerBase,
    text: str,
    text_pair: str | None = None,
    limit: int = 512,
) -> Encoded:
    """Tokenise `text` (and an optional second segment), truncating to `limit` tokens.

    Raises InputError for empty or whitespace-only text, before any model call.
    """
    if not text or not text.strip():
        raise InputError("Type some text first: the box is empty.")
    if text_pair is not None and not text_pair.strip():
        text_pair = None
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the over-length warning is reported as `dropped`
    try:
        full = tokenizer(text, text_pair, truncation=False)["input_ids"]
        enc = tokenizer(
            text,
            text_pair,
            truncation="longest_first",
            max_length=limit,
            return_tensors="pt",
            return_special_tokens_mask=True,
            return_offsets_mapping=tokenizer.is_fast,
        )
    finally:
        hf_logging.set_verbosity(verbosity)
    special_mask = enc.pop("special_tokens_mask")[0].tolist()
    offsets = enc.pop("offset_mapping")[0].tolist() if "offset_mapping" in enc else []
    ids = enc["input_ids"][0].tolist()
    segments = enc["token_type_ids"][0].tolist() if "token_type_ids" in enc else [0] * len(ids)
    return Encoded(
        inputs=dict(enc),
        tokens=tuple(token_names(tokenizer, ids)),
        special=tuple(bool(s) for s in special_mask),
        segments=tuple(int(s) for s in segments),
        dropped=max(0, len(full) - len(ids)),
        offsets=tuple((int(a), int(b)) for a, b in offsets),
        removed_id=removal(tokenizer).id,
        removed_as=removal(tokenizer).said,
    )


def model_inputs(
    model: PreTrainedModel, inputs: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """What the model's forward takes: token type ids only for models that have segments
    (GPT-2 would add them through its token embedding), on the model's device (a listed
    model may run on a GPU)."""
    kept = {k: v for k, v in inputs.items() if k in ("input_ids", "attention_mask")}
    segments = int(getattr(cast(Any, model).config, "type_vocab_size", 0) or 0)
    if "token_type_ids" in inputs and segments:
        kept["token_type_ids"] = inputs["token_type_ids"]
    device = getattr(model, "device", None)
    if device is not None and torch.device(device).type != "cpu":
        kept = {k: v.to(device) for k, v in kept.items()}
    return kept


def run_with_capture(
    model: PreTrainedModel,
    encoded: Encoded,
    **options: Any,
) -> tuple[AttentionCapture, Any]:
    """One forward pass of an encoded text with attention captured: the one way every page
    and command turns an encoder's input into a capture. Returns the capture (tokens
    attached) and the model's own outputs. `options` go to `capture` (scores, qkv, masks,
    embeddings, activations)."""
    with torch.inference_mode(), capture(model, **options) as recorder:
        outputs = model(**model_inputs(model, encoded.inputs))
    result = recorder.result.with_tokens(
        {"source": encoded.tokens}, special={"source": encoded.special}
    )
    return result, outputs
