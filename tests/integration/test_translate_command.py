"""`python -m model.translate`: one Spanish line per English line, for users and scripts,
with messages on stderr and never a traceback."""

import io
import subprocess
import sys

from model.translate import translate_lines
from tests.conftest import ROOT


def test_one_line_out_for_every_line_in_with_warnings_apart():
    lines = ["The cat sleeps.", "", "   ", "word " * 300, "<script>x</script>", "😀 שלום"]
    out, err = io.StringIO(), io.StringIO()
    code = translate_lines(io.StringIO("\n".join(lines) + "\n"), out, err, beam=1)
    assert code == 0
    written = out.getvalue().split("\n")[:-1]
    assert len(written) == len(lines)
    assert written[0] and written[1] == "" and written[2] == ""
    assert "line 4" in err.getvalue() and "dropped" in err.getvalue()  # the long line was cut
    assert "Traceback" not in err.getvalue()


def test_the_command_itself_reads_stdin_and_says_what_is_wrong(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "model.translate", "--beam", "2"],
        input="A bird sings in the tree.\n\nI would like a cup of coffee.\n",
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.split("\n")[:-1]) == 3 and done.stdout.split("\n")[1] == ""
    missing = subprocess.run(
        [sys.executable, "-m", "model.translate", "--checkpoint", str(tmp_path)],
        input="Hello.\n", capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.startswith("translate:")
