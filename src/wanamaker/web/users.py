"""Web users: who may sign in to ``wanamaker serve`` and with which role (DESIGN "Faces", "Security model").

Users live in the workspace's ``_users`` table (username, role, argon2 hash, the team member they are, when
created and changed), so a PostgreSQL workspace shares them between servers. Passwords are hashed with
argon2id (argon2-cffi's defaults, OWASP's recommendation) and never stored or logged in clear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from wanamaker.errors import UsageError

if TYPE_CHECKING:
    from wanamaker.workspace import Workspace

USERS_TABLE = "_users"
ROLES: tuple[str, ...] = ("admin", "exec", "marketing", "sales")
MIN_PASSWORD = 12
MAX_PASSWORD = 256  # argon2 takes any length; a bound keeps a login request cheap
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_SCHEMA = pa.schema([("username", pa.string()), ("role", pa.string()), ("password_hash", pa.string()),
                     ("member_id", pa.string()), ("created_at", pa.timestamp("us")), ("changed_at", pa.timestamp("us"))])


@dataclass(frozen=True)
class User:
    username: str
    role: str
    member_id: str | None
    created_at: datetime
    changed_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {"username": self.username, "role": self.role, "member_id": self.member_id,
                "created_at": self.created_at.isoformat(), "changed_at": self.changed_at.isoformat()}


def _hasher() -> Any:
    try:
        from argon2 import PasswordHasher
    except ImportError as exc:  # pragma: no cover - the [web] extra brings it
        raise UsageError("web users need argon2-cffi.", fix="pip install 'wanamaker[web]'") from exc
    return PasswordHasher()


def check_username(username: str) -> str:
    if not _USERNAME.match(username or ""):
        raise UsageError(f"'{username}' is not a valid username.",
                         fix="Use 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit.")
    return username


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UsageError(f"'{role}' is not a role.", fix=f"Choose one of {', '.join(ROLES)}.")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"the password is too short ({len(password)} characters).",
                         fix=f"Use at least {MIN_PASSWORD} characters; a passphrase of several words is easiest.")
    if len(password) > MAX_PASSWORD:
        raise UsageError(f"the password is longer than {MAX_PASSWORD} characters.", fix="Use a shorter one.")
    return password


def _rows(ws: Workspace) -> list[dict[str, Any]]:
    if not ws.has_table(USERS_TABLE):
        return []
    rows: list[dict[str, Any]] = ws.table(USERS_TABLE).to_pyarrow().to_pylist()
    return rows


def _write(ws: Workspace, rows: list[dict[str, Any]]) -> None:
    if ws.read_only:
        raise UsageError("the workspace is open read-only.", fix="Manage users from a writable workspace.")
    ws.store.write_result(USERS_TABLE, pa.Table.from_pylist(rows, schema=_SCHEMA), "replace")


def _user(row: dict[str, Any]) -> User:
    return User(str(row["username"]), str(row["role"]), row.get("member_id"), row["created_at"], row["changed_at"])


def list_users(ws: Workspace) -> list[User]:
    return sorted((_user(r) for r in _rows(ws)), key=lambda u: u.username.lower())


def add_user(ws: Workspace, username: str, role: str, password: str, *, member_id: str | None = None) -> User:
    check_username(username)
    check_role(role)
    check_password(password)
    rows = _rows(ws)
    if any(str(r["username"]).lower() == username.lower() for r in rows):
        raise UsageError(f"user '{username}' already exists.",
                         fix="Choose another name, or change the password with `wanamaker users passwd`.")
    now = datetime.now(UTC).replace(tzinfo=None)
    row = {"username": username, "role": role, "password_hash": _hasher().hash(password), "member_id": member_id,
           "created_at": now, "changed_at": now}
    _write(ws, [*rows, row])
    return _user(row)


def remove_user(ws: Workspace, username: str) -> None:
    rows = _rows(ws)
    kept = [r for r in rows if str(r["username"]).lower() != username.lower()]
    if len(kept) == len(rows):
        raise UsageError(f"there is no user '{username}'.", fix="See `wanamaker users list`.")
    _write(ws, kept)


def set_password(ws: Workspace, username: str, password: str) -> None:
    check_password(password)
    rows = _rows(ws)
    for r in rows:
        if str(r["username"]).lower() == username.lower():
            r["password_hash"] = _hasher().hash(password)
            r["changed_at"] = datetime.now(UTC).replace(tzinfo=None)
            _write(ws, rows)
            return
    raise UsageError(f"there is no user '{username}'.", fix="See `wanamaker users list`.")


# a hash to verify against when the username is unknown, so a miss takes as long as a wrong password
_DUMMY: list[str] = []


def rows(ws: Workspace) -> list[dict[str, Any]]:
    """The stored users with their hashes (for :func:`verify`; never shown)."""
    return _rows(ws)


def verify(stored: list[dict[str, Any]], username: str, password: str) -> User | None:
    """The user of ``stored`` (from :func:`rows`) when ``password`` is theirs, else None; an unknown name costs the
    same hash check as a wrong password, so a miss does not tell which names exist."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    hasher = _hasher()
    if len(password) > MAX_PASSWORD:
        return None
    row = next((r for r in stored if str(r["username"]).lower() == username.lower()), None)
    if row is None:
        if not _DUMMY:
            _DUMMY.append(hasher.hash("not a real password, only spends time"))
        try:
            hasher.verify(_DUMMY[0], password)
        except (VerificationError, VerifyMismatchError, InvalidHashError):
            pass
        return None
    try:
        hasher.verify(str(row["password_hash"]), password)
    except (VerificationError, VerifyMismatchError, InvalidHashError):
        return None
    return _user(row)
