"""The report as PDF through headless Chromium (DESIGN "Faces"): the browser prints the HTML page with its print
style sheet (A4, the scorecard on a page of its own)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from wanamaker.errors import UsageError, WanamakerError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer")
TIMEOUT_SECONDS = 180
_FIX = "Install it (`apt-get install chromium`) or set WANAMAKER_CHROMIUM to the browser's path."


def find_chromium() -> str:
    """The browser that prints the PDF: ``WANAMAKER_CHROMIUM``, else /usr/bin/chromium, else chromium,
    chromium-browser or google-chrome on the PATH."""
    named = os.environ.get("WANAMAKER_CHROMIUM")
    if named:
        found = shutil.which(named)
        if found is None:
            raise UsageError(f"WANAMAKER_CHROMIUM is {named}, which is not an executable program.",
                             fix="Point it to the Chromium binary (e.g. /usr/bin/chromium), or unset it.")
        return found
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    for name in CANDIDATES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise UsageError("--pdf needs headless Chromium, and none was found (WANAMAKER_CHROMIUM, /usr/bin/chromium, "
                     f"{', '.join(CANDIDATES)} on the PATH).", fix=_FIX)


def _run(browser: str, args: list[str], what: str) -> None:
    with tempfile.TemporaryDirectory(prefix="wanamaker-chromium-") as profile:
        command = [browser, *FLAGS, f"--user-data-dir={profile}", *args]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            raise WanamakerError(f"Chromium did not finish {what} within {TIMEOUT_SECONDS} s.",
                                 fix="Run it again; if it keeps hanging, check that the browser starts: "
                                     f"`{browser} --headless --no-sandbox --version`.", code="pdf_failed") from None
        except OSError as exc:
            raise WanamakerError(f"Chromium ({browser}) could not be started: {exc.strerror or exc}.",
                                 fix=_FIX, code="pdf_failed") from exc
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr or "").splitlines() if ln.strip()]
        raise WanamakerError(f"Chromium failed {what} (exit {done.returncode}): {lines[-1] if lines else 'no message'}",
                             fix=f"Check that `{browser} --headless --no-sandbox --version` runs.", code="pdf_failed")


def print_pdf(html: Path, out: Path, *, browser: str | None = None) -> Path:
    """Print the page ``html`` to the PDF ``out`` (replaced when it exists) and return ``out``."""
    browser = browser or find_chromium()
    out = out.resolve()
    out.unlink(missing_ok=True)
    _run(browser, [f"--print-to-pdf={out}", html.resolve().as_uri()], f"printing {out.name}")
    if not out.exists() or out.read_bytes()[:5] != b"%PDF-":
        raise WanamakerError(f"Chromium did not write the PDF {out}.", fix=f"Check that `{browser} --headless "
                             "--no-sandbox --version` runs and that the folder is writable.", code="pdf_failed")
    return out


def screenshot(html: Path, out: Path, *, width: int = 1200, height: int = 1600, browser: str | None = None) -> Path:
    """A PNG of the top of the page ``html`` (the scorecard), e.g. for the docs."""
    browser = browser or find_chromium()
    out = out.resolve()
    _run(browser, [f"--screenshot={out}", f"--window-size={width},{height}", html.resolve().as_uri()],
         f"taking a screenshot of {html.name}")
    return out
