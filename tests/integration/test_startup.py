"""A lecture's first minute through the real server (bench/startup.py): 20 fresh starts, each
opened by three visitors at once (Home, then BERT attention) within its first seconds, while
it still loads its models. No page run may end in a traceback."""

import importlib.util
import sys

from tests.conftest import ROOT


def test_twenty_fresh_starts_show_no_traceback(capsys):
    sys.path.insert(0, str(ROOT / "bench"))  # bench/startup.py imports bench/classroom.py
    spec = importlib.util.spec_from_file_location("startup", ROOT / "bench" / "startup.py")
    startup = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(startup)
    line = startup.main(["--starts", "20"])
    assert line == "start-up: 20 fresh starts, tracebacks 0", capsys.readouterr().out
    assert capsys.readouterr().out.count("6 page runs") == 20  # every visitor was answered
