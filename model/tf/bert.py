"""BERT for extractive question answering in TensorFlow, with Keras 3 layers: the shipped QA
model (MiniLM with its LoRA adapter merged, and the span head) written a second time, module
for module as Hugging Face's PyTorch `BertForQuestionAnswering` is, so the two read side by
side (docs/tensorflow-qa.md):

    PyTorch (transformers)            TensorFlow (here)
    BertEmbeddings                    Embeddings
    BertSelfAttention (eager)         SelfAttention    (returns each head's weights)
    BertSelfOutput                    SelfOutput
    BertIntermediate / BertOutput     Intermediate / Output
    BertLayer                         Layer
    BertEncoder                       Encoder
    BertForQuestionAnswering.qa_outputs   QuestionAnswering.qa_outputs

Weights come from the PyTorch model by one function, `from_torch` (model/tf/convert.py).
Inference only: dropout is left out, as the PyTorch model in eval mode leaves it out.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter

import keras
import numpy as np
import tensorflow as tf

NEG_INF = float(np.finfo(np.float32).min)  # what masked scores get, as transformers does


@dataclass(frozen=True)
class Config:
    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float

    @property
    def head_size(self) -> int:
        return self.hidden_size // self.num_attention_heads


class Embeddings(keras.layers.Layer):
    """token + position + segment embeddings, then LayerNorm."""

    def __init__(self, config: Config, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.word_embeddings = keras.layers.Embedding(config.vocab_size, config.hidden_size)
        self.position_embeddings = keras.layers.Embedding(
            config.max_position_embeddings, config.hidden_size
        )
        self.token_type_embeddings = keras.layers.Embedding(
            config.type_vocab_size, config.hidden_size
        )
        self.LayerNorm = keras.layers.LayerNormalization(epsilon=config.layer_norm_eps)

    def call(self, input_ids: tf.Tensor, token_type_ids: tf.Tensor) -> tf.Tensor:
        positions = tf.range(tf.shape(input_ids)[1])[None, :]
        summed = (
            self.word_embeddings(input_ids)
            + self.position_embeddings(positions)
            + self.token_type_embeddings(token_type_ids)
        )
        return self.LayerNorm(summed)


class SelfAttention(keras.layers.Layer):
    """softmax(Q K^T / sqrt(d) + mask) V for every head at once; returns the context and
    each head's weights (batch, heads, queries, keys)."""

    def __init__(self, config: Config, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.heads, self.head_size = config.num_attention_heads, config.head_size
        self.query = keras.layers.Dense(config.hidden_size)
        self.key = keras.layers.Dense(config.hidden_size)
        self.value = keras.layers.Dense(config.hidden_size)
        self.scaling = 1.0 / math.sqrt(self.head_size)

    def split_heads(self, x: tf.Tensor) -> tf.Tensor:
        batch, seq = tf.shape(x)[0], tf.shape(x)[1]
        x = tf.reshape(x, (batch, seq, self.heads, self.head_size))
        return tf.transpose(x, (0, 2, 1, 3))  # (batch, heads, seq, head_size)

    def call(self, hidden: tf.Tensor, mask: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        q = self.split_heads(self.query(hidden))
        k = self.split_heads(self.key(hidden))
        v = self.split_heads(self.value(hidden))
        scores = tf.matmul(q, k, transpose_b=True) * self.scaling + mask
        weights = tf.nn.softmax(scores, axis=-1)
        context = tf.transpose(tf.matmul(weights, v), (0, 2, 1, 3))
        batch, seq = tf.shape(context)[0], tf.shape(context)[1]
        return tf.reshape(context, (batch, seq, self.heads * self.head_size)), weights


class SelfOutput(keras.layers.Layer):
    """W_O, then Add & Norm."""

    def __init__(self, config: Config, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(config.hidden_size)
        self.LayerNorm = keras.layers.LayerNormalization(epsilon=config.layer_norm_eps)

    def call(self, context: tf.Tensor, residual: tf.Tensor) -> tf.Tensor:
        return self.LayerNorm(self.dense(context) + residual)


class Intermediate(keras.layers.Layer):
    """The feed-forward's first linear map and GELU (the exact, erf one, as BERT's)."""

    def __init__(self, config: Config, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(config.intermediate_size)

    def call(self, hidden: tf.Tensor) -> tf.Tensor:
        return keras.activations.gelu(self.dense(hidden), approximate=False)


class Output(keras.layers.Layer):
    """The feed-forward's second linear map, then Add & Norm."""

    def __init__(self, config: Config, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(config.hidden_size)
        self.LayerNorm = keras.layers.LayerNormalization(epsilon=config.layer_norm_eps)

    def call(self, hidden: tf.Tensor, residual: tf.Tensor) -> tf.Tensor:
        return self.LayerNorm(self.dense(hidden) + residual)


class Layer(keras.layers.Layer):
    """One encoder layer: self-attention and feed-forward, each with Add & Norm."""

    def __init__(self, config: Config, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.attention = SelfAttention(config)
        self.attention_output = SelfOutput(config)
        self.intermediate = Intermediate(config)
        self.output_layer = Output(config)

    def call(self, hidden: tf.Tensor, mask: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        context, weights = self.attention(hidden, mask)
        attended = self.attention_output(context, hidden)
        return self.output_layer(self.intermediate(attended), attended), weights


class QuestionAnswering(keras.Model):
    """Embeddings, N layers, and the span head: a start and an end logit per token. Returns
    (start logits, end logits, each layer's attention weights, each layer's output)."""

    def __init__(self, config: Config, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.embeddings = Embeddings(config)
        self.encoder = [Layer(config) for _ in range(config.num_hidden_layers)]
        self.qa_outputs = keras.layers.Dense(2)

    def call(
        self, input_ids: tf.Tensor, attention_mask: tf.Tensor, token_type_ids: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor, list[tf.Tensor], list[tf.Tensor]]:
        # (batch, seq) of 1 (a token) and 0 (padding) -> added to the scores: 0 or the most
        # negative float, which softmax turns into exactly 0 (as transformers' eager BERT)
        mask = (1.0 - tf.cast(attention_mask, tf.float32))[:, None, None, :] * NEG_INF
        hidden = self.embeddings(input_ids, token_type_ids)
        attentions, outputs = [], [hidden]
        for layer in self.encoder:
            hidden, weights = layer(hidden, mask)
            attentions.append(weights)
            outputs.append(hidden)
        logits = self.qa_outputs(hidden)
        return logits[..., 0], logits[..., 1], attentions, outputs
