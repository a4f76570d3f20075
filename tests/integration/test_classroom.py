"""A short classroom through the real server (bench/classroom.py): every session gets its own
results, none sees another's text, nothing fails, with a fine-tune running meanwhile.
Times are the benchmark's business, never asserted here."""

import importlib.util
import re
import sys

from tests.conftest import ROOT


def _bench():
    spec = importlib.util.spec_from_file_location("classroom", ROOT / "bench" / "classroom.py")
    classroom = importlib.util.module_from_spec(spec)
    sys.modules["classroom"] = classroom  # its dataclasses look their module up
    spec.loader.exec_module(classroom)
    return classroom


# Slow (about 17 s): a real server and a class of visitors over Streamlit's websocket while
# one of them fine-tunes; what it checks (errors, leaks) needs them all at once.
def test_a_small_class_with_a_fine_tune_gets_no_errors_and_no_leaks(capsys):
    classroom = _bench()
    line = classroom.main(["--sessions", "4", "--arrival", "1", "--think", "0.2", "--finetune"])
    found = re.fullmatch(
        r"classroom: 4 sessions, p95 [\d.]+ s, errors (\d+), leaks (\d+), rss peak \d+ MB", line
    )
    assert found, line
    assert (found[1], found[2]) == ("0", "0"), capsys.readouterr().out
    assert "24 inputs from 4 sessions" in capsys.readouterr().out  # every input was answered


def test_a_session_that_disconnects_mid_run_harms_no_one():
    """A student closes the tab while the server works on their long text: the server stays
    up and the next student is served in full."""
    import asyncio
    import urllib.request

    import websockets

    classroom = _bench()
    server = classroom.Server(classroom.free_port())
    try:
        outcome = classroom.Outcome()

        async def leave_mid_run() -> None:
            student = classroom.Student(0, server.url, ["zq000x", "zq001x"], outcome)
            async with websockets.connect(
                student.url, subprotocols=["streamlit"], max_size=None
            ) as ws:
                await student.run(ws, "", {}, measured=False)
                await student.run(ws, "explorer", {}, measured=False)
                message = student.rerun_message("explorer", {"ex_text": "word " * 600})
                await ws.send(message)  # and the tab closes before the result comes back

        asyncio.run(leave_mid_run())
        asyncio.run(classroom.Student(1, server.url, ["zq000x", "zq001x"], outcome).attend(0, 0))
        with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=5) as response:
            assert response.status == 200
        assert outcome.errors == [] and outcome.leaks == 0
        assert len(outcome.times) == 6  # every input of the next student was answered
    finally:
        server.stop()
