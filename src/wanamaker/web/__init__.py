"""The web app of ``wanamaker serve`` (DESIGN "Faces"): pages and a JSON API over the report's views, forms
for sales and marketers written as loads, and users with roles. Needs the ``[web]`` extra."""

from __future__ import annotations

from typing import Any

from wanamaker.errors import UsageError


def create_app(ws: Any, *, secure_cookies: bool = True, warm: bool = True) -> Any:
    """The FastAPI app for the open workspace ``ws``."""
    try:
        from wanamaker.web.app import create_app as make
    except ImportError as exc:
        raise UsageError(f"the web app needs the [web] extra ({exc.name} is not installed).",
                         fix="pip install 'wanamaker[web]'") from exc
    return make(ws, secure_cookies=secure_cookies, warm=warm)


__all__ = ["create_app"]
