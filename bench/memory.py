"""How much memory does one server hold? Measured where the users are: the app served as
`make run` serves it (same command, same allocator settings), driven through its real pages
over Streamlit's websocket protocol, the messages a browser sends and receives. No browser
renders here, so what is measured is the server alone (the layer skipped: the browser's own
memory, which is the visitor's machine's).

Visitors, one after another, each a session of its own:

  explorer  --texts distinct texts of about 512 tokens into the Attention explorer, each
            waiting for its result; text i opens tab i % 8, so every tab the page computes
            is computed, at the length that costs most
  inside    --steps steps of Inside the Transformer, each on a distinct sentence (MiniLM and
            the translator in turn), moving on with Next block
  tasks     --inputs distinct inputs into each task page: Translation, Named entities,
            Question answering (with --tensorflow, in PyTorch and TensorFlow both)

Then every session closes, and after --settle seconds the server's RSS (its process and any
children) is read again. Soak growth is the RSS at the end of the explorer's texts against
the RSS after their first fifth (the warm-up). The last line is

    memory: rss peak X MB through the pages, Y MB after the sessions closed, soak growth Z%

    python bench/memory.py [--texts 40] [--steps 30] [--inputs 40] [--settle 30]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from classroom import TIMEOUT, Server, Student, free_port  # noqa: E402

from app.kit.explore import TABS  # noqa: E402  (classroom puts the repository on the path)

SENTENCE = (
    "the quick brown fox jumps over lazy dogs near a river bank while students in Paris read "
    "old books about Marie Curie and the history of science in Europe"
)
WORDS = SENTENCE.split()
BUTTONS = ("arch_next", "arch_prev")


def tree_rss_mb(pid: int) -> float:
    """RSS of a process and its descendants, in MB."""
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:  # a thread may end between the listing and the read
                stack += [int(child) for child in task.read_text().split()]
            except OSError:
                continue
    return total


def text_of(words: int, seed: int) -> str:
    """About `words` MiniLM tokens of different words for each seed (no two texts alike)."""
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(words)) + f" {seed}"


class Visitor(Student):
    """A browser session that also presses buttons (a trigger, not a value)."""

    def __init__(self, index: int, url: str) -> None:
        from classroom import Outcome

        super().__init__(index, url, [f"visitor{i}" for i in range(index + 1)], Outcome())
        self.others = []  # one visitor at a time: nothing to leak into

    def is_button(self, key: str) -> bool:
        return key in BUTTONS

    def rerun_message(self, page: str, states: dict[str, object], fragment: str = "") -> bytes:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        pressed = {k: v for k, v in states.items() if self.is_button(k)}
        unpressed = {k: v for k, v in states.items() if k not in pressed}
        data = super().rerun_message(page, unpressed, fragment)
        message = BackMsg()
        message.ParseFromString(data)
        for key in pressed:
            widget = message.rerun_script.widget_states.widgets.add()
            widget.id = self.ids[key]
            widget.trigger_value = True
        return bytes(message.SerializeToString())


class Sampler:
    """The server's RSS every 100 ms; `peak` since the start."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = self.recent = tree_rss_mb(pid)  # recent: since the last `since()`
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def now(self) -> float:
        return tree_rss_mb(self.pid)

    def since(self) -> float:
        """The peak since the last call."""
        recent, self.recent = self.recent, self.now()
        return recent

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            now = self.now()
            self.peak, self.recent = max(self.peak, now), max(self.recent, now)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


async def session(url: str, index: int, steps) -> Visitor:  # type: ignore[no-untyped-def]
    """Open the app as a browser does, then run `steps(visitor, ws)`; the socket closes after."""
    import websockets

    visitor = Visitor(index, url)
    async with websockets.connect(
        visitor.url, subprotocols=["streamlit"], max_size=None, open_timeout=60
    ) as ws:
        await visitor.run(ws, "", {}, measured=False)
        await steps(visitor, ws)
    return visitor


async def explorer(
    url: str, texts: int, rss: Sampler, trail: list[float], peaks: dict[str, float]
) -> Visitor:
    async def steps(visitor: Visitor, ws) -> None:  # type: ignore[no-untyped-def]
        await visitor.run(ws, "explorer", {}, measured=True)
        for i in range(texts):
            states: dict[str, object] = {"ex_text": text_of(600, seed=i)}  # cut to 512 tokens
            rss.since()
            await visitor.run(ws, "explorer", states, measured=True)
            peaks["a new text"] = max(peaks.get("a new text", 0.0), rss.since())
            tab = TABS[i % len(TABS)]
            await visitor.run(ws, "explorer", {**states, "ex_tab": tab}, measured=True)
            peaks[tab] = max(peaks.get(tab, 0.0), rss.since())
            trail.append(rss.now())

    return await session(url, 0, steps)


async def inside(url: str, count: int) -> Visitor:
    async def steps(visitor: Visitor, ws) -> None:  # type: ignore[no-untyped-def]
        await visitor.run(ws, "architecture", {}, measured=True)
        for i in range(count):
            model = ("minilm", "translator")[i % 2]
            typed = f"{text_of(12, seed=500 + i)}."
            await visitor.run(ws, "architecture", {"arch_model": model}, measured=True)
            states = {"arch_model": model, "arch_text": typed}
            await visitor.run(ws, "architecture", states, measured=True)
            await visitor.run(ws, "architecture", {**states, "arch_next": True}, measured=True)

    return await session(url, 1, steps)


async def tasks(url: str, count: int, tensorflow: bool = False) -> Visitor:
    async def steps(visitor: Visitor, ws) -> None:  # type: ignore[no-untyped-def]
        for page in ("translate", "ner", "qa"):
            visitor.query = ""
            await visitor.run(ws, page, {}, measured=True)
            for i in range(count):
                sentence = f"{text_of(10, seed=900 + i)}."
                states: dict[str, object] = {
                    "translate": {"tr_text": sentence},
                    "ner": {"ner_text": f"Marie Curie met {sentence}"},
                    "qa": {
                        "qa_context": f"Marie went to Paris. {sentence}",
                        "qa_question": f"Where did Marie go {i}?",
                        # with --tensorflow: both frameworks, TensorFlow loaded in the server
                        **({"qa_framework": "Both"} if tensorflow else {}),
                    },
                }[page]
                await visitor.run(ws, page, states, measured=True)

    return await session(url, 2, steps)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=40, help="512-token texts, explorer")
    parser.add_argument("--steps", type=int, default=30, help="Inside the Transformer steps")
    parser.add_argument("--inputs", type=int, default=40, help="inputs per task page")
    parser.add_argument("--settle", type=float, default=30.0, help="seconds after closing")
    parser.add_argument("--tensorflow", action="store_true",
                        help="the QA inputs run in PyTorch and TensorFlow both")  # fmt: skip
    parser.add_argument(
        "--allocator", default="", help="NAME=VALUE,... instead of the served glibc settings "
        "(model/core/runtime.py); 'default' for glibc's own"
    )  # fmt: skip
    args = parser.parse_args(argv)
    allocator = None
    if args.allocator:
        pairs = [] if args.allocator == "default" else args.allocator.split(",")
        allocator = dict(pair.split("=", 1) for pair in pairs)
    server = Server(free_port(), allocator)
    rss = Sampler(server.process.pid)
    errors: list[str] = []
    try:
        start = rss.now()
        print(f"server rss at start (models loading or loaded): {start:.0f} MB")
        trail: list[float] = []
        peaks: dict[str, float] = {}
        began = time.monotonic()
        done = asyncio.run(explorer(server.url, args.texts, rss, trail, peaks))
        errors += done.outcome.errors
        warm = trail[max(0, len(trail) // 5 - 1)] if trail else start
        growth = 100 * (trail[-1] - warm) / warm if trail else 0.0
        print(
            f"explorer: {args.texts} texts of 512 tokens, every tab, in "
            f"{time.monotonic() - began:.0f} s; rss after the warm-up {warm:.0f} MB, at the "
            f"end {trail[-1] if trail else 0:.0f} MB, peak {rss.peak:.0f} MB\n"
            f"  rss after each text (MB): {' '.join(f'{r:.0f}' for r in trail)}\n"
            f"  peak while drawing (MB): {', '.join(f'{k} {v:.0f}' for k, v in peaks.items())}"
        )
        for what, visit in (
            (f"inside the transformer: {args.steps} steps", inside(server.url, args.steps)),
            (
                f"tasks: {args.inputs} inputs into each of 3 pages"
                + (" (QA in both frameworks)" if args.tensorflow else ""),
                tasks(server.url, args.inputs, args.tensorflow),
            ),
        ):
            began = time.monotonic()
            errors += asyncio.run(visit).outcome.errors
            print(
                f"{what} in {time.monotonic() - began:.0f} s; rss {rss.now():.0f} MB, "
                f"peak {rss.peak:.0f} MB"
            )
        time.sleep(args.settle)
        closed = rss.now()
    finally:
        rss.stop()
        server.stop()
    for error in errors[:10]:
        print("error:", error)
    if errors:
        raise SystemExit(f"{len(errors)} page runs failed (timeout {TIMEOUT:.0f} s)")
    line = (
        f"memory: rss peak {rss.peak:.0f} MB through the pages, {closed:.0f} MB after the "
        f"sessions closed, soak growth {growth:.1f}%"
    )
    print(line)
    return line


if __name__ == "__main__":
    main()
