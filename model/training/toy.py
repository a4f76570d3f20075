"""Train a tiny transformer on a toy task (copy, reverse) and probe its attention as it forms:
small enough to watch in a browser ("Watch attention form") or run in a unit test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

import torch

from model.core.capture import AttentionCapture, capture
from model.transformer.config import TransformerConfig
from model.transformer.model import Transformer, make_model

Task = Literal["copy", "reverse"]
PAD, BOS, EOS = 0, 1, 2
FIRST_SYMBOL = 3


@dataclass(frozen=True)
class ToySetup:
    task: Task = "reverse"
    n_symbols: int = 10
    length: int = 8
    d_model: int = 32
    n_heads: int = 2
    n_layers: int = 1
    lr: float = 3e-3
    batch_size: int = 64
    seed: int = 0

    def config(self) -> TransformerConfig:
        vocab = FIRST_SYMBOL + self.n_symbols
        return TransformerConfig(
            src_vocab_size=vocab,
            tgt_vocab_size=vocab,
            d_model=self.d_model,
            n_heads=self.n_heads,
            d_ff=4 * self.d_model,
            n_layers=self.n_layers,
            dropout=0.0,
            max_len=self.length + 2,
        )


def toy_batch(
    setup: ToySetup, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(src, decoder input, decoder target): src is random symbols, the target the same
    sequence copied or reversed, framed by BOS/EOS."""
    shape = (setup.batch_size, setup.length)
    src = torch.randint(FIRST_SYMBOL, FIRST_SYMBOL + setup.n_symbols, shape, generator=generator)
    out = src if setup.task == "copy" else src.flip(1)  # (batch, length)
    bos = torch.full((setup.batch_size, 1), BOS)
    eos = torch.full((setup.batch_size, 1), EOS)
    return src, torch.cat([bos, out], 1), torch.cat([out, eos], 1)  # (b, L), (b, L+1), (b, L+1)


def train_toy(
    setup: ToySetup,
    steps: int,
    on_step: Callable[[int, float, Transformer], None] | None = None,
) -> tuple[Transformer, list[float]]:
    """Train for `steps` steps with Adam; `on_step(step, loss, model)` after each."""
    torch.manual_seed(setup.seed)
    generator = torch.Generator().manual_seed(setup.seed)
    model = make_model(setup.config())
    optimiser = torch.optim.Adam(model.parameters(), lr=setup.lr)
    losses: list[float] = []
    model.train()
    for step in range(steps):
        src, tgt_in, tgt_out = toy_batch(setup, generator)
        logits = model(src, tgt_in)  # (batch, L+1, vocab)
        loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), tgt_out.flatten())
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
        if on_step is not None:
            model.eval()
            on_step(step, losses[-1], model)
            model.train()
    model.eval()
    return model, losses


@torch.inference_mode()
def probe_attention(model: Transformer, setup: ToySetup, seed: int = 99) -> AttentionCapture:
    """The cross-attention of the last layer on one fixed example, for watching it form."""
    src, tgt_in, _ = toy_batch(replace(setup, batch_size=1), torch.Generator().manual_seed(seed))
    with capture(model) as recorder:
        model(src, tgt_in)
    return recorder.result.with_tokens(
        {
            "source": [str(int(t) - FIRST_SYMBOL) for t in src[0]],
            "target": ["<s>", *(str(int(t) - FIRST_SYMBOL) for t in tgt_in[0, 1:])],
        }
    )
