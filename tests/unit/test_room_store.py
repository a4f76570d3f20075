"""Rooms' store, in memory and in a real Redis (Debian's redis-server, started here): only
the presenter's token changes the view, versions grow only with a change, followers count
while they are seen, rooms end when closed or idle, a wrong code and a lost Redis say so."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from app.rooms import store as rs
from tests.services import free_port, start_redis


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    port = free_port()
    server = start_redis(port)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(params=["memory", "redis"])
def store(request) -> rs.Store:
    if request.param == "memory":
        return rs.MemoryStore()
    return rs.RedisStore(request.getfixturevalue("redis_url"))


def test_only_the_presenter_changes_the_view_and_versions_follow_changes(store):
    opened = store.open()
    assert len(opened.code) == rs.CODE_LENGTH and set(opened.code) <= set(rs.ALPHABET)
    assert opened.token not in opened.code
    assert store.publish(opened.code, opened.token, "explorer", {"head": "3"}) == 1
    assert store.publish(opened.code, opened.token, "explorer", {"head": "3"}) == 1  # same
    assert store.publish(opened.code, opened.token, "explorer", {"head": "4"}) == 2
    view = store.view(opened.code.lower())  # codes are read in any case
    assert (view.page, view.params, view.version) == ("explorer", {"head": "4"}, 2)
    with pytest.raises(rs.NotPresenter):
        store.publish(opened.code, "a guess", "home", {})
    with pytest.raises(rs.NotPresenter):
        store.close(opened.code, "a guess")
    assert store.view(opened.code).version == 2


def test_followers_count_while_seen(store, monkeypatch):
    opened = store.open()
    store.seen(opened.code, "a")
    store.seen(opened.code, "b")
    store.seen(opened.code, "a")
    assert store.followers(opened.code) == 2
    monkeypatch.setattr(rs, "FOLLOWER_TTL_S", 0.0)  # no one seen within the last 0 s
    assert store.followers(opened.code) == 0


def test_a_follower_who_leaves_drops_from_the_count_at_once(store):
    opened = store.open()
    for follower in ("a", "b"):
        store.seen(opened.code, follower)
    store.gone(opened.code, "a")
    store.gone(opened.code, "nobody")  # never seen: nothing to drop, no error
    assert store.followers(opened.code) == 1
    store.gone("ZZZZZZ", "b")  # a room that is not there: nothing to drop, no error


def test_a_room_ends_when_closed_and_a_wrong_code_says_so(store):
    opened = store.open()
    store.close(opened.code, opened.token)
    with pytest.raises(rs.NoSuchRoom, match="has been closed by its lecturer"):
        store.view(opened.code)
    with pytest.raises(rs.NoSuchRoom, match="check the code with your lecturer"):
        store.view("ZZZZZZ")


def test_a_closed_room_says_so_for_a_while_and_cannot_be_put_back(store):
    opened = store.open()
    store.close(opened.code, opened.token)
    with pytest.raises(rs.RoomClosed, match=f"The room {opened.code} has been closed"):
        store.view(opened.code)
    with pytest.raises(rs.RoomClosed):
        store.reopen(opened.code, opened.token)


def test_a_room_the_store_lost_goes_back_under_its_code_for_its_lecturer_only(store):
    opened = store.open()
    store.publish(opened.code, opened.token, "explorer", {"head": "3"})
    if isinstance(store, rs.MemoryStore):
        store._rooms.clear()  # as a restarted store: empty
    else:
        store._redis.flushdb()
    with pytest.raises(rs.NoSuchRoom) as lost:
        store.view(opened.code)
    assert not isinstance(lost.value, rs.RoomClosed)  # lost, not closed
    store.reopen(opened.code, opened.token)
    store.reopen(opened.code, opened.token)  # already there: nothing changes
    assert store.publish(opened.code, opened.token, "explorer", {"head": "3"}) == 1
    assert store.view(opened.code).params == {"head": "3"}
    with pytest.raises(rs.NotPresenter):
        store.reopen(opened.code, "a guess")  # the code is taken by that token now


def test_a_room_ends_after_its_idle_time(monkeypatch, redis_url):
    memory = rs.MemoryStore()
    opened = memory.open()
    monkeypatch.setenv(rs.IDLE_ENV, "0")
    with pytest.raises(rs.NoSuchRoom):
        memory.view(opened.code)
    monkeypatch.setenv(rs.IDLE_ENV, str(1 / 60))  # one second, as Redis expires keys
    redis = rs.RedisStore(redis_url)
    opened = redis.open()
    assert redis.view(opened.code).version == 0
    time.sleep(1.3)
    with pytest.raises(rs.NoSuchRoom):
        redis.view(opened.code)


def test_a_lost_redis_is_a_message_not_a_traceback():
    port = free_port()
    server = start_redis(port)
    store = rs.RedisStore(f"redis://127.0.0.1:{port}/0")
    opened = store.open()
    server.terminate()
    server.wait(timeout=10)
    with pytest.raises(rs.StoreDown, match="cannot be reached"):
        store.view(opened.code)
    with pytest.raises(rs.StoreDown):
        store.publish(opened.code, opened.token, "", {})


def test_a_redis_with_a_password_serves_rooms_only_to_those_who_give_it():
    port = free_port()
    server = start_redis(port, password="s3cret-for-the-class")
    try:
        opened = rs.RedisStore(f"redis://:s3cret-for-the-class@127.0.0.1:{port}/0").open()
        with pytest.raises(rs.StoreDown) as refused:  # no password: refused, and said plainly
            rs.RedisStore(f"redis://127.0.0.1:{port}/0").view(opened.code)
        with pytest.raises(rs.StoreDown):
            rs.RedisStore(f"redis://:a-guess@127.0.0.1:{port}/0").view(opened.code)
        assert "s3cret" not in str(refused.value)
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_store_is_chosen_by_the_environment(monkeypatch, redis_url):
    monkeypatch.setattr(rs, "_store", [])
    monkeypatch.delenv(rs.REDIS_ENV, raising=False)
    assert isinstance(rs.store(), rs.MemoryStore)
    monkeypatch.setattr(rs, "_store", [])
    monkeypatch.setenv(rs.REDIS_ENV, redis_url)
    assert isinstance(rs.store(), rs.RedisStore)
