"""The accountability report (``wanamaker report``): one self-contained HTML file, the one-page scorecard first and
the detail sections after, optionally printed to PDF by headless Chromium; and the views it shares with the web app.

>>> import wanamaker
>>> from wanamaker.report import write_report
>>> files = write_report(wanamaker.open("demo"), pdf=True)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from wanamaker.errors import WanamakerError
from wanamaker.report.views import VIEW_KEYS, Chart, Table, View, build_view, build_views

if TYPE_CHECKING:
    from wanamaker.workspace import Workspace

__all__ = ["VIEW_KEYS", "Chart", "ReportFiles", "Table", "View", "build_view", "build_views", "write_report"]


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote."""

    html: Path
    pdf: Path | None = None


def _unwritable(path: Path, exc: OSError) -> WanamakerError:
    reason = exc.strerror or type(exc).__name__
    return WanamakerError(f"cannot write the report to {path}: {reason} ({exc.filename or path}).",
                          fix="Pass --out a file in a folder you can write to, or fix the folder's permissions.",
                          code="report_unwritable")


def _folder(ws: Workspace, out: Path | None) -> tuple[Path, str | None]:
    """The folder to write in (made when missing) and the file name, when ``out`` names one."""
    if out is None:
        folder, name = ws.root / "reports", None
    elif out.is_dir():
        folder, name = out, None
    else:
        folder, name = out.parent, out.name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unwritable(out or folder, exc) from exc
    if not os.access(folder, os.W_OK):
        raise _unwritable(out or folder, PermissionError(13, "permission denied", str(folder)))
    return folder.resolve(), name


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (a temporary file renamed over it)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the user's umask applies, as for any file
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _unwritable(path, exc) from exc


def write_report(ws: Workspace, out: Path | None = None, *, pdf: bool = False, in_label: str | None = None,
                 progress: Callable[[str], None] | None = None) -> ReportFiles:
    """Write the report of ``ws`` over the period ``in_label`` (default: each analysis's default period) to ``out``
    (a file, or a folder; default ``reports/wanamaker-report-<period>.html`` in the workspace) and, with ``pdf``,
    the PDF beside it. ``progress`` is called with a line before each long step."""
    from wanamaker.report.html import render_report
    from wanamaker.report.pdf import find_chromium, print_pdf
    from wanamaker.report.results import Results
    from wanamaker.report.views import build_all

    results = Results(ws, in_label)  # a bad --in fails here, before any work
    browser = find_chromium() if pdf else None  # so does a missing browser
    folder, name = _folder(ws, Path(out) if out is not None else None)
    views = build_all(results, progress)
    if progress is not None:
        progress("Drawing the charts…")
    label = results.label()
    html = render_report(views, workspace=ws.root.name, currency=results.currency,
                         period=results.describe(in_label) if in_label else views["scorecard"].window or label,
                         generated=date.today())
    path = folder / (name or f"wanamaker-report-{label}.html")
    _write(path, html)
    pdf_path = None
    if browser is not None:
        if progress is not None:
            progress("Printing the PDF…")
        pdf_path = print_pdf(path, path.with_suffix(".pdf"), browser=browser)
    return ReportFiles(path, pdf_path)
