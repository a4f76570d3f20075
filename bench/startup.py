"""A lecture's first minute: a fresh server, and a visitor who opens a chart page the moment
it answers.

Each of --starts rounds starts the app as `make run` starts it (same command, same allocator
settings), and as soon as its health check answers, a visitor (Streamlit's own websocket
protocol, as bench/classroom.py speaks it) opens Home and then BERT attention, whose
heatmap needs a model the server is still loading; three visitors at once, their arrival
spread over the server's first three seconds from one start to the next. A traceback is an
exception element in a page's run, or a run that failed or timed out. The last line is

    start-up: N fresh starts, tracebacks T

    python bench/startup.py [--starts 20]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "bench") not in sys.path:
    sys.path.insert(0, str(ROOT / "bench"))

import classroom  # noqa: E402

PAGES = ("", "bert_attention")  # Home (its preview heatmap), then the BERT page's heatmap
# A browser opens its websocket a moment after the page's HTML and scripts: the visits are
# spread over the server's first seconds, 0 to SPREAD after its health check answers.
SPREAD = 3.0
STEPS = 10  # arrival delays tried: start i arrives SPREAD * (i % STEPS) / STEPS after health
VISITORS = 3  # a lecturer and the first students


async def first_visits(url: str, outcome: classroom.Outcome, delay: float) -> None:
    """VISITORS at once, `delay` after the health check answered."""
    await asyncio.sleep(delay)
    await asyncio.gather(*(first_visit(url, outcome, i) for i in range(VISITORS)))


async def first_visit(url: str, outcome: classroom.Outcome, index: int) -> None:
    import websockets

    visitor = classroom.Student(index, url, [f"startup{i}" for i in range(VISITORS)], outcome)
    try:
        async with websockets.connect(
            visitor.url, subprotocols=["streamlit"], max_size=None, open_timeout=60
        ) as ws:
            for page in PAGES:
                await visitor.run(ws, page, {}, measured=True)
    except (OSError, TimeoutError, KeyError) as error:
        outcome.errors.append(f"{type(error).__name__} {error}")


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--starts", type=int, default=20)
    args = parser.parse_args(argv)
    tracebacks = 0
    for start in range(args.starts):
        began = time.monotonic()
        server = classroom.Server(classroom.free_port(), log="startup-server.log")
        answered = time.monotonic() - began
        outcome = classroom.Outcome()
        try:
            asyncio.run(first_visits(server.url, outcome, SPREAD * (start % STEPS) / STEPS))
        finally:
            server.stop()
        tracebacks += len(outcome.errors)
        for error in outcome.errors:
            print(f"start {start + 1}: {error}")
        slowest = max(outcome.times, default=float("nan"))
        print(
            f"start {start + 1}: health after {answered:.1f} s, {len(outcome.times)} page runs, "
            f"the slowest {slowest:.1f} s, errors {len(outcome.errors)}",
            flush=True,
        )
    line = f"start-up: {args.starts} fresh starts, tracebacks {tracebacks}"
    print(line)
    return line


if __name__ == "__main__":
    main()
