"""The server gives back what a page run left: cyclic garbage is collected once it holds
enough bytes, and the free heap is returned (model/core/runtime.py)."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from model.core import runtime

pytestmark = pytest.mark.skipif(runtime._LIBC is None, reason="glibc's malloc only")


def test_a_cycle_holding_many_bytes_is_collected_and_its_memory_returned():
    gc.disable()  # as between two of Python's own collections
    try:
        runtime.tidy_after_run()  # the baseline: what is live now
        cycle: dict = {"data": np.ones(16 << 20)}  # 128 MB, in a reference cycle
        cycle["self"] = cycle
        before, _ = runtime.heap_mb()
        del cycle  # garbage now, but only a collection can free it
        assert runtime.heap_mb()[0] > before - 1
        done = runtime.tidy_after_run(collect_mb=64, keep_mb=1)
        assert done.startswith("collected")
        assert runtime.heap_mb()[0] < before - 100  # the 128 MB are gone
    finally:
        gc.enable()


def test_nothing_is_done_when_a_run_left_little():
    runtime.tidy_after_run(collect_mb=0, keep_mb=0)  # collect and return all
    assert runtime.tidy_after_run() == ""
