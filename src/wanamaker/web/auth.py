"""Sessions, CSRF tokens, the login rate limit and the role x route policy of ``wanamaker serve``.

Sessions are server-side: the cookie holds only a random 256-bit token; the server keeps who it is, the
role, the CSRF token and the expiry (idle and absolute). Every state-changing request carries the
session's CSRF token in a form field (checked in constant time); the login form, before any session,
uses a double-submit token in its own cookie. Failed logins are limited per username and per client
address (a sliding window), so a password cannot be guessed at speed.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from wanamaker.web.users import ROLES

SESSION_COOKIE = "wm_session"
LOGIN_CSRF_COOKIE = "wm_login_csrf"
IDLE_SECONDS = 30 * 60
ABSOLUTE_SECONDS = 8 * 60 * 60
LOGIN_FAILURES = 5  # per window, per username and per client address
LOGIN_WINDOW_SECONDS = 5 * 60

READ = ("admin", "exec", "marketing")
SALES_READ = ("admin", "exec", "marketing", "sales")
SALES_ACT = ("admin", "sales")
MARKETING_ACT = ("admin", "marketing")
ADMIN = ("admin",)
ANY = ROLES


@dataclass
class Session:
    token: str
    username: str
    role: str
    csrf: str
    created: float
    seen: float


@dataclass
class Sessions:
    """The live sessions of one server process."""

    idle: float = IDLE_SECONDS
    absolute: float = ABSOLUTE_SECONDS
    _by_token: dict[str, Session] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, username: str, role: str) -> Session:
        now = time.monotonic()
        session = Session(secrets.token_urlsafe(32), username, role, secrets.token_urlsafe(32), now, now)
        with self._lock:
            self._by_token[session.token] = session
            self._sweep(now)
        return session

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        now = time.monotonic()
        with self._lock:
            session = self._by_token.get(token)
            if session is None:
                return None
            if now - session.seen > self.idle or now - session.created > self.absolute:
                del self._by_token[token]
                return None
            session.seen = now
            return session

    def drop(self, token: str | None) -> None:
        with self._lock:
            self._by_token.pop(token or "", None)

    def drop_user(self, username: str) -> None:
        """Sign a removed user (or one whose password changed) out everywhere."""
        with self._lock:
            for token in [t for t, s in self._by_token.items() if s.username.lower() == username.lower()]:
                del self._by_token[token]

    def _sweep(self, now: float) -> None:
        for token in [t for t, s in self._by_token.items()
                      if now - s.seen > self.idle or now - s.created > self.absolute]:
            del self._by_token[token]


def same(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens (False when either is missing)."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a).encode(), str(b).encode())


@dataclass
class LoginLimiter:
    """At most ``limit`` failed logins per key within ``window`` seconds."""

    limit: int = LOGIN_FAILURES
    window: float = LOGIN_WINDOW_SECONDS
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def retry_after(self, *keys: str) -> int:
        """Seconds until a login for these keys may be tried again (0: now)."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                q = self._failures.get(key)
                if not q:
                    continue
                while q and now - q[0] > self.window:
                    q.popleft()
                if len(q) >= self.limit:
                    wait = max(wait, self.window - (now - q[0]))
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, username_key: str) -> None:
        with self._lock:
            self._failures.pop(username_key, None)
