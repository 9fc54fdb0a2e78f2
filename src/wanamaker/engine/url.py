"""Connection URLs: which engine a workspace uses (DESIGN "Engines")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlparse

from wanamaker.errors import ConfigError

EngineName = Literal["duckdb", "postgres", "spark"]


@dataclass(frozen=True)
class Connection:
    engine: EngineName
    url: str
    path: Path | None = None  # duckdb file or spark warehouse folder
    master: str = "local[2]"  # spark master


def parse_connection(url: str, root: Path) -> Connection:
    """Resolve ``url`` against the workspace ``root``.

    >>> parse_connection("duckdb:///wanamaker.duckdb", Path("/ws")).path
    PosixPath('/ws/wanamaker.duckdb')
    >>> parse_connection("spark:///wh", Path("/ws")).engine
    'spark'
    """
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme == "duckdb":
        raw = (parsed.netloc + parsed.path).lstrip("/") if not parsed.path.startswith("//") else parsed.path[1:]
        if url.startswith("duckdb:////"):
            raw = parsed.path[1:] if parsed.path.startswith("//") else parsed.path
            raw = "/" + raw.lstrip("/")
        path = Path(raw) if Path(raw).is_absolute() else root / raw
        return Connection("duckdb", url, path=path)
    if scheme in ("postgres", "postgresql"):
        return Connection("postgres", url)
    if scheme == "spark":
        query = parse_qs(parsed.query)
        if parsed.netloc:  # spark://host:7077?warehouse=/dir
            warehouse = query.get("warehouse", [""])[0]
            if not warehouse:
                raise ConfigError(
                    f"connection '{url}' names a Spark master but no warehouse.",
                    fix="Add ?warehouse=/path/to/warehouse to the URL.",
                )
            path = Path(warehouse)
            return Connection("spark", url, path=path if path.is_absolute() else root / path,
                              master=f"spark://{parsed.netloc}")
        raw = parsed.path
        if url.startswith("spark:////"):
            raw = "/" + raw.lstrip("/")
        else:
            raw = raw.lstrip("/")
        path = Path(raw) if Path(raw).is_absolute() else root / raw
        return Connection("spark", url, path=path)
    raise ConfigError(
        f"connection '{url}' has an engine wanamaker does not know ('{scheme or 'none'}').",
        fix="Use duckdb:///file.duckdb, postgresql://user:${PGPASSWORD}@host:5432/db or spark:///warehouse/dir.",
    )
