"""Caches bounded by bytes: eviction, idle expiry, one computation for concurrent requests,
and the sizes the app's caches count."""

import gc
import threading
import time

import pytest
import torch

from app.serving.budget_cache import MB, BudgetCache, budget_from_env, tensor_bytes


def sized(budget=100, **options):
    return BudgetCache("test", budget, size_of=len, **options)


def test_least_recently_used_entries_go_first_until_the_bytes_fit():
    cache = sized(10)
    cache.put("a", "xxxx")
    cache.put("b", "xxxx")
    assert cache.peek("a") == "xxxx"  # a is now the most recent
    cache.put("c", "xxxx")  # 12 bytes > 10: b, the least recent, goes
    assert "b" not in cache and "a" in cache and "c" in cache
    assert cache.nbytes == 8 <= cache.budget
    assert cache.put("huge", "x" * 11) is False and "huge" not in cache  # never kept
    assert cache.nbytes == 8
    cache.put("a", "xx")  # replacing an entry counts its new size only
    assert cache.nbytes == 6
    cache.discard("a")
    assert cache.nbytes == 4 and len(cache) == 1


def test_idle_entries_expire():
    now = [0.0]
    cache = sized(max_idle_s=60, clock=lambda: now[0])
    cache.put("old", "x")
    now[0] = 30
    cache.put("new", "y")
    now[0] = 61
    assert cache.peek("old") is None and cache.peek("new") == "y"
    now[0] = 120  # "new" was used at 61: still fresh
    assert "new" in cache
    now[0] = 200
    assert len(cache) == 1 and "new" not in cache and cache.nbytes == 0


def test_concurrent_requests_for_one_key_compute_it_once():
    cache = sized()
    calls = []
    started = threading.Event()

    def compute():
        calls.append(1)
        started.set()
        time.sleep(0.2)
        return "value"

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", compute)))]
    threads[0].start()
    started.wait()
    threads += [threading.Thread(target=lambda: results.append(cache.get("k", compute)))
                for _ in range(20)]  # fmt: skip
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [1] and results == ["value"] * 21


def test_an_error_reaches_every_waiter_and_nothing_is_kept():
    cache = sized()
    with pytest.raises(ValueError, match="bad text"):
        cache.get("k", lambda: (_ for _ in ()).throw(ValueError("bad text")))
    assert "k" not in cache
    assert cache.get("k", lambda: "fine") == "fine"  # the next request computes again


def test_a_value_that_cannot_be_sized_fails_every_waiter_instead_of_hanging():
    cache = BudgetCache("test", 100, size_of=lambda value: value.missing)
    started = threading.Event()
    errors = []

    def compute():
        started.set()
        time.sleep(0.1)
        return "no size"

    def ask():
        try:
            cache.get("k", compute)
        except AttributeError as error:
            errors.append(error)

    first = threading.Thread(target=ask)
    first.start()
    started.wait()
    others = [threading.Thread(target=ask) for _ in range(5)]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(timeout=10)
    assert len(errors) == 6 and "k" not in cache


def test_tensor_bytes_counts_each_storage_once():
    a = torch.zeros(100, 100)  # 40,000 bytes
    assert tensor_bytes([a, a[:10], a.T]) == 40_000
    mask = torch.ones(1, 1, 1, 64, dtype=torch.bool).expand(2, 4, 64, 64)
    assert tensor_bytes([mask]) == 64  # an expanded view holds its small storage only
    assert tensor_bytes([a, torch.zeros(10)]) == 40_040


def test_budgets_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("ATLAS_TEST_MB", "1.5")
    assert budget_from_env("ATLAS_TEST_MB", 9) == int(1.5 * MB)
    monkeypatch.delenv("ATLAS_TEST_MB")
    assert budget_from_env("ATLAS_TEST_MB", 9) == 9 * MB
    monkeypatch.setenv("ATLAS_TEST_MB", "lots")
    with pytest.raises(ValueError, match="megabytes"):
        budget_from_env("ATLAS_TEST_MB", 9)


def test_a_sessions_tuned_copy_goes_when_its_session_state_does():
    from app.serving import tuned

    ticket = tuned.Ticket()
    copy = tuned.Tuned("ner", torch.nn.Linear(64, 64), [1.0], "note")
    assert tuned.TUNED.put(ticket.key, copy)
    assert tuned.TUNED.peek(ticket.key) is copy
    assert tuned.model_bytes(copy) == (64 * 64 + 64) * 4
    key = ticket.key
    del ticket  # Streamlit drops a session's state when the session ends
    gc.collect()
    assert tuned.TUNED.peek(key) is None


def test_the_explorer_cache_counts_what_a_capture_holds():
    from app.serving import caches, sources
    from model.core.capture import AttentionCapture, AttentionRecord

    probs = torch.rand(1, 2, 5, 5)
    q = torch.rand(1, 2, 5, 4)
    att = AttentionCapture(records=(AttentionRecord("encoder", 0, 0, probs, 0.5, q=q),))
    run = sources.Run(att, dropped=0)
    assert caches.CAPTURES.size_of(run) == probs.nbytes + q.nbytes


def test_every_cache_of_the_app_is_in_the_report():
    """Each cache registers itself: the report names the beam trees and the fine-tuned
    copies too (a hand-kept list once missed them), and a cache no one holds leaves it."""
    from app.serving import budget_cache, caches, tuned

    names = {cache.name for cache in budget_cache.every_cache()}
    assert {c.name for c in (caches.CAPTURES, caches.BATCHES, caches.FLOWS, caches.ANATOMIES,
                             caches.BEAM_TREES, tuned.TUNED)} <= names  # fmt: skip
    report = budget_cache.report()
    assert "beam trees: " in report
    assert "fine-tuned models: " in report and "captures: " in report
    passing = BudgetCache("a passing cache", MB, size_of=lambda v: 1)
    assert "a passing cache" in budget_cache.report()
    del passing
    gc.collect()
    assert "a passing cache" not in budget_cache.report()
