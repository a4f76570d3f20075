"""The logit lens: what each layer would already say, were it the last.

Each layer's output (the residual stream after it) goes through the model's own readout:
its final norm where it has one, then its output projection or task head. The last layer's
row is then exactly what the model said.

    found = lens(hidden, readout, names)          # hidden: (layers, positions, d_model)
    found.top_names[layer][position]              # the 5 likeliest tokens or labels there
    found.top_probs[layer, position]              # their probabilities

Where the layers' outputs come from:
- our translator and MiniLM (with an adapter): the capture's blocks, each layer's last Add &
  Norm (`capture(..., activations=True)`), `block_outputs`;
- a listed Hugging Face decoder or encoder-decoder: the outputs of its decoder's layers,
  heard by forward hooks on the layer modules for one call (`layer_outputs`), read out
  through its final norm and language-model head (`hf_readout`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from model.core.capture import AttentionCapture, Stack
from model.core.watch import checkpoint

TOP_K = 5


@dataclass(frozen=True)
class Lens:
    """For each layer and position: the TOP_K likeliest outputs and their probabilities."""

    top_ids: np.ndarray  # (layers, positions, k)
    top_probs: np.ndarray  # (layers, positions, k)
    top_names: tuple[tuple[tuple[str, ...], ...], ...]  # [layer][position] -> k names

    @property
    def layers(self) -> int:
        return int(self.top_ids.shape[0])


CHUNK_BYTES = 64 << 20  # the logits read out at once: a chunk of positions, never them all


@torch.no_grad()
def lens(
    hidden: torch.Tensor,
    readout: Callable[[torch.Tensor], torch.Tensor],
    names: Callable[[int], str],
    k: int = TOP_K,
    chunk_bytes: int = CHUNK_BYTES,
) -> Lens:
    """hidden: (layers, positions, d_model), each layer's output. `readout` maps hidden states
    to logits (positions, classes); `names` names a class (a token, a label).

    The (layer, position) rows are read out a chunk at a time, each chunk's logits within
    `chunk_bytes`, and only their top k kept: a 128,256-token vocabulary at 16 layers x 512
    positions would be 4.2 GB of logits at once. Probabilities are exp(logit - logsumexp), the
    sum taken in float64."""
    layers, positions, width = hidden.shape
    flat = hidden.reshape(layers * positions, width)  # (rows, d_model)
    ids: list[torch.Tensor] = []
    probs: list[torch.Tensor] = []
    start, size = 0, 16  # a first small chunk tells the vocabulary's size
    while start < flat.shape[0]:
        checkpoint()  # a Cancel stops the read-out between chunks
        logits = readout(flat[start : start + size].float()).float()  # (rows, classes)
        total = torch.logsumexp(logits.double(), dim=-1, keepdim=True)  # (rows, 1)
        values, index = logits.topk(min(k, logits.shape[-1]), dim=-1)  # (rows, k)
        ids.append(index)
        probs.append(torch.exp(values.double() - total))
        start += size
        size = max(1, chunk_bytes // (8 * logits.shape[-1]))  # float32 logits + float64 sum
        del logits, total
    top_ids = torch.cat(ids).reshape(layers, positions, -1).cpu()  # (from a GPU, if on one)
    named = {i: names(i) for i in top_ids.unique().tolist()}  # each id named once
    return Lens(
        top_ids=top_ids.numpy(),
        top_probs=torch.cat(probs).reshape(layers, positions, -1).cpu().numpy(),
        top_names=tuple(
            tuple(tuple(named[int(i)] for i in cell) for cell in layer)
            for layer in top_ids.tolist()
        ),
    )


def block_outputs(cap: AttentionCapture, stack: Stack, layers: int) -> torch.Tensor:
    """Each layer's output from a capture with activations: its last block's Add & Norm
    (post-norm layers: what enters the next layer), decoding steps joined. (layers, seq, d)"""
    last = cap.layout("encoder" if stack == "encoder" else "decoder")[-1]
    return torch.stack(
        [cap.joined(last[0], layer, last[1], "normed")[0] for layer in range(layers)]
    )


# -- listed Hugging Face models ----------------------------------------------------------------
FINAL_NORMS = (  # where families keep the norm after their last layer (decoder side)
    "model.norm", "model.language_model.norm", "transformer.ln_f", "gpt_neox.final_layer_norm",
    "model.decoder.final_layer_norm", "model.final_layernorm", "decoder.final_layer_norm",
    "model.decoder.layer_norm", "transformer.norm_f",
)  # fmt: skip


def decoder_layers(model: nn.Module) -> list[nn.Module]:
    """The decoder's layers in order (a decoder-only model's layers, or an encoder-decoder's
    decoder): the longest ModuleList on the decoder side whose items hold attention."""
    owner = model.get_decoder() if hasattr(model, "get_decoder") else model  # type: ignore[operator]
    found: list[nn.Module] = []
    for name, module in owner.named_modules():
        if not isinstance(module, nn.ModuleList) or "encoder" in name:
            continue
        items = list(module)
        if len(items) > len(found) and all(
            any("attn" in n.lower() or "attention" in n.lower() for n, _ in item.named_modules())
            for item in items
        ):
            found = items
    if not found:
        raise ValueError(f"no decoder layers found in {type(model).__name__}")
    return found


def final_norm(model: nn.Module) -> nn.Module | None:
    for path in FINAL_NORMS:
        module: Any = model
        for part in path.split("."):
            module = getattr(module, part, None)
            if module is None:
                break
        if isinstance(module, nn.Module):
            return module
    return None


def hf_readout(model: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """Final norm (where the family has one), language-model head, and the final logit
    soft-capping of the families that cap (Gemma): the model's own readout."""
    norm, head = final_norm(model), model.get_output_embeddings()  # type: ignore[operator]
    if head is None:
        raise ValueError(f"{type(model).__name__} has no language-model head to read out with")
    cap = getattr(getattr(model, "config", None), "final_logit_softcapping", None)

    def readout(hidden: torch.Tensor) -> torch.Tensor:
        weight = next(head.parameters())  # its dtype and device (a GPU, if the model is on one)
        hidden = hidden.to(device=weight.device, dtype=weight.dtype)
        logits = head(norm(hidden) if norm is not None else hidden)
        if cap:
            logits = torch.tanh(logits / cap) * cap
        return logits.float()

    return readout


@contextmanager
def layer_outputs(layers: Sequence[nn.Module]) -> Iterator[list[list[torch.Tensor]]]:
    """Hear each layer's output (its hidden states) for the calls inside the block: one list
    per layer, one entry per call (a decoding step)."""
    heard: list[list[torch.Tensor]] = [[] for _ in layers]

    def keep(index: int) -> Callable[..., None]:
        def hook(module: nn.Module, args: Any, output: Any) -> None:
            value = output[0] if isinstance(output, tuple) else output
            heard[index].append(value.detach().float().cpu())

        return hook

    handles = [layer.register_forward_hook(keep(i)) for i, layer in enumerate(layers)]
    try:
        yield heard
    finally:
        for handle in handles:
            handle.remove()


def listed_hidden(
    model: Any, tokenizer: Any, family: Any, text: str, steps: int = 8, limit: int | None = None
) -> tuple[torch.Tensor, tuple[str, ...]]:
    """Each decoder layer's output for a listed model, (layers, positions, d_model) in float32:
    over the text's positions (a decoder-only model: the next token after each), or over the
    steps an encoder-decoder writes greedily (teacher-forced on what it wrote); and the
    tokens its positions read (the text's, or the decoder's inputs). One forward pass (after
    the generation, for an encoder-decoder). `limit`: at most this many tokens read."""
    from model.core.errors import InputError
    from model.hf.encoding import encode, max_length, model_inputs, token_names

    if family.kind == "encoder":
        raise InputError(
            f"A bare {family.name} encoder has no output layer: the logit lens needs a "
            "language-model head."
        )
    longest = min(max_length(tokenizer, model), limit or 1 << 30)
    encoded = encode(tokenizer, text, limit=max(2, longest - steps))
    inputs = model_inputs(model, encoded.inputs)
    last = {}  # the lens reads the layers out itself: the model's own logits, one position
    if family.kind == "decoder" and "logits_to_keep" in inspect.signature(model.forward).parameters:
        last = {"logits_to_keep": 1}
    with torch.no_grad():
        if family.kind == "seq2seq":
            written = model.generate(**inputs, max_new_tokens=steps, do_sample=False,
                                     num_beams=1)  # fmt: skip
            inputs["decoder_input_ids"] = written[:, :-1]
        with layer_outputs(decoder_layers(model)) as heard:
            model(**inputs, **last)
    hidden = torch.stack([calls[0][0] for calls in heard])  # (layers, positions, d_model)
    if family.kind == "seq2seq":
        read = tuple(token_names(tokenizer, inputs["decoder_input_ids"][0].tolist()))
    else:
        read = encoded.tokens
    return hidden, read


def readout_passes(model: nn.Module, positions: int, tokens: int) -> float:
    """What reading `positions` positions of every decoder layer out through the model's head
    costs, in forward passes over `tokens` tokens: layers x positions rows of d_model x
    vocabulary, against a pass's (about) parameters x tokens multiply-adds."""
    config = getattr(model, "config", None)
    width = int(getattr(config, "hidden_size", 0) or getattr(config, "d_model", 0) or 1)
    vocab = int(getattr(config, "vocab_size", 0) or 1)
    parameters = sum(p.numel() for p in model.parameters())
    layers = len(decoder_layers(model))
    return layers * positions * width * vocab / max(1, parameters * tokens)


def token_namer(tokenizer: Any) -> Callable[[int], str]:
    """A token's name as the lens shows it: its text, or its piece where it has none."""
    from model.hf.encoding import decode_named, token_names

    def name(i: int) -> str:
        return decode_named(tokenizer, [i]) or token_names(tokenizer, [i])[0]

    return name


def listed_lens(
    model: Any,
    tokenizer: Any,
    family: Any,
    text: str,
    steps: int = 8,
    positions: tuple[int, int] | None = None,
) -> tuple[Lens, tuple[str, ...]]:
    """What each decoder layer of a listed model would say (`listed_hidden`), read out through
    its own head at every position, or at `positions` [start, end) only. Returns the lens and
    the tokens its positions read."""
    hidden, read = listed_hidden(model, tokenizer, family, text, steps)
    start, end = positions or (0, hidden.shape[1])
    found = lens(hidden[:, start:end], hf_readout(model), token_namer(tokenizer))
    return found, read[start:end]


@torch.no_grad()
def span_lens(hidden: torch.Tensor, head: nn.Module) -> tuple[np.ndarray, np.ndarray]:
    """A QA head read at every layer: p(start) and p(end) over the positions, each
    (layers, positions)."""
    logits = head(hidden.float())  # (layers, positions, 2)
    start, end = logits.unbind(-1)
    return torch.softmax(start, -1).numpy(), torch.softmax(end, -1).numpy()
