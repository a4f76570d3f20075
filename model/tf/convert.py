"""PyTorch weights into the TensorFlow model: one function, `from_torch`, reading Hugging
Face's `BertForQuestionAnswering` state dict name by name (a linear map's weight is
transposed: PyTorch keeps (out, in), Keras (in, out))."""

from __future__ import annotations

from typing import Any

import numpy as np

from model.tf.bert import Config, QuestionAnswering


def config_of(torch_config: Any) -> Config:
    return Config(
        vocab_size=torch_config.vocab_size,
        hidden_size=torch_config.hidden_size,
        num_hidden_layers=torch_config.num_hidden_layers,
        num_attention_heads=torch_config.num_attention_heads,
        intermediate_size=torch_config.intermediate_size,
        max_position_embeddings=torch_config.max_position_embeddings,
        type_vocab_size=torch_config.type_vocab_size,
        layer_norm_eps=torch_config.layer_norm_eps,
    )


def from_torch(torch_model: Any) -> QuestionAnswering:
    """The TensorFlow model with the PyTorch model's weights (a BertForQuestionAnswering,
    its adapter merged). Raises ValueError if a weight is missing, left over or misshapen."""
    state = {k: v.detach().cpu().float().numpy() for k, v in torch_model.state_dict().items()}
    model = QuestionAnswering(config_of(torch_model.config))
    ids = np.zeros((1, 2), dtype=np.int32)
    model(ids, np.ones_like(ids), ids)  # builds every layer's weights
    used: set[str] = set()

    def take(name: str, transpose: bool = False) -> np.ndarray:
        if name not in state:
            raise ValueError(f"the PyTorch model has no weight {name!r}")
        used.add(name)
        return state[name].T if transpose else state[name]

    def dense(layer: Any, prefix: str) -> None:
        layer.set_weights([take(f"{prefix}.weight", True), take(f"{prefix}.bias")])

    def norm(layer: Any, prefix: str) -> None:
        layer.set_weights([take(f"{prefix}.weight"), take(f"{prefix}.bias")])

    e = model.embeddings
    for name in ("word_embeddings", "position_embeddings", "token_type_embeddings"):
        getattr(e, name).set_weights([take(f"bert.embeddings.{name}.weight")])
    norm(e.LayerNorm, "bert.embeddings.LayerNorm")
    for i, layer in enumerate(model.encoder):
        p = f"bert.encoder.layer.{i}"
        for name in ("query", "key", "value"):
            dense(getattr(layer.attention, name), f"{p}.attention.self.{name}")
        dense(layer.attention_output.dense, f"{p}.attention.output.dense")
        norm(layer.attention_output.LayerNorm, f"{p}.attention.output.LayerNorm")
        dense(layer.intermediate.dense, f"{p}.intermediate.dense")
        dense(layer.output_layer.dense, f"{p}.output.dense")
        norm(layer.output_layer.LayerNorm, f"{p}.output.LayerNorm")
    dense(model.qa_outputs, "qa_outputs")
    left = {k for k in state if k not in used and not k.endswith("position_ids")}
    if left:
        raise ValueError(f"weights the TensorFlow model does not read: {sorted(left)[:5]}")
    return model
