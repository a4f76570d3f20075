"""The encoder-decoder transformer of "Attention Is All You Need", small enough for a CPU.

Read it next to the slides: post-norm sublayers ("add & norm"), ReLU feed-forward,
embeddings scaled by sqrt(d_model) plus positional encodings, and an output
projection to the target vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import cast

import torch
from torch import nn

from model.core.hooks import BlockSites, Stack
from model.core.instrument import instrument
from model.core.masks import decoder_self_mask, key_padding_mask
from model.transformer.attention import KVCache
from model.transformer.config import TransformerConfig
from model.transformer.layers import DecoderLayer, EncoderLayer
from model.transformer.positional import PositionalEncoding, TokenEmbedding


class Transformer(nn.Module):
    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.config = config
        self.src_embed = TokenEmbedding(config.src_vocab_size, config.d_model, config.pad_id)
        self.tgt_embed = TokenEmbedding(config.tgt_vocab_size, config.d_model, config.pad_id)
        self.src_position = PositionalEncoding(config.d_model, config.max_len)
        self.tgt_position = PositionalEncoding(config.d_model, config.max_len)
        self.encoder_layers = nn.ModuleList(EncoderLayer(config) for _ in range(config.n_layers))
        self.decoder_layers = nn.ModuleList(DecoderLayer(config) for _ in range(config.n_layers))
        self.dropout = nn.Dropout(config.dropout)
        self.generator = nn.Linear(config.d_model, config.tgt_vocab_size)
        self._init_weights()

    def _init_weights(self) -> None:
        for param in self.parameters():
            if param.dim() > 1:
                nn.init.xavier_uniform_(param)

    # -- capture labels ----------------------------------------------------------------------
    def atlas_sites(self) -> Iterator[tuple[nn.Module, Stack, int]]:
        for i, enc_layer in enumerate(cast(Iterable[EncoderLayer], self.encoder_layers)):
            yield enc_layer.self_attn, "encoder", i
        for i, dec_layer in enumerate(cast(Iterable[DecoderLayer], self.decoder_layers)):
            yield dec_layer.self_attn, "decoder", i
            yield dec_layer.cross_attn, "cross", i

    def atlas_embeddings(self) -> Iterator[tuple[nn.Module, Stack, str]]:
        yield self.src_embed, "encoder", "encoder.token"
        yield self.src_position, "encoder", "encoder.position"
        yield self.tgt_embed, "decoder", "decoder.token"
        yield self.tgt_position, "decoder", "decoder.position"

    def atlas_blocks(self) -> Iterator[BlockSites]:
        """Each sublayer and its Add & Norm, as each layer lists them (layers.py)."""
        for i, enc in enumerate(cast(Iterable[EncoderLayer], self.encoder_layers)):
            yield from enc.atlas_blocks(i)
        for i, dec in enumerate(cast(Iterable[DecoderLayer], self.decoder_layers)):
            yield from dec.atlas_blocks(i)

    def atlas_logits(self) -> nn.Module:
        return self.generator

    # -- the two halves ----------------------------------------------------------------------
    def encode(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """src: (batch, src_len) ids. Returns the memory and the source padding mask."""
        if src.shape[1] > self.config.max_len:
            raise ValueError(f"source has {src.shape[1]} tokens; max_len is {self.config.max_len}")
        src_allowed = key_padding_mask(src, self.config.pad_id)  # (batch, 1, 1, src_len)
        x = self.src_embed(src) + self.src_position(src.shape[1])  # (batch, src_len, d_model)
        x = self.dropout(x)
        for layer in self.encoder_layers:
            x = layer(x, src_allowed)  # (batch, src_len, d_model)
        return x, src_allowed

    def decode(
        self,
        tgt: torch.Tensor,  # (batch, tgt_len) ids: the whole prefix, or only new ids with a cache
        memory: torch.Tensor,  # (batch, src_len, d_model)
        src_allowed: torch.Tensor,  # (batch, 1, 1, src_len)
        cache: KVCache | None = None,
        offset: int = 0,  # position of tgt[:, 0]; the number of ids already in the cache
    ) -> torch.Tensor:
        """Logits over the target vocabulary for each position of `tgt`."""
        if offset + tgt.shape[1] > self.config.max_len:
            raise ValueError(
                f"target reaches {offset + tgt.shape[1]} tokens; max_len is {self.config.max_len}"
            )
        if offset and tgt.shape[1] != 1:
            raise ValueError("with a cache, decode one new position at a time")
        # A full prefix needs the look-ahead mask; one new position over a cache sees all of it.
        tgt_allowed = decoder_self_mask(tgt, self.config.pad_id) if tgt.shape[1] > 1 else None
        y = self.tgt_embed(tgt) + self.tgt_position(tgt.shape[1], offset)  # (b, t, d_model)
        y = self.dropout(y)
        for layer in self.decoder_layers:
            y = layer(y, memory, tgt_allowed, src_allowed, cache)  # (batch, tgt_len, d_model)
        return self.generator(y)  # (batch, tgt_len, tgt_vocab)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: src (batch, src_len), tgt (batch, tgt_len) -> logits."""
        memory, src_allowed = self.encode(src)
        return self.decode(tgt, memory, src_allowed)  # (batch, tgt_len, tgt_vocab)


def make_model(config: TransformerConfig) -> Transformer:
    """The paper's make_model: build, instrument for capture, return."""
    model = Transformer(config)
    instrument(model)
    return model
