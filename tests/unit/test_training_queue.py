"""One training at a time, first come first served, at a lower priority; a stopped run gives
its turn back."""

import os
import threading
import time

import pytest

from app.serving import training_queue


def test_trainings_take_turns_in_arrival_order_and_report_their_place():
    order, places = [], {}
    first_in = threading.Event()
    release = threading.Event()

    def train(name, hold=None):
        def waiting(place):
            places.setdefault(name, []).append(place)

        with training_queue.turn(waiting, poll_s=0.01):
            order.append(name)
            if hold is not None:
                first_in.set()
                hold.wait(5)

    first = threading.Thread(target=train, args=("first", release))
    first.start()
    first_in.wait(5)
    second = threading.Thread(target=train, args=("second",))
    second.start()
    time.sleep(0.1)
    third = threading.Thread(target=train, args=("third",))
    third.start()
    time.sleep(0.1)
    assert order == ["first"] and training_queue.queued() == 3
    assert places["second"][-1] == 1 and places["third"][-1] == 2
    release.set()
    for thread in (first, second, third):
        thread.join(5)
    assert order == ["first", "second", "third"] and training_queue.queued() == 0
    assert "first" not in places  # nobody was ahead of it


def test_a_stopped_training_gives_its_turn_back():
    with pytest.raises(RuntimeError), training_queue.turn(lambda place: None):
        raise RuntimeError("Streamlit stops the run: the user clicked Cancel")
    assert training_queue.queued() == 0
    with training_queue.turn(lambda place: None):
        assert training_queue.queued() == 1


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="per-thread niceness is Linux's")
def test_the_training_thread_runs_at_a_lower_priority():
    seen = {}

    def train():  # in a thread of its own, as Streamlit runs each page run
        thread = threading.get_native_id()
        seen["before"] = os.getpriority(os.PRIO_PROCESS, thread)
        with training_queue.lowered_priority():
            seen["inside"] = os.getpriority(os.PRIO_PROCESS, thread)
            seen["main"] = os.getpriority(os.PRIO_PROCESS, os.getpid())

    worker = threading.Thread(target=train)
    worker.start()
    worker.join(5)
    assert seen["inside"] == min(19, seen["before"] + training_queue.NICE)
    assert seen["main"] == seen["before"]  # the serving threads keep their priority
