"""Checkpoint averaging (model/training/average.py)."""

import pytest
import torch

from model.training.average import average_state_dicts


def test_the_average_is_the_elementwise_mean_in_float32():
    a = {"w": torch.tensor([1.0, 2.0], dtype=torch.float16), "b": torch.tensor([0.0])}
    b = {"w": torch.tensor([3.0, 5.0], dtype=torch.float16), "b": torch.tensor([1.0])}
    mean = average_state_dicts([a, b])
    assert mean["w"].dtype == torch.float32
    assert mean["w"].tolist() == [2.0, 3.5] and mean["b"].tolist() == [0.5]
    assert average_state_dicts([a])["w"].tolist() == [1.0, 2.0]


def test_checkpoints_of_different_models_are_refused():
    a = {"w": torch.zeros(2, 3)}
    with pytest.raises(ValueError, match="other weights"):
        average_state_dicts([a, {"v": torch.zeros(2, 3)}])
    with pytest.raises(ValueError, match=r"w is \(3, 2\) in checkpoint 1"):
        average_state_dicts([a, {"w": torch.zeros(3, 2)}])
    with pytest.raises(ValueError, match="nothing to average"):
        average_state_dicts([])
