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

ALLOCATOR_ENV: dict[str, str] = {
    "MALLOC_MMAP_THRESHOLD_": str(1 << 30),  # serve blocks under 1 GiB from the heap
    "MALLOC_TRIM_THRESHOLD_": str(1 << 32),  # and keep freed heap memory for the next call
    "MALLOC_TOP_PAD_": str(1 << 28),  # grow the heap in 256 MiB steps
    "MALLOC_ARENA_MAX": "1",  # one heap for every thread: sessions reuse each other's memory
}
