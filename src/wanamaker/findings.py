"""A finding of ``wanamaker check``: the one shape every check reports in (DESIGN "Goals and plan checks"), so the
plan checks (:mod:`wanamaker.goals.checks`), the calendar and work (:mod:`wanamaker.work.findings`) and the data
checks (:mod:`wanamaker.check`) share it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One finding (DESIGN "Goals and plan checks"): a stable ``code``, ``severity`` (error | warning | info),
    the ``subject`` it is about, the ``file`` and ``line`` to fix (null for data findings), the ``message``,
    the ``fix`` and, where it counts rows, ``count``."""

    code: str
    severity: str
    subject: str
    file: str | None
    line: int | None
    message: str
    fix: str
    count: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if out["count"] is None:
            del out["count"]
        return out
