"""One training at a time per server, at a lower priority than everything that serves.

Fine-tuning (and "Watch attention form") uses every core it is given for as long as it
runs. So a training waits for its turn in a first-come queue (its page shows its place
and a Cancel button: any click on the page stops a run in Streamlit, a waiting one too),
and the thread that trains runs at a lower CPU priority (nice +10), so the sessions that
only read keep their share of the cores. The caps in steps and seconds are the page's.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

NICE = 10  # added to the training thread's niceness (Linux: per thread)

_lock = threading.Condition()
_tickets = itertools.count()
_waiting: list[int] = []  # tickets in arrival order; the first one trains


@contextmanager
def turn(on_wait: Callable[[int], None], poll_s: float = 0.5) -> Iterator[None]:
    """Wait for this training's turn, calling `on_wait(place)` (1: next) while waiting;
    then train inside the block at a lower priority. The turn is given back however the
    block ends (done, an error, or Streamlit stopping the run)."""
    with _lock:
        ticket = next(_tickets)
        _waiting.append(ticket)
    try:
        while True:
            with _lock:
                place = _waiting.index(ticket)
                if place == 0:
                    break
            on_wait(place)  # a Streamlit call: a click on the page stops the wait here
            with _lock:
                _lock.wait(timeout=poll_s)
        with lowered_priority():
            yield
    finally:
        with _lock:
            _waiting.remove(ticket)
            _lock.notify_all()


def queued() -> int:
    """How many trainings are running or waiting."""
    with _lock:
        return len(_waiting)


@contextmanager
def lowered_priority() -> Iterator[None]:
    """This thread at nice +NICE for the block (Linux sets niceness per thread)."""
    thread = threading.get_native_id()
    try:
        before = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, before + NICE))
    except (AttributeError, OSError):  # not Linux, or not allowed: train at normal priority
        before = None
    try:
        yield
    finally:
        if before is not None:
            # Raising a priority back needs a privilege not every server grants; the thread
            # then keeps the lower one, and Streamlit starts a new thread for each run.
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, thread, before)
