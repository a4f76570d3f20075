"""Long analyses as jobs, not page runs.

An explanation, a logit lens or a patching map of a large model takes tens of seconds. Run
inside a page's script, it would hold the page, could not be stopped, and would go on after
its visitor left. So an analysis estimated to take longer than ATLAS_JOB_AFTER_S (default 2
s) is a job:

- before it starts, the page says what it will cost (seconds scaled from the text's own
  measured forward pass, and the passes it makes) and offers Start;
- it runs in the process's one job thread, first come first served (a second visitor's
  job waits and is told its place), holding a model slot like any model call;
- while it runs, the page shows its progress (the model's calls, heard through its hook
  points: model.core.watch) and a Cancel that stops it within one layer's forward or
  backward pass; a job whose every visitor has closed the page stops the same way;
- its result goes into the analysis's cache, where the page reads it like any other.

Shorter analyses (the shipped models on texts a class types) run in the page as before.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import streamlit as st
from torch import nn

from app.serving.budget_cache import BudgetCache
from app.serving.slots import model_slot
from model.core.errors import InputError
from model.core.runtime import tidy_after_run
from model.core.watch import Cancelled, Progress, watching

T = TypeVar("T")
State = Literal["queued", "running", "done", "failed", "cancelled"]
AFTER_ENV = "ATLAS_JOB_AFTER_S"  # analyses estimated longer than this are jobs


def after_s() -> float:
    value = os.environ.get(AFTER_ENV, "")
    try:
        return float(value) if value else 2.0
    except ValueError:
        raise ValueError(f"{AFTER_ENV} must be a number of seconds, not {value!r}") from None


@dataclass
class Job:
    key: Hashable
    label: str
    estimate_s: float
    compute: Callable[[], Any]
    model: nn.Module | None
    cache: BudgetCache[Any]
    progress: Progress
    sessions: set[str] = field(default_factory=set)  # the visitors waiting for it
    state: State = "queued"
    error: str = ""
    submitted: float = field(default_factory=time.monotonic)
    started: float = 0.0
    finished: float = 0.0

    @property
    def elapsed(self) -> float:
        end = self.finished or time.monotonic()
        return end - (self.started or end)


@dataclass(frozen=True)
class Cost:
    """What a long analysis of a text costs: the model that runs (a job watches it), the
    text's tokens and one forward pass over it, measured (`sources.Run.forward_s`)."""

    model: nn.Module
    tokens: int
    forward_s: float

    def seconds(self, passes: float) -> float:
        return passes * self.forward_s


_lock = threading.Condition()
_jobs: dict[Hashable, Job] = {}  # every job not yet seen finished, by its key
_queue: list[Job] = []  # waiting, first come first
_worker: list[threading.Thread] = []


def place(job: Job) -> int:
    """1 for the next to run; 0 once it runs."""
    with _lock:
        return _queue.index(job) + 1 if job in _queue else 0


def known(key: Hashable) -> bool:
    """Whether a job of `key` is waiting, running, or finished and not yet forgotten."""
    with _lock:
        return key in _jobs


def running() -> Job | None:
    with _lock:
        return next((j for j in _jobs.values() if j.state == "running"), None)


def submit(
    key: Hashable,
    label: str,
    compute: Callable[[], T],
    model: nn.Module | None,
    cache: BudgetCache[T],
    inputs: int,
    estimate_s: float,
    session: str | None = None,
) -> Job:
    """Queue `compute` (once per key: a second visitor asking for the same one joins it)."""
    with _lock:
        job = _jobs.get(key)
        if job is None or job.state in ("done", "failed", "cancelled"):
            made: list[Job] = []  # the job, once made: its progress asks after its visitors
            progress = Progress(inputs, abandoned=lambda: bool(made) and _abandoned(made[0]))
            job = Job(key, label, estimate_s, compute, model, cache, progress)
            made.append(job)
            _jobs[key] = job
            _queue.append(job)
        if session:
            job.sessions.add(session)
        if not _worker:
            _worker.append(threading.Thread(target=_work, name="atlas-jobs", daemon=True))
            _worker[0].start()
        _lock.notify_all()
    return job


def cancel(key: Hashable) -> None:
    with _lock:
        job = _jobs.get(key)
        if job is None:
            return
        job.progress.cancel()
        if job in _queue:  # never started: gone at once
            _queue.remove(job)
            job.state, job.finished = "cancelled", time.monotonic()
        _lock.notify_all()


def forget(key: Hashable) -> None:
    """Drop a finished job's record (its result, if any, stays in its cache)."""
    with _lock:
        job = _jobs.get(key)
        if job is not None and job.state in ("done", "failed", "cancelled"):
            del _jobs[key]


def _abandoned(job: Job) -> bool:
    """Every visitor who asked for it has closed the page (a served app only: without
    Streamlit's runtime, as in tests and notebooks, nobody leaves)."""
    from streamlit import runtime

    with _lock:  # (a page adds its visitor from its own thread)
        visitors = list(job.sessions)
    if not visitors or not runtime.exists():
        return False
    live = runtime.get_instance()
    return not any(live.is_active_session(s) for s in visitors)


def _work() -> None:
    while True:
        with _lock:
            while not _queue:
                _lock.wait(timeout=30)
                if not _queue:
                    _worker.clear()  # (under the lock: the next submit starts a thread again)
                    return
            job = _queue.pop(0)
            job.state, job.started = "running", time.monotonic()
        state: State = "done"
        error = ""
        try:
            with model_slot(), contextlib.ExitStack() as watched:
                if job.model is not None:  # its calls report progress and hear Cancel
                    watched.enter_context(watching(job.model, job.progress))
                value = job.compute()
            job.cache.put(job.key, value)
        except Cancelled as stopped:
            state, error = "cancelled", str(stopped)
        except InputError as refused:
            state, error = "failed", str(refused)
        except Exception as failure:  # shown on the page; the worker goes on
            state, error = "failed", f"{type(failure).__name__}: {failure}"
        with _lock:
            job.state, job.error, job.finished = state, error, time.monotonic()
            job.compute = _spent  # the closure (and what it holds) can go
            _lock.notify_all()
        with contextlib.suppress(Exception):  # (the worker must outlive anything here)
            tidy_after_run()  # what its batches freed goes back to the system, as after a run


def _spent() -> None:
    raise RuntimeError("this job has run")


def wait(key: Hashable, timeout: float = 60.0) -> Job | None:
    """Until the job of `key` has finished (tests and the benchmark)."""
    end = time.monotonic() + timeout
    with _lock:
        while (job := _jobs.get(key)) is not None and job.state in ("queued", "running"):
            if not _lock.wait(timeout=max(0.0, end - time.monotonic())):
                break
        return _jobs.get(key)


# -- on a page ------------------------------------------------------------------------------
def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    return f"{seconds / 60:.0f} min"


def run(
    key: Hashable,
    label: str,
    compute: Callable[[], T],
    model: nn.Module | None,
    cache: BudgetCache[T],
    inputs: int,
    estimate_s: float,
    ui_key: str,
) -> T | None:
    """The analysis's result if it is ready (from its cache, or computed here when it is
    short); else the job's controls on the page (Start with its estimate, then progress and
    Cancel, or its place in the queue), and None. InputError from a short run is raised to
    the caller, as from any model call; a job's is shown here."""
    found = cache.peek(key)
    if found is not None:
        return found
    if model is None or estimate_s <= after_s():  # (the caller's spinner says what runs)
        with model_slot():
            return cache.get(key, compute)
    with _lock:
        job = _jobs.get(key)
    if job is not None and job.state == "done":  # its result was dropped from the cache since
        forget(key)
        job = None
    if job is None or job.state in ("failed", "cancelled"):
        if job is not None:
            st.info(job.error or "Stopped.")
        st.info(
            f"{label}: about {duration(estimate_s)} on this server ({inputs:,} passes through "
            "the model, scaled from this text's own forward pass). It runs as a job: you can "
            "watch its progress, keep exploring, or cancel it."
        )
        if not st.button("Start", key=f"{ui_key}_job_start", type="primary"):
            return None
        forget(key)
        job = submit(key, label, compute, model, cache, inputs, estimate_s, session())
    _follow(key, ui_key)
    return cache.peek(key) if job.state == "done" else None


def session() -> str | None:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


@st.fragment(run_every=1.0)
def _follow(key: Hashable, ui_key: str) -> None:
    """A job's progress, redrawn every second without rerunning the page; the page reruns
    once, to show the result, when the job is done."""
    with _lock:
        job = _jobs.get(key)
    if job is None:
        return
    if job.state in ("done", "failed", "cancelled"):
        st.rerun()  # the page shows the result, or why not and Start again
    visitor = session()
    if visitor:
        with _lock:
            job.sessions.add(visitor)
    if job.state == "queued":
        ahead = place(job)
        now = running()
        st.info(
            f"{job.label}: queued, place {ahead} (one analysis runs at a time on this server"
            + (f"; now running: {now.label}, {duration(now.elapsed)} so far" if now else "")
            + ")."
        )
    else:
        progress = job.progress
        left = max(0.0, job.estimate_s - job.elapsed)
        st.progress(
            progress.fraction,
            text=f"{job.label}: {progress.done:,} of {progress.total:,} passes, "
            f"{duration(job.elapsed)} so far, about {duration(left)} left",
        )
    st.button("Cancel", key=f"{ui_key}_job_cancel", on_click=cancel, args=(key,))
