"""Bring your own model: the operator's models file, the checks before a model loads, and a
text run through any supported family with every attention call captured.

The models file (TOML; its path in ATLAS_MODELS, or `python -m app.serve --models FILE`):

    [[model]]
    name = "my-bert"                      # shown in the explorer's model menu
    source = "/srv/models/my-bert"        # a local folder, or a hub id
    note = "BERT fine-tuned on our tickets"

Only what the operator lists is ever loaded: the app never loads a path typed into a
browser. Before a model loads: its family must be supported (`model.hf.families`), its
weights must be safetensors (pickle .bin files can run code when loaded), and its parameter
count, read from the config on the meta device, must fit the machine's memory.
`trust_remote_code` is never set.
"""

from __future__ import annotations

import inspect
import os
import time
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import torch
import transformers
from transformers import AutoConfig, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from model.core.attribution import Subject, TokenAt
from model.core.capture import AttentionCapture, capture
from model.core.errors import InputError
from model.core.instrument import instrument
from model.core.patching import SAME_ANSWER, Experiment, NothingToPatch
from model.hf.budgets import GENERATE_STEPS, batch_for
from model.hf.encoding import (
    decode_named,
    encode,
    max_length,
    model_inputs,
    run_with_capture,
    token_names,
)
from model.hf.families import Family, UnsupportedModel, family_of

MODELS_ENV = "ATLAS_MODELS"  # the models file's path
MAX_PARAMS_ENV = "ATLAS_MAX_PARAMS"  # the largest model a server loads, in parameters
MEMORY_SHARE = 0.25  # by default a model's float32 weights may take this share of the RAM
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


class ModelRefused(InputError):
    """A listed model the server will not load; the message says why, to show as it is."""


DEVICES = ("cpu", "cuda", "auto")  # where a listed model runs ("auto": a GPU if there is one)


@dataclass(frozen=True)
class ModelEntry:
    name: str
    source: str  # a local folder or a hub id
    note: str = ""
    device: str = "cpu"  # one of DEVICES; captures always come back to the CPU


def resolve_device(device: str, cuda: bool | None = None) -> str:
    """The torch device a listed model runs on: "auto" is "cuda" where a GPU is present
    (`cuda`: whether one is, torch's answer unless given), else "cpu"; "cuda" without one is
    refused, saying so."""
    present = torch.cuda.is_available() if cuda is None else cuda
    if device == "auto":
        return "cuda" if present else "cpu"
    if device == "cuda" and not present:
        raise ModelRefused(
            'device = "cuda", but this server has no GPU that PyTorch can use; list the model '
            'with device = "auto" to run it on the CPU where there is none.'
        )
    return device


def read_models_file(path: str | Path) -> tuple[ModelEntry, ...]:
    """The entries of a models file; a malformed file raises ValueError saying where."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"the models file {path} cannot be read: {error}") from error
    entries = []
    for index, item in enumerate(data.get("model", [])):
        if not isinstance(item, dict) or not item.get("name") or not item.get("source"):
            raise ValueError(f"{path}: [[model]] number {index + 1} needs a name and a source")
        source = str(item["source"])
        if not Path(source).is_absolute() and (path.parent / source).exists():
            source = str((path.parent / source).resolve())  # relative to the file
        device = str(item.get("device", "cpu"))
        if device not in DEVICES:
            raise ValueError(
                f"{path}: [[model]] {item['name']!r} has device {device!r}; one of "
                + ", ".join(map(repr, DEVICES))
            )
        entries.append(ModelEntry(str(item["name"]), source, str(item.get("note", "")), device))
    names = [e.name for e in entries]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: two models have the same name")
    return tuple(entries)


def listed_models() -> tuple[ModelEntry, ...]:
    """The models the operator listed (none when ATLAS_MODELS is unset)."""
    path = os.environ.get(MODELS_ENV)
    return read_models_file(path) if path else ()


def is_folder(source: str) -> bool:
    """Whether a listed source names a folder (a path) rather than a hub id ("org/name")."""
    return Path(source).is_absolute() or source.startswith((".", "~")) or Path(source).exists()


def _unreadable(entry: ModelEntry, error: Exception) -> str:
    """Why a listed model's config could not be read, in a few words."""
    if is_folder(entry.source):
        if not Path(entry.source).is_dir():
            return "no such folder"
        return f"config unreadable: {str(error).splitlines()[0][:160]}"
    return "needs the network (hub id)"


def family_or_reason(entry: ModelEntry) -> Family | str:
    """The family a listed model's config names, or in a few words why there is none: "not a
    supported kind: 'deberta-v2'", "no such folder", "needs the network (hub id)". Reads
    config.json only; loading the model says the rest."""
    try:
        config = AutoConfig.from_pretrained(entry.source, trust_remote_code=False)
    except (OSError, ValueError) as error:
        return _unreadable(entry, error)
    try:
        return family_of(config)
    except UnsupportedModel:
        return f"not a supported kind: {str(getattr(config, 'model_type', '') or 'unknown')!r}"


def max_params() -> int:
    """The largest model this machine loads: ATLAS_MAX_PARAMS, else float32 weights within
    MEMORY_SHARE of the RAM."""
    if os.environ.get(MAX_PARAMS_ENV):
        return int(float(os.environ[MAX_PARAMS_ENV]))
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return int(ram * MEMORY_SHARE / 4)


def _model_class(config: Any, family: Family) -> Any:
    """The class the checkpoint was saved as (its config says), else the family's base."""
    for name in getattr(config, "architectures", None) or ():
        cls = getattr(transformers, str(name), None)
        if cls is not None:
            return cls
    auto = {
        "encoder": transformers.AutoModel,
        "decoder": transformers.AutoModelForCausalLM,
        "seq2seq": transformers.AutoModelForSeq2SeqLM,
    }
    return auto[family.kind]


def count_parameters(config: Any, family: Family) -> int:
    """Parameters of the model a config describes, built on the meta device (no memory)."""
    with torch.device("meta"):
        model = _model_class(config, family)._from_config(config)
    return sum(p.numel() for p in model.parameters())


@dataclass(frozen=True)
class Checked:
    entry: ModelEntry
    family: Family
    config: Any
    parameters: int


def check(entry: ModelEntry) -> Checked:
    """Everything decided before a byte of weights is read; ModelRefused says why not."""
    try:
        config = AutoConfig.from_pretrained(entry.source, trust_remote_code=False)
    except (OSError, ValueError) as error:
        raise ModelRefused(
            f"{entry.name}: {_unreadable(entry, error)} ({entry.source}): {str(error)[:200]}"
        ) from error
    try:
        family = family_of(config)
    except UnsupportedModel as error:
        raise ModelRefused(f"{entry.name}: {error}") from error
    folder = Path(entry.source)
    if folder.is_dir():
        files = [p.name for p in folder.iterdir()]
        if not any(name.endswith(".safetensors") for name in files):
            pickled = [name for name in files if name.endswith(PICKLE_SUFFIXES)]
            raise ModelRefused(
                f"{entry.name}: only safetensors weights are loaded, and {folder} has "
                + (f"only {', '.join(sorted(pickled))}" if pickled else "no weights")
                + ". Pickle files can run code when loaded; convert them with "
                "model.save_pretrained(folder, safe_serialization=True) on a trusted machine."
            )
    parameters = count_parameters(config, family)
    limit = max_params()
    if parameters > limit:
        raise ModelRefused(
            f"{entry.name} has {parameters / 1e6:,.1f}M parameters "
            f"({parameters * 4 / 1e9:.2f} GB as float32); this server loads models up to "
            f"{limit / 1e6:,.1f}M parameters ({limit * 4 / 1e9:.2f} GB, {MAX_PARAMS_ENV})."
        )
    return Checked(entry, family, config, parameters)


def readiness(entry: ModelEntry) -> str:
    """One line on a listed model, as the server says it at start: ready (family, size,
    dtype, windows) or refused, with the reason. Reads its config and files, not its weights."""
    try:
        checked = check(entry)
    except ModelRefused as error:
        return f"{entry.name}: refused: {str(error).removeprefix(entry.name + ': ')}"
    config = checked.config
    dtype = str(getattr(config, "dtype", None) or getattr(config, "torch_dtype", None) or "")
    window = getattr(config, "sliding_window", None) or getattr(config, "local_attention", None)
    details = [checked.family.name, f"{checked.parameters / 1e6:,.2f}M parameters"]
    details += [dtype.removeprefix("torch.")] if dtype else []
    details += [f"sliding window {window}"] if window else []
    if entry.device != "cpu":
        try:
            details += [f"on {resolve_device(entry.device)} (device = {entry.device!r})"]
        except ModelRefused as error:
            return f"{entry.name}: refused: {error}"
    return f"{entry.name}: ready ({', '.join(details)})"


def load(entry: ModelEntry) -> tuple[PreTrainedModel, PreTrainedTokenizerBase, Family]:
    """A listed model, checked, loaded from safetensors with eager attention, instrumented."""
    checked = check(entry)
    device = resolve_device(entry.device)
    model = _model_class(checked.config, checked.family).from_pretrained(
        entry.source, attn_implementation="eager", use_safetensors=True, trust_remote_code=False
    )
    if device != "cpu":
        model = model.to(device)  # inputs follow the model (encoding.model_inputs)
    tokenizer = AutoTokenizer.from_pretrained(entry.source, trust_remote_code=False)
    model.eval()
    instrument(model)
    return model, tokenizer, checked.family


def run_text(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    family: Family,
    text: str,
    pair: str | None = None,
    qkv: bool = False,
    steps: int = GENERATE_STEPS,
    limit: int | None = None,
    timings: dict[str, float] | None = None,
) -> tuple[AttentionCapture, int, str]:
    """One text through a model of any supported family, every attention call captured:
    read once (encoders), or continued / answered `steps` tokens by greedy decoding.

    A decoder's attention over what it wrote is recorded while it writes, as the rows of
    full matrices (`capture(..., rows=)`): the same numbers as one teacher-forced pass over the
    text and the written tokens (model.hf.family_check's generation check, windows included),
    for the cost of the generation alone, held as one (layers, heads, q, k) tensor per stack.
    `limit`: at most this many tokens read (a server's memory bound, `capture_tokens`);
    `timings`, if given, gets the seconds of the generation ("generate_s") and of its first
    pass, over the text ("forward_s"). Returns the capture (tokens attached), the tokens
    dropped to fit, and what the model wrote ("" for encoders). Raises InputError on text it
    cannot run."""
    timings = {} if timings is None else timings
    began = time.perf_counter()
    limit = min(max_length(tokenizer, model), limit or 1 << 30)
    if family.kind != "encoder":
        limit = max(2, limit - steps)  # room for what it writes
    encoded = encode(tokenizer, text, pair if family.kind == "encoder" else None, limit=limit)
    options = {"qkv": qkv, "masks": qkv}  # scores are Q.K, recomputable: not kept twice
    if family.kind == "encoder":  # one forward pass, as every encoder page runs it
        att = run_with_capture(model, encoded, **options)[0]
        timings.update(generate_s=0.0, forward_s=time.perf_counter() - began)
        return att, encoded.dropped, ""
    inputs = model_inputs(model, encoded.inputs)
    if family.kind == "decoder":  # the text and what it writes, minus the last token
        rows = {"decoder": len(encoded.tokens) + steps - 1}
    else:  # the decoder's start token and what it writes, minus the last token
        rows = {"decoder": steps, "cross": steps}
    with _first_pass(model) as first, torch.inference_mode(), capture(model, rows=rows) as rec:
        written = cast(Any, model).generate(
            **inputs, max_new_tokens=steps, min_new_tokens=steps, do_sample=False,
            num_beams=1, pad_token_id=_pad_id(model, tokenizer),
        )  # fmt: skip
    generate_s = time.perf_counter() - began
    timings.update(generate_s=generate_s, forward_s=first[0] or generate_s)
    ids: list[int] = written[0].tolist()
    tokens: dict[str, Sequence[str]] = {"source": encoded.tokens}
    special: dict[str, Sequence[bool]] = {"source": encoded.special}
    if family.kind == "decoder":
        fed, new = ids[:-1], ids[len(encoded.tokens) :]
        tokens, special = {}, {}  # one sequence: the target axis
    else:
        fed, new = ids[:-1], ids[1:]
    special_ids = set(tokenizer.all_special_ids)
    tokens["target"] = token_names(tokenizer, fed)
    special["target"] = [i in special_ids for i in fed]
    wrote = decode_named(tokenizer, new)
    return rec.result.with_tokens(tokens, special), encoded.dropped, wrote


@contextmanager
def _first_pass(model: PreTrainedModel) -> Iterator[list[float]]:
    """The seconds of the model's first forward pass inside the block (a generation's pass
    over the text: what a long analysis's estimate scales from), in the list yielded."""
    took = [0.0]
    began: list[float] = []

    def start(module: Any, args: Any) -> None:
        if not began:
            began.append(time.perf_counter())

    def stop(module: Any, args: Any, output: Any) -> None:
        if began and not took[0]:
            took[0] = time.perf_counter() - began[0]

    handles = [model.register_forward_pre_hook(start), model.register_forward_hook(stop)]
    try:
        yield took
    finally:
        for handle in handles:
            handle.remove()


def explain(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    family: Family,
    text: str,
    step: int = 0,
) -> Subject:
    """What attribution explains for a listed model with an output: a decoder-only model's
    next token after the text (step 0), or the token an encoder-decoder writes at `step`
    (greedy, as `run_text` writes it), given the tokens before it. Raises InputError for a
    bare encoder (no output) and for a step beyond what the model writes here."""
    if family.kind == "encoder":
        raise InputError(
            f"A bare {family.name} encoder has no output to explain: attribution needs a task "
            "head or a language-model head."
        )
    steps = 1 if family.kind == "decoder" else GENERATE_STEPS
    if not 0 <= step < steps:
        raise InputError(f"Step {step + 1} is beyond the {steps} token(s) explained here.")
    encoded = encode(tokenizer, text, limit=max(2, max_length(tokenizer, model) - GENERATE_STEPS))
    inputs = model_inputs(model, encoded.inputs)
    with torch.no_grad():
        if family.kind == "decoder":
            position = inputs["input_ids"].shape[1] - 1
            token = int(model(**inputs).logits[0, position].argmax())
        else:
            written = cast(Any, model).generate(
                **inputs, max_new_tokens=step + 1, min_new_tokens=step + 1, do_sample=False,
                num_beams=1, pad_token_id=_pad_id(model, tokenizer),
            )  # fmt: skip
            inputs["decoder_input_ids"] = written[:, : step + 1]
            position, token = step, int(written[0, step + 1])
    name = decode_named(tokenizer, [token]) or token_names(tokenizer, [token])[0]
    what = "the next token" if family.kind == "decoder" else f"step {step + 1}"
    # the layer that embeds the explained ids: an encoder-decoder's own encoder's (T5's and
    # BART's model-level table is a separate module that the encoder never calls)
    owner = cast(Any, model).get_encoder() if family.kind == "seq2seq" else model
    subject = Subject.of(
        model, inputs, TokenAt(position, token, name=f"{what}: '{name}'"), encoded.tokens,
        encoded.special, encoded.removed_id, embedding=owner.get_input_embeddings(),
        removed_as=encoded.removed_as,
    )  # fmt: skip
    batch = batch_for(model.config, len(encoded.tokens), gradients=True)
    if family.kind == "decoder" and _keeps_logits(model):
        subject = replace(subject, run=_last_logits(model, inputs, position))
    return replace(subject, batch=batch)


def _last_logits(model: PreTrainedModel, inputs: dict[str, torch.Tensor], position: int) -> Any:
    """A decoder-only model's run that computes the logits of the last position only (the
    next token, all that is explained): a 128-token batch of 32 through GPT-2's head would
    otherwise be 32 x 128 x 50,257 floats (820 MB) for one number each. The row is put where
    the target reads it, as a view."""
    rest = {k: v for k, v in inputs.items() if k != "input_ids"}

    def run(batch: torch.Tensor) -> torch.Tensor:
        n = batch.shape[0]
        expanded = {k: v.expand(n, *v.shape[1:]) for k, v in rest.items()}
        logits = model(input_ids=batch, **expanded, logits_to_keep=1).logits  # (n, 1, vocab)
        return logits.expand(n, position + 1, logits.shape[-1])  # (n, positions, vocab)

    return run


def patching(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    family: Family,
    clean: str,
    corrupted: str,
) -> Experiment:
    """Activation patching for a listed model with an output: the next token after each text
    (decoder-only) or the first token each makes the decoder write (encoder-decoder); the
    number compared is the clean one's logit minus the corrupted one's. Raises InputError
    for a bare encoder and for texts of different lengths in tokens."""
    if family.kind == "encoder":
        raise InputError(
            f"A bare {family.name} encoder has no output to compare: patching needs a task "
            "head or a language-model head."
        )
    limit = max(2, max_length(tokenizer, model) - GENERATE_STEPS)
    a, b = encode(tokenizer, clean, limit=limit), encode(tokenizer, corrupted, limit=limit)
    if len(a.tokens) != len(b.tokens):
        raise InputError(
            f"The corrupted text has {len(b.tokens)} tokens and the clean one {len(a.tokens)}: "
            "patching compares them position by position, so they must tokenize to the same "
            "length."
        )
    inputs = [model_inputs(model, x.inputs) for x in (a, b)]
    if family.kind == "seq2seq":
        start = cast(Any, model).generation_config.decoder_start_token_id
        for x in inputs:
            x["decoder_input_ids"] = torch.tensor([[int(start if start is not None else 0)]])
    with torch.no_grad():
        right, wrong = (int(model(**x).logits[0, -1].argmax()) for x in inputs)
    if right == wrong:
        raise NothingToPatch(SAME_ANSWER.format(answer=decode_named(tokenizer, [right])))

    def metric(output: Any) -> float:
        return float(output.logits[0, -1, right] - output.logits[0, -1, wrong])

    def run(x: dict[str, torch.Tensor]) -> Any:  # the last position's logits: all it reads
        return model(**x, **last)

    last = {"logits_to_keep": 1} if _keeps_logits(model) else {}
    names = [decode_named(tokenizer, [i]) or token_names(tokenizer, [i])[0] for i in (right, wrong)]
    return Experiment(
        model, run, inputs[0], inputs[1], metric, a.tokens,
        f"{names[0]!r} against {names[1]!r}", "encoder" if family.kind == "seq2seq" else "decoder",
        batch=batch_for(model.config, len(a.tokens), gradients=False),
    )  # fmt: skip


def _keeps_logits(model: PreTrainedModel) -> bool:
    """Whether the model's forward can compute the last position's logits only."""
    return "logits_to_keep" in inspect.signature(model.forward).parameters


def _pad_id(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> int:
    for value in (tokenizer.pad_token_id, model.config.pad_token_id, tokenizer.eos_token_id):
        if value is not None:
            return int(value)
    return 0
