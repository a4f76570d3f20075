"""The first model view, measured where the visitor is: Debian's Chromium against a fresh
server started as `make run` starts it (same command, same allocator settings).

Once the server says its models are loaded, a first visitor opens the home page, waits
until it is drawn (its preview heatmap included) and clicks BERT attention in the menu; the
time runs from the click to the heatmap drawn (Plotly's SVG in the page). Then a second
visitor, in a new browser context, does the same, and a third clicks as soon as home's run
has finished, before its chart is drawn: the browser then loads Plotly's 4.7 MB library
after the click, as it did for everyone before home had a chart. Each of --runs rounds
starts a new server. The last line is

    first view: X s from click to heatmap on a fresh server, Y s for a second visitor

(medians over the rounds).

    python bench/first_view.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model.core.runtime import ALLOCATOR_ENV  # noqa: E402
from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS, _free_port  # noqa: E402

HEATMAP = ".js-plotly-plot .main-svg"
LOADED = "models loaded"


def start_server(log_path: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, **ALLOCATOR_ENV, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    log = open(log_path, "w")  # noqa: SIM115 (closed with the process)
    server = subprocess.Popen(
        [
            sys.executable, "-m", "app.serve", "--server.port", str(port),
            "--server.address", "127.0.0.1", "--server.headless", "true",
            "--browser.gatherUsageStats", "false",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    began = time.monotonic()
    while LOADED not in log_path.read_text():
        if server.poll() is not None or time.monotonic() - began > 120:
            raise RuntimeError(f"the server did not load its models: see {log_path}")
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def visit(browser, url: str, read: bool = True) -> float:
    """Open home, then time a click on BERT attention until its heatmap is drawn. `read`:
    click once home is drawn whole and half a second has passed, as a visitor reading it;
    else click as soon as home's run has finished (its chart may still be loading)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(url)
    link = page.locator("[data-testid='stSidebarNav'] a", has_text="BERT attention").first
    link.wait_for()
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000
    )
    if read:
        page.wait_for_selector(HEATMAP, state="visible")  # home drawn whole, its preview too
        page.wait_for_timeout(500)
    began = time.monotonic()
    link.click()
    page.wait_for_selector(HEATMAP, state="visible")
    seconds = time.monotonic() - began
    context.close()
    return seconds


def main(argv: list[str] | None = None) -> str:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh servers, one after another")
    args = parser.parse_args(argv)
    firsts, seconds, hasty = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        for run in range(args.runs):
            server, url = start_server(ROOT / "bench" / "first-view-server.log")
            try:
                firsts.append(visit(browser, url))
                seconds.append(visit(browser, url))
                hasty.append(visit(browser, url, read=False))
            finally:
                server.terminate()
                server.wait(timeout=15)
            print(
                f"run {run + 1}: first visitor {firsts[-1]:.2f} s, second {seconds[-1]:.2f} s, "
                f"a third clicking before home's chart is drawn {hasty[-1]:.2f} s"
            )
        browser.close()
    print(
        f"clicking before home's chart is drawn: {statistics.median(hasty):.2f} s (the browser "
        "still loading its chart library, which home's preview otherwise loads while it is read)"
    )
    line = (
        f"first view: {statistics.median(firsts):.2f} s from click to heatmap on a fresh "
        f"server, {statistics.median(seconds):.2f} s for a second visitor"
    )
    print(line)
    return line


if __name__ == "__main__":
    main()
