"""What one server process shares between requests: the open workspace, one lock around it, and results
computed once per data version.

The data version is the number of completed loads (a form submission is a load, so it moves the version
too). A page asks for a view; when the cache holds it for the current version it answers at once. While a
load holds the workspace, readers get the last computed result instead of waiting (pages answer fast while
loads run); a background thread recomputes the views after each version change.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from wanamaker.workspace import Workspace

T = TypeVar("T")


@dataclass
class Cached:
    version: int
    value: Any
    seconds: float


@dataclass
class WebState:
    ws: Workspace
    lock: threading.RLock = field(default_factory=threading.RLock)
    _cache: dict[tuple[Any, ...], Cached] = field(default_factory=dict)
    _version: int = -1
    _waiting: int = 0  # requests waiting for the workspace: the warm-up lets them go first
    _count_lock: threading.Lock = field(default_factory=threading.Lock)

    def _acquire(self) -> None:
        """Take the workspace for a request, counted as waiting meanwhile (see :meth:`warm`)."""
        with self._count_lock:
            self._waiting += 1
        try:
            self.lock.acquire()
        finally:
            with self._count_lock:
                self._waiting -= 1
    _checked: float = 0.0
    max_entries: int = 1024  # results kept (views per period label, drill-downs), least recently used dropped
    recheck_seconds: float = 2.0  # how often another process's loads are looked for (PostgreSQL, Spark)

    def version(self) -> int:
        """The data version; looked up at most every ``recheck_seconds`` and never while a load runs."""
        now = time.monotonic()
        if self._version >= 0 and now - self._checked < self.recheck_seconds:
            return self._version
        if not self.lock.acquire(blocking=self._version < 0):
            return self._version
        try:
            self._version = self._count_loads()
            self._checked = time.monotonic()
        finally:
            self.lock.release()
        return self._version

    def peek(self, key: tuple[Any, ...]) -> Any:
        """The cached value of ``key`` when it is current, without ever waiting or querying (None otherwise): the
        fast path of a request served on the event loop."""
        if self._version < 0 or time.monotonic() - self._checked >= self.recheck_seconds:
            return None
        hit = self._cache.get(key)
        if hit is None or hit.version != self._version:
            return None
        self._touch(key)
        return hit.value

    def _touch(self, key: tuple[Any, ...]) -> None:
        """Mark ``key`` as just used: the least recently used result is the first to go."""
        try:
            self._cache[key] = self._cache.pop(key)
        except KeyError:  # evicted by another thread meanwhile
            pass

    def _count_loads(self) -> int:
        if not self.ws.has_table("_loads"):
            return 0
        return int(self.ws.table("_loads").count().execute())

    def bump(self) -> None:
        """A load of this process finished: look again at the next request."""
        self._checked = 0.0

    def get(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """``compute()`` once per data version; a stale value while another request holds the workspace."""
        version = self.version()
        hit = self._cache.get(key)
        if hit is not None and hit.version == version:
            self._touch(key)
            return hit.value  # type: ignore[no-any-return]
        if hit is not None and not self.lock.acquire(blocking=False):
            return hit.value  # type: ignore[no-any-return]
        if hit is None:
            self._acquire()
        try:
            again = self._cache.get(key)
            if again is not None and again.version == version:
                return again.value  # type: ignore[no-any-return]
            start = time.perf_counter()
            value = compute()
            self._cache.pop(key, None)
            self._cache[key] = Cached(version, value, time.perf_counter() - start)
            while len(self._cache) > self.max_entries:  # the least recently used result goes first
                self._cache.pop(next(iter(self._cache)))
            return value
        finally:
            self.lock.release()

    def run(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` with the workspace to itself (loads, user changes)."""
        self._acquire()
        try:
            return fn()
        finally:
            self.lock.release()

    def warm(self, keys: list[tuple[tuple[Any, ...], Callable[[], Any]]]) -> threading.Thread:
        """Compute ``keys`` in the background (at start and after each new data version)."""

        def work() -> None:
            for key, compute in keys:
                while self._waiting:  # a request needs the workspace: it goes first (a lock is not fair)
                    time.sleep(0.02)
                try:
                    self.get(key, compute)
                except Exception:  # noqa: BLE001, S112 - a view that fails shows its error when asked for
                    continue

        thread = threading.Thread(target=work, name="wanamaker-warm", daemon=True)
        thread.start()
        return thread
