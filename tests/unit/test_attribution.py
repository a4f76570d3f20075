"""Attribution (Captum) and faithfulness, correct by construction: completeness of integrated
gradients, a model that reads exactly one token, gradient x input by hand, and what removal
means."""

import numpy as np
import pytest
import torch
from torch import nn

from model.core import attribution as at


class OneToken(nn.Module):
    """Every position's logits are a function of the token at position 2 only."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.embed = nn.Embedding(12, 6)
        self.head = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))

    def get_input_embeddings(self) -> nn.Module:
        return self.embed

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        hidden = self.embed(input_ids)  # (batch, seq, 6)
        # row by row, so a batched call rounds exactly as a single one (a batched matmul may
        # differ in the last bit): then "exactly 0" is a property of occlusion, not of BLAS
        rows = [self.head(hidden[i : i + 1, 2:3]) for i in range(hidden.shape[0])]
        return torch.cat(rows).expand(-1, input_ids.shape[1], -1)  # (batch, seq, 3)


def one_token_subject() -> at.Subject:
    ids = torch.tensor([[1, 5, 7, 4, 9, 2]])
    tokens = ["[CLS]", "a", "b", "c", "d", "[SEP]"]
    special = [True, False, False, False, False, True]
    target = at.LabelAt(positions=(0,), labels=(1,))
    return at.Subject.of(OneToken().eval(), {"input_ids": ids}, target, tokens, special, 11)


@pytest.mark.parametrize("method", at.METHODS)
def test_a_model_reading_one_token_is_explained_by_that_token(method):
    subject = one_token_subject()
    found = at.attribute(subject, method=method)
    assert found.tokens == subject.tokens and found.scores.shape == (6,)
    assert int(np.argmax(np.abs(found.scores))) == 2
    others = np.delete(found.scores, 2)
    if method == "occlusion":
        assert np.all(others == 0.0)  # removing any other token changes nothing, exactly
    else:
        assert np.all(np.abs(others) < 1e-7)
    assert found.scores[0] == found.scores[5] == 0.0  # special tokens are never scored


def test_integrated_gradients_are_complete_within_their_delta(tiny_bert):
    ids = torch.tensor([[2, 17, 31, 44, 58, 3]])
    head = nn.Linear(32, 5)

    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert, self.head = tiny_bert, head

        def get_input_embeddings(self) -> nn.Module:
            return self.bert.get_input_embeddings()

        def forward(self, input_ids, attention_mask):
            return self.head(self.bert(input_ids, attention_mask=attention_mask)[0])

    inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    subject = at.Subject.of(
        Tagger().eval(), inputs, at.LabelAt((2, 3), (1, 4)), ["t"] * 6,
        [True, False, False, False, False, True], removed_id=4,
    )  # fmt: skip
    with torch.no_grad():
        gap = float(subject.forward(subject.ids) - subject.forward(subject.baseline))
    fixed = at.attribute(subject, method="ig", steps=1, tolerance=None)
    assert fixed.steps == 1 and fixed.change == pytest.approx(gap, abs=1e-5)
    assert float(fixed.scores.sum()) - gap == pytest.approx(fixed.delta, abs=1e-5)  # signed
    tolerance = fixed.relative_delta / 10  # tighter than one node reaches: the steps double
    found = at.attribute(subject, method="ig", steps=1, tolerance=tolerance)
    assert found.steps > 1 and at.converged(found.delta, gap, tolerance)
    assert float(found.scores.sum()) - gap == pytest.approx(found.delta, abs=1e-5)
    halved = at.attribute(subject, method="ig", steps=found.steps // 2, tolerance=None)
    assert not at.converged(halved.delta, gap, tolerance)  # it stopped at the first that did
    default = at.attribute(subject, method="ig")
    assert at.converged(default.delta, gap) and default.steps >= at.IG_STEPS


def test_integrated_gradients_stop_at_their_cap_and_say_so(monkeypatch):
    monkeypatch.setattr(at, "IG_MAX_STEPS", 4)
    found = at.attribute(one_token_subject(), method="ig", steps=1, tolerance=0.0)
    assert found.steps == 4 and found.relative_delta > 0  # never converged: capped, as said


def test_gradient_x_input_is_the_gradient_times_the_embedding(tiny_bert):
    ids = torch.tensor([[2, 17, 31, 44, 3]])
    inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    target = at.TokenAt(position=1, token=7)

    def logits(output):
        return output.last_hidden_state  # a stand-in output: position x hidden unit

    class Head(nn.Module):  # the BERT's hidden state read as logits
        def __init__(self) -> None:
            super().__init__()
            self.bert = tiny_bert

        def get_input_embeddings(self) -> nn.Module:
            return self.bert.get_input_embeddings()

        def forward(self, input_ids, attention_mask):
            return logits(self.bert(input_ids, attention_mask=attention_mask))

    model = Head().eval()
    subject = at.Subject.of(model, inputs, target, ["t"] * 5, [False] * 5, removed_id=4)
    found = at.attribute(subject, method="gradxinput")
    kept = {}

    def keep(module, args, output):
        output.retain_grad()
        kept["embedding"] = output

    handle = model.get_input_embeddings().register_forward_hook(keep)
    try:
        value = model(**inputs)[0, 1, 7]
        value.backward()
    finally:
        handle.remove()
    by_hand = (kept["embedding"].grad * kept["embedding"]).sum(-1)[0].detach().numpy()
    np.testing.assert_allclose(found.scores, by_hand, rtol=1e-5, atol=1e-7)


def test_faithfulness_of_the_right_ranking_and_of_a_wrong_one():
    subject = one_token_subject()
    right = np.array([0, 0.1, 5.0, 0.2, 0.3, 0])
    wrong = np.array([0, 5.0, -1.0, 4.0, 3.0, 0])
    good, bad = at.faithfulness(subject, right), at.faithfulness(subject, wrong)
    assert all(s == pytest.approx(0.0, abs=1e-12) for s in good.sufficiency)  # token 2 suffices
    assert all(c == good.comprehensiveness[0] for c in good.comprehensiveness)
    assert bad.comprehensiveness[:2] == (0.0, 0.0)  # 1 of 4, then 1 of 4: token 2 still there
    assert good.comprehensiveness_aopc != bad.comprehensiveness_aopc
    assert at.top_tokens(subject, right, 0.5) == [2, 4]  # half of the 4 removable tokens


def test_removal_replaces_with_the_mask_token_and_never_touches_specials():
    subject = one_token_subject()
    assert subject.removed([0, 2, 5]).tolist() == [[1, 5, 11, 4, 9, 2]]
    assert subject.baseline.tolist() == [[1, 11, 11, 11, 11, 2]]

    class Tok:
        mask_token_id, unk_token_id = None, 3

    assert at.removal_id(Tok()) == 3


def test_the_notebook_call_explains_an_encoded_text(tiny_bert, minilm):
    from model.hf.encoding import encode

    _, tokenizer = minilm
    encoded = encode(tokenizer, "the cat sat", limit=16)
    assert encoded.removed_id == tokenizer.mask_token_id

    class Reader(nn.Module):  # start and end logits from two hidden units
        def __init__(self) -> None:
            super().__init__()
            self.bert = tiny_bert

        def get_input_embeddings(self) -> nn.Module:
            return self.bert.get_input_embeddings()

        def forward(self, input_ids, attention_mask, token_type_ids):
            from types import SimpleNamespace

            ids = input_ids.clamp(max=119)  # the tiny BERT's vocabulary
            hidden = self.bert(ids, attention_mask=attention_mask)[0]
            return SimpleNamespace(start_logits=hidden[..., 0], end_logits=hidden[..., 1])

    found = at.attribute(Reader().eval(), encoded, at.AnswerSpan(1, 2), method="ig")
    assert found.tokens == encoded.tokens and found.delta is not None
    assert found.scores[0] == 0.0 and np.any(found.scores[1:-1] != 0)


@pytest.mark.parametrize("name", ["tiny-gpt2", "tiny-t5", "window-mistral", "bf16-llama"])
def test_listed_models_explain_what_they_write(models_file, name):
    """Decoder-only: the next token; encoder-decoder: a step it writes. Every explanation
    comes out on the prompt's tokens, and integrated gradients stay complete."""
    from model.analysis.explanations import explain
    from model.core.errors import InputError
    from model.hf import byo

    entries = {e.name: e for e in byo.read_models_file(models_file)}
    model, tokenizer, family = byo.load(entries[name])
    subject = byo.explain(model, tokenizer, family, "the cat sat on the mat", step=0)
    found = explain(subject, layer=1, head=0, steps=16)
    assert {"rollout", "integrated gradients", "occlusion"} <= set(found.rows)
    assert all(len(row) == len(subject.tokens) for row in found.rows.values())
    assert found.stack == ("cross" if family.kind == "seq2seq" else "decoder")
    with torch.no_grad():
        gap = float(subject.forward(subject.ids) - subject.forward(subject.baseline))
    total = float(found.rows["integrated gradients"].sum())
    assert total - gap == pytest.approx(found.delta, abs=1e-4)  # the delta, signed
    assert found.change == pytest.approx(gap, abs=1e-4) and found.steps >= 16
    with pytest.raises(InputError, match="beyond"):
        byo.explain(model, tokenizer, family, "the cat", step=99)


def test_a_bare_encoder_has_nothing_to_explain(models_file):
    from model.core.errors import InputError
    from model.hf import byo

    entries = {e.name: e for e in byo.read_models_file(models_file)}
    model, tokenizer, family = byo.load(entries["tiny-bert"])
    with pytest.raises(InputError, match="no output to explain"):
        byo.explain(model, tokenizer, family, "the cat")


class CasingOnly(nn.Module):
    """A tagger that reads only the casing class (token type) of the piece at position 2:
    the word pieces themselves are multiplied by zero."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.embeddings = CasingEmbeddings()
        self.head = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))

    def get_input_embeddings(self) -> nn.Module:
        return self.embeddings.words

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        hidden = self.embeddings(input_ids, token_type_ids)
        return self.head(hidden[:, 2:3]).expand(-1, input_ids.shape[1], -1)


class CasingEmbeddings(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.words, self.casing = nn.Embedding(12, 6), nn.Embedding(4, 6)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        return 0.0 * self.words(input_ids) + self.casing(token_type_ids)


def casing_subject(follow: dict[str, int] | None) -> at.Subject:
    ids = torch.tensor([[1, 5, 7, 4, 9, 2]])
    types = torch.tensor([[0, 0, 1, 0, 2, 0]])  # "Paris" at 2, an acronym at 4
    special = [True, False, False, False, False, True]
    return at.Subject.of(CasingOnly().eval(), {"input_ids": ids, "token_type_ids": types},
                         at.LabelAt((0,), (1,)), ["t"] * 6, special, 11, follow=follow)  # fmt: skip


def test_removal_takes_the_casing_with_the_token_and_every_method_credits_it():
    subject = casing_subject({"token_type_ids": 0})
    assert isinstance(subject.embedding, CasingEmbeddings)  # the layer that reads the casing
    p = subject.probabilities(torch.cat([subject.ids, subject.removed([2]), subject.removed([4])]))
    assert p[1] != p[0] and p[2] == p[0]  # removing the read token changes p, another does not
    for method in at.METHODS:
        found = at.attribute(subject, method=method)
        assert int(np.argmax(np.abs(found.scores))) == 2, method
        if method == "occlusion":
            assert np.all(np.delete(found.scores, 2) == 0.0)
        if method == "ig":
            assert at.converged(found.delta, found.change)
            assert found.scores[2] == pytest.approx(found.change, abs=1e-4)  # all of it
    measured = at.faithfulness(subject, np.eye(6)[2], fractions=(0.25,))
    assert measured.comprehensiveness[0] == pytest.approx(float(p[0] - p[1]))


def test_removal_that_leaves_the_casing_leaves_the_clue_in_place():
    """Without `follow`, as before: the word piece goes, its capital stays, nothing moves."""
    subject = casing_subject(None)
    found = at.attribute(subject, method="occlusion")
    assert np.all(found.scores == 0.0)
    with pytest.raises(ValueError, match="follow names inputs"):
        at.Subject.of(CasingOnly(), {"input_ids": subject.ids}, subject.target, ["t"] * 6,
                      [False] * 6, 11, follow={"token_type_ids": 0})  # fmt: skip


def test_a_tokenizer_without_a_mask_token_says_what_removal_falls_back_to():
    from types import SimpleNamespace

    def tokenizer(**ids):
        fields = {name: None for name in at.REMOVERS} | ids
        return SimpleNamespace(**fields, convert_ids_to_tokens=lambda i: f"<{i}>")

    assert at.removal(tokenizer(mask_token_id=7)) == at.Removal(7, "the mask token <7>")
    gpt2 = at.removal(tokenizer(eos_token_id=50256))  # GPT-2: an end token only
    assert gpt2.id == 50256
    assert gpt2.said == ("the end token <50256> (this tokenizer has no mask token and no "
                         "unknown token and no padding token)")  # fmt: skip
    with pytest.raises(ValueError, match="no mask, unknown, padding or end token"):
        at.removal(tokenizer())
