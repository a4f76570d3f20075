"""English to Spanish from the command line: one English line in, one Spanish line out.

    echo "The cat sleeps." | python -m model.translate [--beam N] [--checkpoint DIR]

For users and scripts: an empty line gives an empty line; a line longer than the model reads
is cut, with a warning on stderr; text the model cannot read gives an empty line and a
message on stderr, never a traceback. Output lines match input lines one to one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO


def translate_lines(
    lines: TextIO, out: TextIO, err: TextIO, beam: int = 4, checkpoint: str = ""
) -> int:
    """Translate every line of `lines` to `out`; warnings to `err`. Returns the exit code."""
    from model.core.errors import CheckpointError, InputError
    from model.tasks.translation import OurTranslator

    try:
        translator = OurTranslator.load(Path(checkpoint)) if checkpoint else OurTranslator.load()
    except CheckpointError as error:
        print(f"translate: {error}", file=err)
        return 1
    for number, line in enumerate(lines, start=1):
        text = line.rstrip("\r\n")
        spanish = ""
        if text.strip():
            try:
                result = translator.translate(text, beam=beam)
            except InputError as error:
                print(f"translate: line {number}: {error}", file=err)
            else:
                spanish = result.text
                for notice in result.notices:
                    print(f"translate: line {number}: {notice}", file=err)
        print(spanish, file=out, flush=True)
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m model.translate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--beam", type=int, default=4, help="beams (1: greedy); default 4")
    parser.add_argument("--checkpoint", default="", help="a checkpoint folder (default: shipped)")
    args = parser.parse_args(argv)
    if args.beam < 1:
        parser.error(f"--beam must be at least 1, not {args.beam}")
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    sys.exit(translate_lines(sys.stdin, sys.stdout, sys.stderr, args.beam, args.checkpoint))


if __name__ == "__main__":
    main()
