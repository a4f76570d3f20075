"""A lecture's first minute through the real server (bench/startup.py): fresh starts, each
opened by three visitors at once (Home, then BERT attention) within its first seconds, while
it still loads its models. No page run may end in a traceback.

Ten starts, not the benchmark's twenty: the visitors' arrival is spread over the server's
first three seconds in ten steps (0, 0.3 ... 2.7 s after its health check), and ten starts
take each step once; each start costs about 7 s, the suite's slowest test at twenty (145 s).
`python bench/startup.py --starts 20` takes every step twice."""

import importlib.util
import sys

from tests.conftest import ROOT


def test_ten_fresh_starts_show_no_traceback(capsys):
    sys.path.insert(0, str(ROOT / "bench"))  # bench/startup.py imports bench/classroom.py
    spec = importlib.util.spec_from_file_location("startup", ROOT / "bench" / "startup.py")
    startup = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(startup)
    line = startup.main(["--starts", str(startup.STEPS)])
    out = capsys.readouterr().out
    assert line == f"start-up: {startup.STEPS} fresh starts, tracebacks 0", out
    assert out.count("6 page runs") == startup.STEPS  # every visitor was answered
