import numpy as np
import pytest

from app.figures import attention_heatmap, token_labels


def test_heatmap_carries_the_matrix_and_labels():
    matrix = np.array([[0.9, 0.1], [0.25, 0.75]], dtype=np.float32)
    figure = attention_heatmap(matrix, ["[CLS]", "hi"], ["[CLS]", "hi"], title="Layer 0, head 1")
    trace = figure.data[0]
    np.testing.assert_array_equal(np.asarray(trace.z), matrix)
    assert list(trace.y) == ["0 [CLS]", "1 hi"]
    assert list(trace.x) == ["0 [CLS]", "1 hi"]
    assert "%{z:.3f}" in trace.hovertemplate
    assert figure.layout.title.text == "Layer 0, head 1"
    assert figure.layout.yaxis.autorange == "reversed"  # first query token on top


def test_repeated_tokens_get_their_own_rows():
    labels = token_labels(["the", "cat", "the"])
    assert len(set(labels)) == 3


def test_markup_in_tokens_is_escaped():
    (label,) = token_labels(["<img src=x onerror=alert(1)>"])
    assert "<" not in label and "&lt;img" in label


def test_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="2 query tokens"):
        attention_heatmap(np.zeros((3, 3)), ["a", "b"], ["a", "b", "c"], title="x")
