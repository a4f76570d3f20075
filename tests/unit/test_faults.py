"""Faults a server meets: missing or corrupt checkpoints, a full disk while saving, and a
crowd asking for the same long capture at once. Each gets a clear message or a bound."""

import errno
import threading
import time

import pytest
import torch

from model.core.errors import CheckpointError
from model.transformer import checkpoint
from model.transformer.tokenizer import train_tokenizer
from tests.tiny import tiny_transformer


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ckpt")
    tokenizer = train_tokenizer(["the cat sleeps", "el gato duerme"] * 20, vocab_size=60)
    model = tiny_transformer(src_vocab_size=60, tgt_vocab_size=60, d_model=8, n_heads=2, d_ff=16,
                             n_layers=1)  # fmt: skip
    checkpoint.save_checkpoint(model, tokenizer, directory)
    return directory


def test_a_missing_file_is_named_with_what_to_do(saved, tmp_path):
    for name in ("model.safetensors", "config.json", "tokenizer.json"):
        broken = tmp_path / name.replace(".", "_")
        broken.mkdir()
        for other in ("model.safetensors", "config.json", "tokenizer.json"):
            if other != name:
                (broken / other).write_bytes((saved / other).read_bytes())
        with pytest.raises(CheckpointError, match=f"{name} is missing.*python -m model.train"):
            checkpoint.load_checkpoint(broken)


def test_a_corrupt_file_says_so(saved, tmp_path):
    for name in ("model.safetensors", "config.json", "tokenizer.json"):
        broken = tmp_path / name.replace(".", "_")
        broken.mkdir()
        for other in ("model.safetensors", "config.json", "tokenizer.json"):
            (broken / other).write_bytes((saved / other).read_bytes())
        (broken / name).write_bytes(b"\x00garbage" * 10)
        with pytest.raises(CheckpointError, match="cannot be loaded"):
            checkpoint.load_checkpoint(broken)
    model, _ = checkpoint.load_checkpoint(saved)  # the intact one still loads
    assert model.config.d_model == 8


def test_a_full_disk_leaves_the_previous_checkpoint_whole(saved, tmp_path, monkeypatch):
    directory = tmp_path / "run"
    directory.mkdir()
    for name in ("model.safetensors", "config.json", "tokenizer.json"):
        (directory / name).write_bytes((saved / name).read_bytes())
    before = {p.name: p.read_bytes() for p in directory.iterdir()}
    model, tokenizer = checkpoint.load_checkpoint(directory)
    with torch.no_grad():
        next(model.parameters()).add_(1.0)  # a newer model to save

    def full_disk(state, name):
        with open(name, "wb") as handle:
            handle.write(b"half a file")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint, "save_file", full_disk)
    with pytest.raises(OSError, match="No space left"):
        checkpoint.save_checkpoint(model, tokenizer, directory)
    assert {p.name: p.read_bytes() for p in directory.iterdir()} == before  # no temp files
    checkpoint.load_checkpoint(directory)


def test_a_crowd_asking_for_one_capture_computes_it_once(monkeypatch):
    import dataclasses

    from app.serving import caches, sources

    calls = []

    def slow(text, pair=None, qkv=False):
        calls.append(text)
        time.sleep(0.3)
        return sources.Run(attention=None, dropped=0)

    monkeypatch.setitem(
        sources.SOURCES, "minilm", dataclasses.replace(sources.SOURCES["minilm"], run=slow)
    )
    monkeypatch.setattr(caches.CAPTURES, "size_of", lambda run: 1)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(caches.capture("minilm", "long")))
        for _ in range(200)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == ["long"] and len(results) == 200
    assert all(r is results[0] for r in results)
    caches.CAPTURES.discard(("minilm", "long", None))


def test_model_calls_beyond_the_slots_wait_their_turn(monkeypatch):
    import dataclasses

    from app.serving import caches, slots, sources

    running, most = [0], [0]
    lock = threading.Lock()

    def counted(text, pair=None, qkv=False):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return sources.Run(attention=None, dropped=0)

    monkeypatch.setitem(
        sources.SOURCES, "minilm", dataclasses.replace(sources.SOURCES["minilm"], run=counted)
    )
    monkeypatch.setattr(caches.CAPTURES, "size_of", lambda run: 1)
    threads = [
        threading.Thread(target=caches.capture, args=("minilm", f"text {i}")) for i in range(60)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 1 <= most[0] <= slots.SLOTS
    with slots.model_slot(), slots.model_slot():  # re-entrant within a thread
        pass
    for i in range(60):
        caches.CAPTURES.discard(("minilm", f"text {i}", None))
