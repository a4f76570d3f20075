"""Long analyses as jobs: progress heard through the model's hook points, a Cancel that
stops the work inside the model (forward and backward), one job at a time with the others
told their place, results into the analysis's cache."""

from __future__ import annotations

import threading

import pytest
import torch

from app.serving import jobs
from app.serving.budget_cache import BudgetCache
from model.core.errors import InputError
from model.core.watch import Cancelled, Progress, checkpoint, watching
from tests.tiny import tiny_hf


@pytest.fixture(scope="module")
def gpt2():
    return tiny_hf("gpt2")


def ids(batch: int = 1, length: int = 6) -> torch.Tensor:
    return torch.randint(0, 99, (batch, length))


def test_progress_counts_the_inputs_each_forward_pass_reads(gpt2):
    progress = Progress(total=7)
    with torch.no_grad(), watching(gpt2, progress):
        gpt2(ids(3))
        gpt2(ids(4))
    assert progress.done == 7 and progress.fraction == 1.0


def test_a_cancel_stops_the_computation_inside_the_next_layer(gpt2):
    progress = Progress(total=100)
    calls = []

    def cancel_after_first_layer(module, args, output):
        calls.append(1)
        progress.cancel()

    handle = gpt2.transformer.h[0].register_forward_hook(cancel_after_first_layer)
    try:
        with pytest.raises(Cancelled), torch.no_grad(), watching(gpt2, progress):
            gpt2(ids(2))
    finally:
        handle.remove()
    assert calls == [1] and progress.done == 2  # layer 1 never ran past its attention


def test_a_cancel_stops_a_backward_pass_too(gpt2):
    progress = Progress()
    with watching(gpt2, progress):
        loss = gpt2(ids()).logits.sum()
        progress.cancel("Stopped by the test.")
        with pytest.raises(Cancelled, match="Stopped by the test"):
            loss.backward()


def test_a_computation_nobody_waits_for_stops_itself(gpt2):
    left = threading.Event()
    progress = Progress(abandoned=left.is_set, every_s=0.0)
    with torch.no_grad(), watching(gpt2, progress):
        gpt2(ids())
        left.set()
        with pytest.raises(Cancelled, match="closed"):
            gpt2(ids())


def test_a_loop_that_is_no_model_call_checks_in_too(gpt2):
    progress = Progress()
    checkpoint()  # outside any watched block: nothing to stop
    with watching(gpt2, progress):
        progress.cancel()
        with pytest.raises(Cancelled):
            checkpoint()


def test_jobs_run_one_at_a_time_and_a_second_visitor_is_told_its_place(gpt2):
    cache: BudgetCache[int] = BudgetCache("test jobs", 1 << 20, size_of=lambda v: 8)
    release = threading.Event()

    def slow() -> int:
        with torch.no_grad():
            gpt2(ids())
        release.wait(timeout=30)
        return 1

    first = jobs.submit(("t", 1), "first", slow, gpt2, cache, inputs=1, estimate_s=10)
    second = jobs.submit(("t", 2), "second", lambda: 2, gpt2, cache, inputs=1, estimate_s=1)
    again = jobs.submit(("t", 2), "second", lambda: 3, gpt2, cache, inputs=1, estimate_s=1)
    assert again is second  # the same analysis asked twice is one job
    while first.state == "queued":
        threading.Event().wait(0.01)
    assert first.state == "running" and jobs.running() is first
    assert second.state == "queued" and jobs.place(second) == 1
    release.set()
    assert jobs.wait(("t", 2)).state == "done"
    assert cache.peek(("t", 1)) == 1 and cache.peek(("t", 2)) == 2


def test_a_cancelled_job_stops_and_the_next_one_runs(gpt2):
    cache: BudgetCache[int] = BudgetCache("test jobs", 1 << 20, size_of=lambda v: 8)
    started = threading.Event()

    def endless() -> int:
        with torch.no_grad():
            while True:  # stops only through its Cancel, heard in the model
                gpt2(ids())
                started.set()

    job = jobs.submit(("c", 1), "endless", endless, gpt2, cache, inputs=10, estimate_s=99)
    after = jobs.submit(("c", 2), "after", lambda: 5, gpt2, cache, inputs=1, estimate_s=1)
    assert started.wait(timeout=30)
    jobs.cancel(("c", 1))
    assert jobs.wait(("c", 1)).state == "cancelled" and job.progress.done >= 1
    assert jobs.wait(("c", 2)).state == "done" and cache.peek(("c", 2)) == 5
    assert after.state == "done" and ("c", 1) not in cache


def test_a_job_whose_input_is_refused_says_why(gpt2):
    cache: BudgetCache[int] = BudgetCache("test jobs", 1 << 20, size_of=lambda v: 8)

    def refuse() -> int:
        raise InputError("This input has 900 tokens; shorten the text.")

    jobs.submit(("r", 1), "refused", refuse, gpt2, cache, inputs=1, estimate_s=5)
    done = jobs.wait(("r", 1))
    assert done.state == "failed" and "shorten the text" in done.error
    jobs.forget(("r", 1))
    assert jobs.wait(("r", 1)) is None
