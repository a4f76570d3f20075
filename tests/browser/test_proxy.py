"""Scale-out, tested for real: two app processes behind Debian's nginx running
deploy/nginx/atlas.conf as it is (only its listen port and replica list are this test's).
A browser session stays on its replica through page loads and its websocket, and a second
session works too."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS, CHROMIUM, ROOT, _free_port, _serve
from tests.browser.test_pages import wait_for_app

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
replica = contextmanager(_serve)  # one app process, as the other browser tests serve it


def need(*paths: str) -> None:
    """Skip without a Debian package a test needs, except in CI, where it must be there."""
    for needed in paths:
        if not Path(needed).exists():
            if os.environ.get("CI") == "true":
                pytest.fail(f"{needed} is missing in CI: .ci/run should have installed it")
            pytest.skip(f"{needed} not installed (apt-get install {Path(needed).name})")


@pytest.fixture(scope="module")
def proxy_url(tmp_path_factory) -> Iterator[str]:
    need(CHROMIUM, NGINX)
    with behind_nginx(tmp_path_factory.mktemp("nginx")) as (url, _):
        yield url


@contextmanager
def behind_nginx(prefix: Path, **env: str) -> Iterator[tuple[str, list[str]]]:
    """Two app processes (with `env` added) behind Debian's nginx running
    deploy/nginx/atlas.conf: the proxy's URL and the replicas'."""
    (prefix / "conf.d").mkdir()
    (prefix / "logs").mkdir()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **env}
    ARTIFACTS.mkdir(exist_ok=True)
    with ExitStack() as stack:
        replicas = []
        for index in range(2):
            log = stack.enter_context(open(ARTIFACTS / f"replica-{index}.log", "w"))
            replicas.append(stack.enter_context(replica(_free_port(), env, log)))
        port = _free_port()
        site = (ROOT / "deploy" / "nginx" / "atlas.conf").read_text()
        assert "listen 8080;" in site
        (prefix / "conf.d" / "atlas.conf").write_text(
            site.replace("listen 8080;", f"listen 127.0.0.1:{port};")
        )
        (prefix / "conf.d" / "atlas-upstreams.inc").write_text(
            "".join(f"server {url.removeprefix('http://')};\n" for url in replicas)
        )
        (prefix / "nginx.conf").write_text(
            "worker_processes 1;\npid nginx.pid;\nerror_log logs/error.log;\n"
            "events { worker_connections 256; }\n"
            "http {\n  access_log logs/access.log;\n"
            "  client_body_temp_path tmp_body; proxy_temp_path tmp_proxy;\n"
            "  include conf.d/atlas.conf;\n}\n"
        )
        check = subprocess.run([NGINX, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
                               capture_output=True, text=True)  # fmt: skip
        assert check.returncode == 0, check.stderr
        nginx = subprocess.Popen(
            [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
            stderr=subprocess.PIPE,
        )
        stack.callback(nginx.wait, 10)
        stack.callback(nginx.terminate)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                if nginx.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start") from None
                time.sleep(0.2)
        yield url, replicas


def _session(browser, url: str, page_title: str | None = None):
    """A new browser session through the proxy; returns it and the replicas that answered
    its requests to the Streamlit server."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    answered: list[str] = []
    page.on(
        "response",
        lambda r: "/_stcore/" in r.url and answered.append(r.headers.get("x-atlas-replica", "")),
    )
    page.goto(url)
    wait_for_app(page)
    if page_title:
        page.locator("[data-testid='stSidebarNav'] a", has_text=page_title).first.click()
        wait_for_app(page)
    return context, page, answered


def test_a_session_stays_on_its_replica_and_others_are_served(proxy_url, browser):
    """`browser` is the suite's Chromium (one Playwright per run)."""
    first, page, answered = _session(browser, proxy_url, "BERT attention")
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 2",
        timeout=120_000,
    )
    box = page.get_by_label("Text")
    box.fill("Students in Lisbon read about Marie Curie.")
    box.press("Control+Enter")
    wait_for_app(page)
    page.get_by_text("Lisbon", exact=False).first.wait_for()
    page.reload()  # a reconnection keeps the cookie, so the same replica
    wait_for_app(page)
    cookie = {c["name"]: c["value"] for c in first.cookies()}.get("atlas_replica")
    assert cookie and answered and len(set(answered)) == 1, answered
    home = set(answered)

    others: set[str] = set()
    for _ in range(12):  # new sessions get new cookies, hence any replica
        context, other, seen = _session(browser, proxy_url)
        other.get_by_role("heading", name="Attention Atlas").first.wait_for()
        assert len(set(seen)) == 1, seen
        others |= set(seen)
        context.close()
        if others - home:
            break
    assert others - home, "every new session landed on the first session's replica"
    first.close()
