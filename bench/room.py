"""A lecture with a room, through the real servers: a lecturer presents a room and changes
the head `--changes` times while `--sessions` followers follow, spread over `--replicas`
servers sharing rooms through a real redis-server (Streamlit's own websocket protocol, each
follower polling as the browser does, after typing a text of its own; bench/classroom.py's
client and server). Each change is timed until every follower's page has rerun with it.
The last line is

    room: N followers, follow p95 X s, errors E, leaks L

--store-restart stops Redis after half the changes and starts it again, empty, as compose
would: every follower must follow again by itself (the line adds `store restart back max
R s`, timed from Redis's return), and the changes after it must reach everyone.

    python bench/room.py [--sessions 30] [--replicas 2] [--changes 20] [--store-restart]
    python bench/classroom.py --room ...   (the same)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time

from classroom import Outcome, Server, Student, free_port, percentile  # puts ROOT on the path

from model.core.runtime import ALLOCATOR_ENV

BACK_WAIT_S = 60.0  # how long followers are waited for after a store restart


LECTURER_TEXT = "The lecturer shows how attention heads read this sentence."  # no marker


class Follower(Student):
    """A student who types a text of their own, then joins the room by its code and lets the
    room's poll (a fragment the browser reruns every half second) drive their view."""

    def following(self) -> bool:
        """The last run said the room is followed (not paused, not left)."""
        return any("Following room" in t for t in self.texts) and not any(
            "Room paused" in t for t in self.texts
        )

    async def attend_room(self, code: str, changes: asyncio.Queue, done: dict) -> None:
        import websockets

        try:
            async with websockets.connect(
                self.url, subprotocols=["streamlit"], max_size=None, open_timeout=60
            ) as ws:
                await self.run(ws, "", {}, measured=False)
                await self.run(ws, "explorer", {}, measured=False)
                await self.run(ws, "explorer", {"ex_text": self.sentence(0)}, measured=False)
                await self.run(ws, "explorer", {"room_code": code, "room_join": True},
                               measured=False)  # fmt: skip
                done["joined"] += 1
                while not done["over"]:
                    poll = next(iter(self.polls), "")
                    if not poll:
                        self.outcome.errors.append(f"follower {self.index}: no room poll")
                        return
                    await asyncio.sleep(self.polls[poll])
                    await self.run(ws, self.page, {}, measured=False, fragment=poll)
                    restarted = done["restarted"]
                    if restarted and self.index not in done["back"] and self.following():
                        done["back"][self.index] = time.monotonic() - restarted
                    change = done["change"]
                    if change and change[0] in self.query and self.index not in change[2]:
                        change[2].add(self.index)
                        self.outcome.times.append(time.monotonic() - change[1])
        except (OSError, TimeoutError, KeyError) as error:
            self.outcome.errors.append(f"follower {self.index}: {type(error).__name__} {error}")


async def keep_counting(lecturer: Student, ws, lock: asyncio.Lock, done: dict) -> None:
    """The lecturer's browser reruns the Room panel's count every COUNT_S, as a real one
    does: it keeps the room alive and puts it back when the store returns empty."""
    while not done["over"]:
        poll = next(iter(lecturer.polls), "")
        await asyncio.sleep(lecturer.polls.get(poll, 2.0))
        if poll and not done["over"]:
            async with lock:
                await lecturer.run(ws, lecturer.page, {}, measured=False, fragment=poll)


async def store_restart(restart, done: dict, followers: int) -> None:
    """Redis lost mid-lecture, and back (empty, as compose restarts it) once every follower
    has seen the room paused; then each follower is timed until it follows again."""
    await asyncio.to_thread(restart, "stop")
    await asyncio.sleep(3.0)  # everyone is told; the lecturer's count retries
    await asyncio.to_thread(restart, "start")
    done["restarted"] = time.monotonic()
    until = time.monotonic() + BACK_WAIT_S
    while len(done["back"]) < followers and time.monotonic() < until:
        await asyncio.sleep(0.1)


async def room(urls: list[str], args: argparse.Namespace, restart=None) -> Outcome:
    """A lecturer on the first server opens a room and changes the view `args.changes`
    times; followers spread over the servers follow. Each change is timed until every
    follower has re-rendered it (its run finished with the new view in its link). With
    `restart` (a store restart), the store goes away after half the changes and comes back
    empty; each follower's way back is timed (`Outcome.back`)."""
    import re

    import websockets

    outcome = Outcome()
    # each follower's own text carries its marker; no other session may ever receive it (the
    # lecturer's text reaches every follower, as it should)
    markers = [f"zq{i:03d}x" for i in range(args.sessions)] + ["zqlecturerx"]
    lecturer = Student(args.sessions, urls[0], markers, outcome)
    async with websockets.connect(lecturer.url, subprotocols=["streamlit"], max_size=None) as ws:
        await lecturer.run(ws, "", {}, measured=False)
        await lecturer.run(ws, "explorer", {}, measured=False)
        states: dict[str, object] = {"ex_text": LECTURER_TEXT}
        await lecturer.run(ws, "explorer", states, measured=False)
        await lecturer.run(ws, "explorer", {**states, "room_open": True}, measured=False)
        found = re.search(r"Room \*\*([A-Z2-9]{6})\*\*", " ".join(lecturer.texts))
        if found is None:
            outcome.errors.append("lecturer: no room code shown")
            return outcome
        code = found.group(1)
        done: dict = {"joined": 0, "over": False, "change": None, "restarted": 0.0, "back": {}}
        followers = [Follower(i, urls[i % len(urls)], markers, outcome)
                     for i in range(args.sessions)]  # fmt: skip
        tasks = [asyncio.create_task(f.attend_room(code, asyncio.Queue(), done)) for f in followers]
        deadline = time.monotonic() + 120
        while done["joined"] < args.sessions and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        lock = asyncio.Lock()
        tasks.append(asyncio.create_task(keep_counting(lecturer, ws, lock, done)))
        rng = random.Random(1)
        head = 0
        for number in range(args.changes):
            if restart is not None and number == args.changes // 2:
                await store_restart(restart, done, done["joined"])
                outcome.back = list(done["back"].values())
                missing = done["joined"] - len(outcome.back)
                if missing:
                    outcome.errors.append(f"store restart: {missing} followers not back")
            head = (head + rng.randint(1, 11)) % 12
            await asyncio.sleep(1.0)
            seen: set[int] = set()
            done["change"] = (f"head={head}", time.monotonic(), seen)
            async with lock:
                await lecturer.run(ws, "explorer", {**states, "ex_head": str(head)},
                                   measured=False)  # fmt: skip
            states["ex_head"] = str(head)
            until = time.monotonic() + 10
            while len(seen) < done["joined"] and time.monotonic() < until:
                await asyncio.sleep(0.05)
            if len(seen) < done["joined"]:
                outcome.errors.append(
                    f"change {number + 1}: {done['joined'] - len(seen)} followers not within 10 s"
                )
        done["over"] = True
        await asyncio.gather(*tasks)
    return outcome


def room_main(args: argparse.Namespace) -> str:
    redis: list = []
    allocator = dict(ALLOCATOR_ENV)
    if args.replicas > 1:
        from tests.services import start_redis

        port = free_port()
        redis.append(start_redis(port))
        os.environ["ATLAS_REDIS_URL"] = f"redis://127.0.0.1:{port}/0"

    def restart(step: str) -> None:
        if step == "stop":
            redis[-1].terminate()
            redis[-1].wait(timeout=10)
        else:
            redis.append(start_redis(port))

    servers = [Server(free_port(), allocator) for _ in range(args.replicas)]
    try:
        outcome = asyncio.run(
            room([s.url for s in servers], args, restart if args.store_restart else None)
        )
    finally:
        for server in servers:
            server.stop()
        for process in redis:
            process.terminate()
    times = outcome.times
    for error in outcome.errors[:10]:
        print("error:", error)
    where = "one process" if args.replicas == 1 else f"{args.replicas} replicas with Redis"
    print(
        f"{args.changes} changes followed by {args.sessions} followers on {where}: seconds "
        f"from the lecturer's change to a follower's re-rendered view: p50 "
        f"{percentile(times, 50):.2f}, p95 {percentile(times, 95):.2f}, max "
        f"{max(times, default=float('nan')):.2f}"
    )
    line = (
        f"room: {args.sessions} followers, follow p95 {percentile(times, 95):.2f} s, "
        f"errors {len(outcome.errors)}, leaks {outcome.leaks}"
    )
    if args.store_restart:
        back = outcome.back
        print(
            f"store restart: {len(back)} of {args.sessions} followers following again, seconds "
            f"from the store's return: p50 {percentile(back, 50):.2f}, max "
            f"{max(back, default=float('nan')):.2f}"
        )
        line += f", store restart back max {max(back, default=float('nan')):.1f} s"
    print(line)
    return line


if __name__ == "__main__":
    from classroom import main

    main(["--room", *sys.argv[1:]])
