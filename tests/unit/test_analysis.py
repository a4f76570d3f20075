import networkx as nx
import numpy as np
import pytest

from model.analysis.attention import attention_flow, attention_rollout, head_statistics


def random_attention(layers=3, heads=2, n=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(n), size=(layers, heads, n))  # rows sum to 1


def residual_mixed(attention):
    mixed = attention.mean(1) + np.eye(attention.shape[-1])
    return mixed / mixed.sum(-1, keepdims=True)


def test_rollout_multiplies_residual_mixed_layers():
    attention = random_attention()
    a = residual_mixed(attention)
    rolled = attention_rollout(attention)
    np.testing.assert_allclose(rolled[0], a[0])
    np.testing.assert_allclose(rolled[2], a[2] @ a[1] @ a[0])
    np.testing.assert_allclose(rolled.sum(-1), 1.0)


def test_rollout_of_identity_attention_is_identity():
    n = 4
    attention = np.broadcast_to(np.eye(n), (2, 3, n, n))
    np.testing.assert_allclose(attention_rollout(attention)[-1], np.eye(n))


def test_flow_matches_networkx_max_flow():
    attention = random_attention(layers=2, n=4)
    a = residual_mixed(attention)
    graph = nx.DiGraph()
    for layer in range(2):
        for i in range(4):
            for j in range(4):
                graph.add_edge((layer + 1, i), (layer, j), capacity=a[layer, i, j])
    expected = np.array(
        [[nx.maximum_flow_value(graph, (2, i), (0, j)) for j in range(4)] for i in range(4)]
    )
    np.testing.assert_allclose(attention_flow(attention), expected, atol=1e-5)


def test_flow_refuses_long_inputs_with_a_clear_message():
    with pytest.raises(ValueError, match="limited to 8 tokens; this input has 9"):
        attention_flow(random_attention(n=9), max_tokens=8)


def test_shape_errors_are_clear():
    with pytest.raises(ValueError, match=r"\(layers, heads, n, n\)"):
        attention_rollout(np.ones((2, 3, 4)))


def test_head_statistics_on_known_patterns():
    n = 4
    uniform = np.full((n, n), 1 / n)
    diagonal = np.eye(n)
    first = np.zeros((n, n))
    first[:, 0] = 1  # everything on [CLS]
    attention = np.stack([uniform, diagonal, first])[None]  # (1 layer, 3 heads, n, n)
    stats = head_statistics(attention, special=[True, False, False, True])
    by_head = {s.head: s for s in stats}
    assert by_head[0].entropy == pytest.approx(2.0)  # log2(4) bits
    assert by_head[1].entropy == pytest.approx(0.0)
    assert by_head[1].mean_distance == pytest.approx(0.0)
    assert by_head[2].mean_distance == pytest.approx((0 + 1 + 2 + 3) / 4)
    assert by_head[2].special_share == pytest.approx(1.0)
    assert by_head[0].special_share == pytest.approx(0.5)
    assert by_head[1].special_share == pytest.approx(0.5)


def test_head_statistics_leave_out_padding_queries():
    attention = np.stack([np.eye(3), np.full((3, 3), 1 / 3)])[None, :]  # (1, 2, 3, 3)
    stats = head_statistics(attention, valid=[True, True, False])
    assert stats[0].mean_distance == 0.0


def test_the_sharpest_head_has_the_lowest_mean_entropy():
    from model.analysis.attention import sharpest_head

    rng = np.random.default_rng(0)
    attention = rng.random((2, 3, 4, 4))
    attention /= attention.sum(-1, keepdims=True)
    attention[1, 2] = np.eye(4)  # one-hot rows: 0 bits
    found = sharpest_head(attention)
    assert (found.layer, found.head) == (1, 2) and found.entropy == 0
