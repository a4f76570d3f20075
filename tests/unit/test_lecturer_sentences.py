"""What the generator of issue 32 writes by rule rather than by Apertium: English contractions,
Spanish enclitic pronouns with their written accent; and how a resumed translator gains the
opening marks "¿" and "¡" without losing what its other pieces mean."""

import pytest

from model.datasets.sentences.surface import _stress_kept, contract, enclitics


@pytest.mark.parametrize(
    ("full", "short"),
    [
        ("I do not like cold soup.", "I don't like cold soup."),
        ("It is raining again.", "It's raining again."),
        ("She does not eat meat.", "She doesn't eat meat."),
        ("They will not come.", "They won't come."),
        ("I cannot swim.", "I can't swim."),
        ("I am tired.", "I'm tired."),
        ("We are late.", "We're late."),
        ("Do not touch the dog!", "Don't touch the dog!"),
        ("He has not called.", "He hasn't called."),
        ("Is it cold?", "Is it cold?"),  # nothing to shorten
    ],
)
def test_contractions_as_people_write_them(full, short):
    assert contract(full) == short


@pytest.mark.parametrize(
    ("joined", "word"),
    [
        ("sienta+te", "siéntate"),
        ("ayuda+me", "ayúdame"),
        ("abre+la", "ábrela"),
        ("cierra+la", "ciérrala"),
        ("trae+me", "tráeme"),  # two strong vowels: two syllables
        ("busca+lo", "búscalo"),  # the u of "qu"/"gu" is no vowel
        ("lee+lo", "léelo"),
        ("ven+te", "vente"),  # one syllable: no accent
        ("pon+lo", "ponlo"),
    ],
)
def test_enclitics_keep_the_stress_where_it_was(joined, word):
    assert enclitics(f"¡{joined}!") == f"¡{word}!"


def test_a_form_already_accented_or_stressed_last_is_left_alone():
    assert _stress_kept("comprar") == "comprar"  # an infinitive: stressed last
    assert _stress_kept("está") == "está"


def test_a_resumed_tokenizer_gains_the_opening_marks_at_its_end(tmp_path):
    from tokenizers import Tokenizer

    from model.transformer.tokenizer import train_tokenizer, with_pieces

    texts = ["where is the cat?", "¿dónde está el gato?"] * 20 + ["hola!", "hello!"] * 20
    base = train_tokenizer([t.replace("¿", "") for t in texts], vocab_size=60)
    assert base.token_to_id("¿") is None
    grown, added = with_pieces(base, ["¿", "¡", "?"])
    assert added == ["¿", "¡"]  # "?" was there already
    size = base.get_vocab_size()
    assert grown.token_to_id("¿") == size and grown.token_to_id("¡") == size + 1
    for text in texts:  # every other piece keeps its id
        assert grown.encode(text.replace("¿", "")).ids == base.encode(text.replace("¿", "")).ids
    encoded = grown.encode("¿dónde está el gato?")
    assert "¿" in encoded.tokens and grown.decode(encoded.ids) == "¿dónde está el gato?"
    grown.save(str(tmp_path / "t.json"))  # and it survives a round trip
    assert Tokenizer.from_file(str(tmp_path / "t.json")).token_to_id("¡") == size + 1


def test_grown_weights_keep_every_old_row_and_copy_the_like_piece(tmp_path):
    import torch

    from model.training.translation import VOCABULARY_ROWS, load_grown
    from model.transformer.checkpoint import save_weights
    from tests.tiny import tiny_transformer

    small = tiny_transformer(src_vocab_size=22, tgt_vocab_size=22)
    save_weights(small, tmp_path / "w.safetensors")
    big = tiny_transformer(seed=1, src_vocab_size=24, tgt_vocab_size=24)
    load_grown(big, tmp_path / "w.safetensors", 22, like=[5, 7])
    old, new = small.state_dict(), big.state_dict()
    for name in VOCABULARY_ROWS:
        assert torch.equal(new[name][:22], old[name].half().float())
        shift = -4.0 if name == "generator.bias" else 0.0
        assert torch.equal(new[name][22:], old[name][[5, 7]].half().float() + shift)
    for name in old.keys() - set(VOCABULARY_ROWS):
        assert torch.equal(new[name], old[name].half().float()), name
