"""A lecture hall at once: N students on one server, through the real server and the real
page scripts.

The app is started as `make run` starts it (same command, same allocator settings) on a
free port. Each student is a session speaking Streamlit's own websocket protocol (the
messages the browser sends and receives, without a browser's rendering, so the two cores
measure the server alone). Students arrive spread over `--arrival` seconds and each follows
the same script with sentences of their own, a second or so apart:

    open the app -> open the Attention explorer -> type a text -> change the layer ->
    change the head -> open Translation -> type an English sentence

(every tab of the explorer, the all-heads grid included, is computed on each run of the
page, so opening a tab asks nothing of the server). With --finetune one more session starts
a fine-tune on the example file before the students arrive.

Reported: p50, p95 and max seconds from an input to the end of the page's run (every
element of the result received); errors (exceptions in a page, failed or timed-out runs);
leaks (messages to one session that carry another session's text); and the server's RSS
at start, at peak and at the end. The last line is

    classroom: N sessions, p95 X s, errors E, leaks L, rss peak Y MB

    python bench/classroom.py [--sessions 30] [--arrival 20] [--finetune]

With --room (and its options), the room benchmark instead: a lecturer and followers
(bench/room.py, which says what it measures).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model.core.runtime import ALLOCATOR_ENV  # noqa: E402

SUBJECTS = ("The student", "My teacher", "A scientist", "The old painter", "Our neighbour")
VERBS = ("reads", "writes", "likes", "explains", "remembers")
OBJECTS = ("the long book", "a short letter", "the new theory", "an old song", "the map")
TIMEOUT = 300.0  # seconds a page run may take before it counts as an error


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Server:
    """The app, served as `make run` serves it, with its RSS sampled every 100 ms."""

    def __init__(
        self, port: int, allocator: dict[str, str] | None = None, log: str = "classroom-server.log"
    ) -> None:
        allocator = ALLOCATOR_ENV if allocator is None else allocator
        env = {**os.environ, **allocator, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        for name in set(ALLOCATOR_ENV) - set(allocator):  # glibc's own default for the rest
            env.pop(name, None)
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(ROOT / "bench" / log, "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "app.serve",
                "--server.port", str(port), "--server.address", "127.0.0.1",
                "--server.headless", "true", "--browser.gatherUsageStats", "false",
            ],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"no app: see bench/{log}") from None
                time.sleep(0.3)
        self.start = self.peak = rss_mb(self.process.pid)
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, rss_mb(self.process.pid))

    def stop(self) -> float:
        self._stop.set()
        self._sampler.join()
        end = rss_mb(self.process.pid)
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        return end


@dataclass
class Outcome:
    times: list[float] = field(default_factory=list)  # seconds per input
    errors: list[str] = field(default_factory=list)
    leaks: int = 0
    back: list[float] = field(default_factory=list)  # seconds from a store restart (room.py)


class Student:
    """One browser session: a websocket, the widget ids the server sent, the states set."""

    def __init__(self, index: int, url: str, markers: list[str], outcome: Outcome) -> None:
        self.index = index
        self.url = url.replace("http://", "ws://") + "/_stcore/stream"
        self.marker = markers[index]
        self.others = [m.encode() for i, m in enumerate(markers) if i != index]
        self.outcome = outcome
        self.pages: dict[str, str] = {}
        self.ids: dict[str, str] = {}  # widget key -> id
        self.query = ""
        self.page = ""  # the page the last run was on (its URL path)
        self.texts: list[str] = []  # Markdown the last run drew
        self.polls: dict[str, float] = {}  # fragments that rerun by themselves: id -> seconds

    def sentence(self, step: int) -> str:
        rng = random.Random(self.index * 100 + step)
        parts = (rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS))
        return f"{' '.join(parts)} with {self.marker}."

    def rerun_message(self, page: str, states: dict[str, object], fragment: str = "") -> bytes:
        """What the browser sends when a widget changes: a rerun with the widgets' values (or
        a fragment's own timed rerun)."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        message = BackMsg()
        message.rerun_script.query_string = self.query
        message.rerun_script.page_script_hash = self.pages.get(page, "")
        if fragment:
            message.rerun_script.fragment_id = fragment
            message.rerun_script.is_auto_rerun = True
        for key, value in states.items():
            widget = message.rerun_script.widget_states.widgets.add()
            widget.id = self.ids[key]
            if key.endswith("_go"):  # a button
                widget.trigger_value = bool(value)
            elif isinstance(value, bool):
                widget.bool_value = value
            elif isinstance(value, float):  # a slider
                widget.double_array_value.data.append(value)
            else:
                widget.string_value = str(value)
        return bytes(message.SerializeToString())

    def _remember(self, widget_id: str) -> None:
        if widget_id.startswith("$$ID-"):
            self.ids[widget_id.split("-", 2)[2]] = widget_id

    async def run(
        self, ws, page: str, states: dict[str, object], measured: bool, fragment: str = ""
    ) -> None:
        """Send a rerun and read every message until the run has finished (and the run it
        asked for, when it ended early for a rerun: a page switch, a fragment's st.rerun)."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        began = time.monotonic()
        self.texts = []
        await ws.send(self.rerun_message(page, states, fragment))
        while True:
            data = await asyncio.wait_for(ws.recv(), TIMEOUT)
            if any(other in data for other in self.others):
                self.outcome.leaks += 1
            forward = ForwardMsg()
            forward.ParseFromString(data)
            kind = forward.WhichOneof("type")
            if kind == "navigation":
                self.pages = {
                    p.url_pathname: p.page_script_hash for p in forward.navigation.app_pages
                }
            elif kind == "page_info_changed":
                self.query = forward.page_info_changed.query_string
            elif kind == "new_session":
                self.page = next((p.url_pathname for p in forward.new_session.app_pages
                                  if p.page_script_hash == forward.new_session.page_script_hash),
                                 self.page)  # fmt: skip
            elif kind == "auto_rerun":
                self.polls[forward.auto_rerun.fragment_id] = forward.auto_rerun.interval
            elif kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                element = forward.delta.new_element
                name = element.WhichOneof("type")
                inner = getattr(element, name)
                if name == "exception":
                    self.outcome.errors.append(f"student {self.index}: {inner.message[:200]}")
                elif name == "markdown":
                    self.texts.append(inner.body)
                self._remember(getattr(inner, "id", ""))
            elif kind == "delta" and forward.delta.WhichOneof("type") == "add_block":
                block = forward.delta.add_block  # tabs with a key are a widget too
                if block.WhichOneof("type") == "tab_container":
                    self._remember(block.tab_container.id)
            elif kind == "script_finished":
                if forward.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # the run it asked for follows
                if measured:
                    self.outcome.times.append(time.monotonic() - began)
                return

    async def attend(self, delay: float, think: float) -> None:
        import websockets

        await asyncio.sleep(delay)
        rng = random.Random(self.index)
        pause = lambda: asyncio.sleep(think * rng.uniform(0.5, 1.5))  # noqa: E731
        try:
            async with websockets.connect(
                self.url, subprotocols=["streamlit"], max_size=None, open_timeout=60
            ) as ws:
                await self.run(ws, "", {}, measured=False)
                await self.run(ws, "explorer", {}, measured=True)
                typed = self.sentence(0)
                steps: list[dict[str, object]] = [
                    {"ex_text": typed},
                    {"ex_text": typed, "ex_layer": str(1 + self.index % 5)},
                    {"ex_text": typed, "ex_layer": str(1 + self.index % 5),
                     "ex_head": str(self.index % 12)},
                ]  # fmt: skip
                for states in steps:
                    await pause()
                    await self.run(ws, "explorer", states, measured=True)
                if self.marker not in self.query:
                    self.outcome.errors.append(f"student {self.index}: own text not in the view")
                await pause()
                self.query = ""
                await self.run(ws, "translate", {}, measured=True)
                await pause()
                await self.run(ws, "translate", {"tr_text": self.sentence(1)}, measured=True)
        except (OSError, TimeoutError, KeyError) as error:
            self.outcome.errors.append(f"student {self.index}: {type(error).__name__} {error}")


async def finetune(url: str, outcome: Outcome, steps: float, seconds: float) -> None:
    """One more session fine-tunes on the example file, as a student clicking through would."""
    import websockets

    tuner = Student(-1, url, ["finetune"], outcome)
    tuner.others = []  # the students check for leaks; this session only trains
    async with websockets.connect(tuner.url, subprotocols=["streamlit"], max_size=None) as ws:
        await tuner.run(ws, "", {}, measured=False)
        await tuner.run(ws, "finetune", {}, measured=False)
        await tuner.run(ws, "finetune", {"ft_use_sample": True}, measured=False)
        states = {"ft_use_sample": True, "ft_steps": steps, "ft_seconds": seconds}
        await tuner.run(ws, "finetune", states, measured=False)
        began = time.monotonic()
        await tuner.run(ws, "finetune", {**states, "ft_go": True}, measured=False)
        print(f"fine-tune: {time.monotonic() - began:.0f} s on the server")


async def lecture(url: str, args: argparse.Namespace) -> Outcome:
    outcome = Outcome()
    markers = [f"zq{i:03d}x" for i in range(args.sessions)]
    students = [Student(i, url, markers, outcome) for i in range(args.sessions)]
    rng = random.Random(0)
    tasks = []
    if args.finetune:
        tasks.append(asyncio.create_task(finetune(url, outcome, 200.0, 120.0)))
        await asyncio.sleep(3)  # the fine-tune is under way when the class arrives
    tasks += [
        asyncio.create_task(s.attend(rng.uniform(0, args.arrival), args.think)) for s in students
    ]
    await asyncio.gather(*tasks)
    return outcome


def percentile(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else (values[0] if values else float("nan"))
    )


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--arrival", type=float, default=20.0, help="seconds students arrive over")
    parser.add_argument(
        "--think", type=float, default=1.0, help="seconds between a student's inputs"
    )
    parser.add_argument("--finetune", action="store_true", help="a fine-tune runs meanwhile")
    parser.add_argument("--room", action="store_true", help="a lecturer and followers")
    parser.add_argument("--replicas", type=int, default=1,
                        help="with --room: servers sharing rooms through Redis")  # fmt: skip
    parser.add_argument("--changes", type=int, default=20, help="with --room: the lecturer's")
    parser.add_argument(
        "--store-restart", action="store_true", help="with --room --replicas 2: Redis restarts"
    )
    args = parser.parse_args(argv)
    if args.store_restart and not (args.room and args.replicas > 1):
        parser.error("--store-restart needs --room and --replicas 2 or more (rooms in Redis)")
    if args.room:
        from room import room_main  # bench/room.py (this folder is on the path)

        return room_main(args)
    server = Server(free_port())
    try:
        began = time.monotonic()
        outcome = asyncio.run(lecture(server.url, args))
        wall = time.monotonic() - began
    finally:
        end = server.stop()
    times = outcome.times
    for error in outcome.errors[:10]:
        print("error:", error)
    print(
        f"{len(times)} inputs from {args.sessions} sessions in {wall:.0f} s"
        + (", a fine-tune running" if args.finetune else "")
        + f"; seconds from input to result: p50 {percentile(times, 50):.2f}, "
        f"p95 {percentile(times, 95):.2f}, max {max(times, default=float('nan')):.2f}"
    )
    print(f"server rss: start {server.start:.0f} MB, peak {server.peak:.0f} MB, end {end:.0f} MB")
    line = (
        f"classroom: {args.sessions} sessions, p95 {percentile(times, 95):.1f} s, "
        f"errors {len(outcome.errors)}, leaks {outcome.leaks}, rss peak {server.peak:.0f} MB"
    )
    print(line)
    return line


if __name__ == "__main__":
    main()
