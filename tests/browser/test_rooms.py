"""A room across replicas, for real: Debian's redis-server, two app processes with
ATLAS_REDIS_URL behind nginx (deploy/nginx/atlas.conf), a lecturer through the proxy and a
student on each replica, in Chromium. Both students follow the lecturer's page, text and
head; the lecturer sees them counted; when Redis is lost, everyone is told at the top of the
page and keeps the view; when it comes back empty, the room goes on under the same code and
the students follow again, without a JavaScript error; a student who reloads counts once.
Screenshots: artifacts/room-*.png."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest

from app.rooms import store
from tests.browser.conftest import ARTIFACTS, CHROMIUM, Watched
from tests.browser.test_pages import record_timings, wait_for_app
from tests.browser.test_proxy import NGINX, behind_nginx, need
from tests.services import free_port, start_redis

TEXT = "Lecturers in Lisbon show attention heads to the class."
MEASURED: dict = {"followed": [], "live": None}  # for the module's `rooms:` line


@pytest.fixture(scope="module")
def room_servers(tmp_path_factory):
    """(the proxy's URL, the replicas' URLs, Redis's port, the Redis processes started)."""
    need(CHROMIUM, NGINX)
    port = free_port()
    started = [start_redis(port)]
    try:
        prefix = tmp_path_factory.mktemp("nginx-rooms")
        with behind_nginx(prefix, ATLAS_REDIS_URL=f"redis://127.0.0.1:{port}/0") as servers:
            yield (*servers, port, started)
    finally:
        for redis in started:
            redis.terminate()
            redis.wait(timeout=10)


def new_page(browser, url: str) -> tuple[object, Watched]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    watched = Watched(page)
    page.goto(url)
    wait_for_app(page)
    return context, watched


def head_param(page) -> str | None:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(page.url).query).get("head", [None])[0]


# Slow (about 27 s): three browsers across two replicas and Redis behind nginx, following a
# lecturer through each change; the servers are the module's, shared with its other tests.
def test_students_on_both_replicas_follow_a_lecturer(room_servers, browser):
    url, replicas, port, started = room_servers
    redis = started[0]
    lecturer_context, lecturer = new_page(browser, url)
    teacher = lecturer.page
    teacher.get_by_text("Room", exact=True).first.click()  # the sidebar's room panel
    teacher.get_by_role("button", name="Present to a room").click()
    wait_for_app(teacher)
    shown = teacher.get_by_text(re.compile(r"^Room [A-Z2-9]{6}")).first
    shown.wait_for()
    code = re.search(r"Room ([A-Z2-9]{6})", shown.inner_text()).group(1)
    assert f"?room={code}" in teacher.locator("[data-testid='stCode']").first.inner_text()
    teacher.locator("[data-testid='stSidebarNav'] a", has_text="Attention explorer").first.click()
    wait_for_app(teacher)
    box = teacher.get_by_label("Text", exact=True)
    box.fill(TEXT)
    box.press("Control+Enter")
    wait_for_app(teacher)

    students = [new_page(browser, f"{replica}/?room={code}") for replica in replicas]
    for _, watched in students:
        page = watched.page
        page.wait_for_function("() => location.pathname.endsWith('/explorer')", timeout=30_000)
        page.get_by_text("Following room").first.wait_for(timeout=30_000)
        page.wait_for_function(
            "(text) => [...document.querySelectorAll('textarea')].some(t => t.value === text)",
            arg=TEXT, timeout=30_000,
        )  # fmt: skip
    teacher.get_by_text("2 following").first.wait_for(timeout=30_000)

    # the lecturer picks head 5: each student's view follows
    teacher.locator("[data-testid='stSelectbox']").filter(has_text="Head").first.click()
    teacher.get_by_role("option", name="5", exact=True).click()
    began = time.monotonic()
    followed = []
    for _, watched in students:
        watched.page.wait_for_function(
            "() => new URL(location.href).searchParams.get('head') === '5'", timeout=30_000
        )
        followed.append(time.monotonic() - began)
    record_timings({"room: lecturer's head change to both replicas' students (s)": max(followed)})
    wait_for_app(teacher)
    teacher.screenshot(path=str(ARTIFACTS / "room-lecturer.png"))
    students[0][1].page.screenshot(path=str(ARTIFACTS / "room-student.png"))

    redis.terminate()  # Redis is lost mid-lecture
    redis.wait(timeout=10)
    teacher.get_by_text("Paused: the store cannot be reached").first.wait_for(timeout=30_000)
    for _, watched in students:
        watched.page.get_by_text("cannot be reached").first.wait_for(timeout=30_000)
        watched.page.get_by_text("Room paused").first.wait_for(timeout=30_000)
        assert head_param(watched.page) == "5"  # the view stays
        watched.assert_clean()

    started.append(start_redis(port))  # Redis is back, empty, as compose restarts it
    began = time.monotonic()
    # the room goes on: the lecturer counts followers again, each student follows again (both
    # panels said "Paused" while the store was lost; the notice that it is back lasts 8 s)
    teacher.get_by_text(re.compile(r"^\d+ following$")).first.wait_for(timeout=30_000)
    for _, watched in students:
        watched.page.get_by_text("Following room").first.wait_for(timeout=30_000)
    rejoined = time.monotonic() - began
    record_timings({"room: store restart to everyone following again (s)": rejoined})
    MEASURED["rejoin"] = rejoined
    MEASURED["followed"].append("Attention explorer")
    teacher.locator("[data-testid='stSelectbox']").filter(has_text="Head").first.click()
    teacher.get_by_role("option", name="7", exact=True).click()
    for _, watched in students:  # under the same code, without typing it again
        watched.page.wait_for_function(
            "() => new URL(location.href).searchParams.get('head') === '7'", timeout=30_000
        )
        watched.assert_clean()

    # a student reloads: the new session replaces the old one in the count at once (the old
    # one, no longer seen, would otherwise count until FOLLOWER_TTL_S has passed)
    reloaded = students[0][1].page
    reloaded.reload()
    reloaded.get_by_text("Following room").first.wait_for(timeout=30_000)
    counts = []
    for _ in range(int(store.FOLLOWER_TTL_S) + 2):  # the lecturer's count, each second
        counts.append(teacher.get_by_text(re.compile(r"^\d+ following$")).first.inner_text())
        teacher.wait_for_timeout(1000)
    # never both sessions (a slow reload may show "1 following" for a moment, and is allowed)
    assert "3 following" not in counts and counts[-1] == "2 following", counts
    for context, _ in [(lecturer_context, lecturer), *students]:
        context.close()


def follow_in_menu(page, title: str) -> None:
    page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    wait_for_app(page)


def test_students_follow_the_bert_page_and_a_task_page(room_servers, browser):
    """Every page writes its view into its link (app/kit/state.py): the BERT page's head and a
    task page's text reach students on both replicas, as the explorer's do."""
    url, replicas, _, _ = room_servers
    lecturer_context, lecturer = new_page(browser, url)
    teacher = lecturer.page
    teacher.get_by_text("Room", exact=True).first.click()
    teacher.get_by_role("button", name="Present to a room").click()
    wait_for_app(teacher)
    shown = teacher.get_by_text(re.compile(r"^Room [A-Z2-9]{6}")).first
    shown.wait_for()
    code = re.search(r"Room ([A-Z2-9]{6})", shown.inner_text()).group(1)
    students = [new_page(browser, f"{replica}/?room={code}") for replica in replicas]

    follow_in_menu(teacher, "BERT attention")
    teacher.locator("[data-testid='stSelectbox']").filter(has_text="Head").first.click()
    teacher.get_by_role("option", name="6", exact=True).click()
    for _, watched in students:  # the head the issue saw every student miss
        watched.page.wait_for_function(
            "() => location.pathname.endsWith('/bert_attention')"
            " && new URL(location.href).searchParams.get('head') === '6'", timeout=60_000
        )  # fmt: skip
    MEASURED["followed"].append("BERT attention")

    follow_in_menu(teacher, "Named entities")
    box = teacher.get_by_label("Text", exact=True)
    box.fill(TEXT)
    box.press("Control+Enter")
    wait_for_app(teacher)
    for _, watched in students:
        watched.page.wait_for_function(
            "(text) => location.pathname.endsWith('/ner') && "
            "[...document.querySelectorAll('textarea')].some(t => t.value === text)",
            arg=TEXT, timeout=60_000,
        )  # fmt: skip
        watched.assert_clean()
    MEASURED["followed"].append("Named entities")
    for context, _ in [(lecturer_context, lecturer), *students]:
        context.close()


LINKS = (
    "/?room=[CLICK](HTTPS://EXAMPLE.ORG)",
    "/?room=![X](HTTP://127.0.0.1:8899/PIXEL.PNG)",
    "/bert_attention?text=![X](HTTP://127.0.0.1:8899/PIXEL.PNG)&head=[CLICK](HTTPS://EXAMPLE.ORG)",
)
LIVE = """() => document.querySelectorAll(
    'a[href*="EXAMPLE.ORG" i], img[src*="8899"], img[src*="PIXEL" i]').length"""


def test_a_links_markup_never_becomes_a_live_link_or_image(room_servers, browser):
    url, _, _, _ = room_servers
    live = 0
    for link in LINKS:
        context, watched = new_page(browser, url + link)
        watched.page.wait_for_timeout(1000)
        live += watched.page.evaluate(LIVE)
        requested: list[str] = []  # anything asked of the pixel's address (not a URL naming it)
        watched.page.on(
            "request",
            lambda r, seen=requested: urlsplit(r.url).port == 8899 and seen.append(r.url),
        )
        watched.page.reload()
        wait_for_app(watched.page)
        live += len(requested)
        context.close()
    MEASURED["live"] = live
    assert live == 0
    followed = MEASURED["followed"]
    print(f"followed: {', '.join(followed)}")
    print(
        f"rooms: {len(followed)} of 3 pages followed, store restart rejoin "
        f"{MEASURED.get('rejoin', float('nan')):.1f} s, markup from links {live}"
    )
