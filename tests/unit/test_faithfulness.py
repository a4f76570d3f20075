"""The faithfulness command's baselines and statistics (model/evaluation/faithfulness.py):
the model-free ranking of each task, the random one, and the bootstrap that decides which
methods beat the model-free ranking."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from model.core import attribution as at
from model.evaluation import faithfulness as fa


def subject(target, length: int = 8) -> at.Subject:
    special = [True] + [False] * (length - 2) + [True]
    return at.Subject(None, lambda b: b, target, None, torch.zeros(1, length, dtype=torch.long),
                      tuple(f"t{i}" for i in range(length)), tuple(not s for s in special), 0)  # type: ignore[arg-type]  # fmt: skip


def ranked(found: at.Subject, scores: np.ndarray) -> list[int]:
    return at.top_tokens(found, scores, 1.0)


def test_the_model_free_ranking_puts_what_the_output_is_about_first_then_its_neighbours():
    answer = subject(at.AnswerSpan(3, 4))
    assert fa.anchors(answer) == (3, 4)
    assert ranked(answer, fa.modelfree_scores(answer, (3, 4))) == [3, 4, 2, 5, 1, 6]
    entity = subject(at.LabelAt((5,), (1,)))
    assert ranked(entity, fa.modelfree_scores(entity, fa.anchors(entity)))[:3] == [5, 4, 6]
    step = subject(at.TokenAt(position=2, token=9))  # step 3 of 4: 3/4 of the way along
    assert fa.anchors(step, output_length=4) == (4,)  # removable 1..6: the 4th of them is 4
    assert fa.anchors(subject(at.TokenAt(position=9, token=9)), output_length=4) == (6,)


def test_random_rankings_differ_by_seed_and_repeat_with_it():
    found = subject(at.AnswerSpan(3, 4))
    first, again = fa.random_scores(found, 0), fa.random_scores(found, 0)
    assert np.array_equal(first, again) and not np.array_equal(first, fa.random_scores(found, 1))
    assert sorted(first) == list(range(8))


def test_the_bootstrap_interval_holds_the_mean_and_narrows_with_more_examples():
    rng = np.random.default_rng(3)
    few, many = rng.normal(0.2, 1.0, 20), rng.normal(0.2, 1.0, 2000)
    for values in (few, many):
        low, high = fa.interval(values)
        assert low < values.mean() < high
    assert np.diff(fa.interval(many)) < np.diff(fa.interval(few))
    assert np.isnan(fa.interval([1.0])).all()


def test_a_method_beats_the_model_free_ranking_only_by_more_than_the_spread(capsys):
    better, same, prior = fa.Row(), fa.Row(), fa.Row()
    rng = np.random.default_rng(0)
    for i in range(50):
        base = rng.uniform(0.2, 0.8)
        prior.add(i, (base,) * 3, (0.1,) * 3, 0.9)
        better.add(i, (base + 0.1,) * 3, (0.05 + rng.uniform(0, 0.01),) * 3, 0.9)
        same.add(i, (base + (0.1 if i % 2 else -0.1),) * 3, (0.1,) * 3, 0.9)  # as good
    difference, (low, high) = fa.beats(better, prior)
    assert difference == pytest.approx(0.1) and low > 0
    _, (low, high) = fa.beats(same, prior)
    assert low < 0 < high
    assert better.normalised[0] == pytest.approx(better.aopc(0) / 0.9)
    rows = {name: fa.Row() for name in [*fa.METHOD_ROWS, *fa.BASELINES]}
    rows["ig"], rows["attention"], rows["modelfree"], rows["random"] = better, same, prior, prior
    line = fa.report("qa", rows, 50)
    assert line.endswith("; beat modelfree: ig") and "flow -" in line
    printed = capsys.readouterr().out
    assert "beat modelfree on sufficiency (lower, interval below 0): ig\n" in printed
