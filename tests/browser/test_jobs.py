"""A long analysis started in Chromium and abandoned: the visitor closes the tab while the
job runs, and the server stops it (Streamlit's runtime says the session is gone; the job's
next model call hears it) instead of computing on for nobody. A server of its own, every
analysis counted long (ATLAS_JOB_AFTER_S=0), a listed model's head atlas of 1,000
sentences as the job: had it run to the end, its atlas would be on the disk cache."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.browser.conftest import ARTIFACTS, _free_port, serve_process
from tests.browser.test_pages import wait_for_app


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle(pid: int, window: float = 1.0) -> bool:
    used, began = cpu_seconds(pid), time.monotonic()
    time.sleep(window)
    return (cpu_seconds(pid) - used) / (time.monotonic() - began) < 0.1


# Slow (about 15 s): its own server (jobs from the first second: ATLAS_JOB_AFTER_S=0), whose
# CPU must be seen idle once the tab closes; the shared server could not be judged so.
def test_closing_the_tab_stops_a_running_job(models_file, browser, tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "ATLAS_JOB_AFTER_S": "0", "ATLAS_HEAD_ATLAS_DIR": str(tmp_path)}  # fmt: skip
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "jobs-server.log", "w") as log:
        served = serve_process(_free_port(), env, log, ("--models", str(models_file)))
        url, server = next(served)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.set_default_timeout(120_000)
            page.goto(url)
            wait_for_app(page)
            page.locator("[data-testid='stSidebarNav'] a", has_text="Head atlas").first.click()
            wait_for_app(page)
            page.locator("[data-testid='stSelectbox']").filter(has_text="Model").first.click()
            page.get_by_role("option", name="tiny-gpt2 (listed: GPT-2)").click()
            wait_for_app(page)
            page.get_by_role("slider").last.press("End")  # 1,000 sentences
            wait_for_app(page)
            page.get_by_text("runs as a job").first.wait_for()
            page.get_by_role("button", name="Compute the atlas").click()
            page.get_by_role("button", name="Cancel").first.wait_for()  # the job's controls
            page.screenshot(path=str(ARTIFACTS / "job-running.png"))
            context.close()  # the visitor leaves while it runs
            deadline = time.monotonic() + 180
            while not idle(server.pid) and time.monotonic() < deadline:
                pass
            assert time.monotonic() < deadline, "the server kept computing after the tab closed"
            assert list(tmp_path.glob("*.npz")) == []  # stopped: nothing was finished
            log.flush()
        finally:
            served.close()
    assert "Traceback" not in (ARTIFACTS / "jobs-server.log").read_text()
