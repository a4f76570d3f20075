"""Where rooms live: in this process's memory (the default), or in Redis when ATLAS_REDIS_URL
is set, so that students on any replica follow a lecturer on another.

A room holds view state only: the lecturer's page and that page's link parameters (the same
ones a shared link carries), a version that grows with each change, and when followers were
last seen (by a random id per browser session). Never a student's text: students only read.
Only the lecturer's session can change the view: it holds the presenter token, which is not
in the students' link; the room keeps only the token's hash. A room ends when its lecturer
closes it, or when nothing has been heard from the lecturer for ATLAS_ROOM_IDLE_MIN minutes.

A store can be lost and come back empty (Redis restarted, as compose runs it): the
lecturer's session then puts its room back under the same code (`reopen`), and followers,
who keep asking, find it again. A room its lecturer closed leaves a mark for CLOSED_S
(`RoomClosed`), so that followers can tell "closed" from "lost for a while".
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread on a projector
CODE_LENGTH = 6
REDIS_ENV = "ATLAS_REDIS_URL"
IDLE_ENV = "ATLAS_ROOM_IDLE_MIN"
FOLLOWER_TTL_S = 6.0  # a follower not seen for this long no longer counts
CLOSED_S = 600  # how long a closed room's code still says "closed" rather than "no room"


def idle_seconds() -> float:
    return 60.0 * float(os.environ.get(IDLE_ENV, "120"))


class RoomError(Exception):
    """What a visitor is told, as it is."""


class NoSuchRoom(RoomError):
    def __init__(self, code: str) -> None:
        super().__init__(
            f"There is no room {code!r}: check the code with your lecturer (it is "
            f"{CODE_LENGTH} letters and digits), or the room has ended."
        )


class RoomClosed(NoSuchRoom):
    def __init__(self, code: str) -> None:
        RoomError.__init__(self, f"The room {code} has been closed by its lecturer.")


class NotPresenter(RoomError):
    def __init__(self) -> None:
        super().__init__("Only the lecturer who opened this room can change its view.")


class StoreDown(RoomError):
    def __init__(self, error: Exception) -> None:
        super().__init__(
            f"The rooms' store cannot be reached ({type(error).__name__}): the room is "
            "paused, and everyone has their own view back."
        )


@dataclass(frozen=True)
class View:
    page: str  # the page's URL path ("" for home)
    params: dict[str, str]  # the page's link parameters
    version: int


@dataclass(frozen=True)
class Opened:
    code: str
    token: str  # the presenter token: only the lecturer's session holds it


def normalise(code: str) -> str:
    return "".join(code.split()).upper()


def well_formed(code: str) -> bool:
    """Whether a code (normalised) could name a room: CODE_LENGTH characters of ALPHABET.
    Only a well-formed code is looked up or shown back, so a link or a box never puts its
    own markup into the app's messages."""
    return len(code) == CODE_LENGTH and all(c in ALPHABET for c in code)


class NotACode(RoomError):
    def __init__(self) -> None:
        super().__init__(
            f"There is no room with that code: a room's code is {CODE_LENGTH} letters and "
            "digits (never 0, O, 1 or I), as the lecturer's screen shows it."
        )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


class Store(ABC):
    @abstractmethod
    def open(self) -> Opened: ...

    @abstractmethod
    def publish(self, code: str, token: str, page: str, params: dict[str, str]) -> int:
        """Set the room's view (a new version only when it changed); the lecturer's session
        calls this after each of its runs. Raises NoSuchRoom, NotPresenter, StoreDown."""

    @abstractmethod
    def reopen(self, code: str, token: str) -> None:
        """Put a room the store lost back under its code, for the token that opened it (a
        no-op while it is there). Raises NotPresenter (another room holds the code),
        RoomClosed (its lecturer closed it), StoreDown."""

    @abstractmethod
    def view(self, code: str) -> View:
        """Raises NoSuchRoom (RoomClosed when its lecturer closed it), StoreDown."""

    @abstractmethod
    def seen(self, code: str, follower: str) -> None:
        """A follower is still there."""

    @abstractmethod
    def gone(self, code: str, follower: str) -> None:
        """A follower left: it no longer counts, at once (not after FOLLOWER_TTL_S)."""

    @abstractmethod
    def followers(self, code: str) -> int: ...

    @abstractmethod
    def close(self, code: str, token: str) -> None: ...


@dataclass
class _Room:
    token_hash: str
    page: str = ""
    params: dict[str, str] = field(default_factory=dict)
    version: int = 0
    touched: float = field(default_factory=time.monotonic)
    followers: dict[str, float] = field(default_factory=dict)


class MemoryStore(Store):
    """Rooms in this process: every session of one server shares them."""

    def __init__(self) -> None:
        self._rooms: dict[str, _Room] = {}
        self._closed: dict[str, float] = {}  # code -> when its lecturer closed it
        self._lock = threading.Lock()

    def _room(self, code: str) -> _Room:
        room = self._rooms.get(normalise(code))
        if room is None or time.monotonic() - room.touched > idle_seconds():
            self._rooms.pop(normalise(code), None)
            if time.monotonic() - self._closed.get(normalise(code), -CLOSED_S) < CLOSED_S:
                raise RoomClosed(normalise(code))
            raise NoSuchRoom(code)
        return room

    def reopen(self, code: str, token: str) -> None:
        with self._lock:
            try:
                room = self._room(code)
            except RoomClosed:
                raise
            except NoSuchRoom:
                self._rooms[normalise(code)] = _Room(_hash(token))
                return
            if room.token_hash != _hash(token):
                raise NotPresenter()

    def open(self) -> Opened:
        token = secrets.token_urlsafe(24)
        with self._lock:
            code = _new_code()
            while code in self._rooms:
                code = _new_code()
            self._rooms[code] = _Room(_hash(token))
        return Opened(code, token)

    def publish(self, code: str, token: str, page: str, params: dict[str, str]) -> int:
        with self._lock:
            room = self._room(code)
            if room.token_hash != _hash(token):
                raise NotPresenter()
            room.touched = time.monotonic()
            if (room.page, room.params) != (page, params) or room.version == 0:
                room.page, room.params, room.version = page, dict(params), room.version + 1
            return room.version

    def view(self, code: str) -> View:
        with self._lock:
            room = self._room(code)
            return View(room.page, dict(room.params), room.version)

    def seen(self, code: str, follower: str) -> None:
        with self._lock:
            self._room(code).followers[follower] = time.monotonic()

    def gone(self, code: str, follower: str) -> None:
        with self._lock:
            room = self._rooms.get(normalise(code))
            if room is not None:
                room.followers.pop(follower, None)

    def followers(self, code: str) -> int:
        now = time.monotonic()
        with self._lock:
            room = self._room(code)
            room.followers = {f: t for f, t in room.followers.items() if now - t < FOLLOWER_TTL_S}
            return len(room.followers)

    def close(self, code: str, token: str) -> None:
        with self._lock:
            room = self._room(code)
            if room.token_hash != _hash(token):
                raise NotPresenter()
            del self._rooms[normalise(code)]
            self._closed[normalise(code)] = time.monotonic()


class RedisStore(Store):
    """Rooms in Redis: one hash per room (token hash, page, params, version) that expires
    after the idle time and is renewed by the lecturer, and a sorted set of followers by the
    time each was last seen."""

    def __init__(self, url: str) -> None:
        import redis

        self._errors: tuple[type[Exception], ...] = (redis.exceptions.RedisError, OSError)
        self._redis = redis.Redis.from_url(
            url, socket_timeout=1.0, socket_connect_timeout=1.0, decode_responses=True
        )

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self._redis, method)(*args, **kwargs)
        except self._errors as error:
            raise StoreDown(error) from error

    @staticmethod
    def _key(code: str) -> str:
        return f"atlas:room:{normalise(code)}"

    def _fields(self, code: str) -> dict[str, str]:
        found = self._call("hgetall", self._key(code))
        if not found:
            if self._call("exists", f"{self._key(code)}:closed"):
                raise RoomClosed(normalise(code))
            raise NoSuchRoom(code)
        return found

    def reopen(self, code: str, token: str) -> None:
        key = self._key(code)
        if self._call("exists", f"{key}:closed"):
            raise RoomClosed(normalise(code))
        fields = {"token": _hash(token), "page": "", "params": "{}", "version": 0}
        if self._call("hsetnx", key, "token", fields["token"]):  # it was lost: put it back
            self._call("hset", key, mapping=fields)
        elif self._call("hget", key, "token") != _hash(token):
            raise NotPresenter()
        self._call("expire", key, int(idle_seconds()))

    def open(self) -> Opened:
        token = secrets.token_urlsafe(24)
        while True:
            code = _new_code()
            fields = {"token": _hash(token), "page": "", "params": "{}", "version": 0}
            if self._call("hsetnx", self._key(code), "token", fields["token"]):
                self._call("hset", self._key(code), mapping=fields)
                self._call("expire", self._key(code), int(idle_seconds()))
                return Opened(code, token)

    def publish(self, code: str, token: str, page: str, params: dict[str, str]) -> int:
        found = self._fields(code)
        if found["token"] != _hash(token):
            raise NotPresenter()
        key = self._key(code)
        encoded = json.dumps(params, sort_keys=True)
        version = int(found["version"])
        if (found["page"], found["params"]) != (page, encoded) or version == 0:
            self._call("hset", key, mapping={"page": page, "params": encoded})
            version = int(self._call("hincrby", key, "version", 1))
        self._call("expire", key, int(idle_seconds()))
        return version

    def view(self, code: str) -> View:
        found = self._fields(code)
        return View(found["page"], json.loads(found["params"]), int(found["version"]))

    def seen(self, code: str, follower: str) -> None:
        key = f"{self._key(code)}:followers"
        self._call("zadd", key, {follower: time.time()})
        self._call("expire", key, int(idle_seconds()))

    def gone(self, code: str, follower: str) -> None:
        self._call("zrem", f"{self._key(code)}:followers", follower)

    def followers(self, code: str) -> int:
        key = f"{self._key(code)}:followers"
        self._fields(code)  # the room is still there
        self._call("zremrangebyscore", key, "-inf", time.time() - FOLLOWER_TTL_S)
        return int(self._call("zcard", key))

    def close(self, code: str, token: str) -> None:
        if self._fields(code)["token"] != _hash(token):
            raise NotPresenter()
        self._call("delete", self._key(code), f"{self._key(code)}:followers")
        self._call("set", f"{self._key(code)}:closed", 1, ex=CLOSED_S)


_store: list[Store] = []
_store_lock = threading.Lock()


def store() -> Store:
    """The process's store: Redis when ATLAS_REDIS_URL is set, memory otherwise."""
    with _store_lock:
        if not _store:
            url = os.environ.get(REDIS_ENV, "").strip()
            _store.append(RedisStore(url) if url else MemoryStore())
        return _store[0]
