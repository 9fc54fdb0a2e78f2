"""YAML loading that remembers where every key and item came from, for ``file:line`` errors."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from wanamaker.errors import ConfigError

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class LocatedDoc:
    """A parsed YAML document: plain Python data plus the line of every path in it."""

    path: Path
    data: Any
    lines: dict[tuple[str | int, ...], int] = field(default_factory=dict)
    missing_vars: list[tuple[str, int]] = field(default_factory=list)

    def line_of(self, loc: tuple[str | int, ...]) -> int:
        """The line of ``loc`` or of its nearest located ancestor (1 for the document)."""
        probe = tuple(loc)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return 1


def _plain(node: Any, loc: tuple[str | int, ...], doc: LocatedDoc) -> Any:
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key in node:
            try:
                line = node.lc.key(key)[0] + 1
            except (KeyError, TypeError, AttributeError):
                line = doc.line_of(loc)
            doc.lines[(*loc, str(key))] = line
            out[str(key)] = _plain(node[key], (*loc, str(key)), doc)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, item in enumerate(node):
            try:
                line = node.lc.item(index)[0] + 1
            except (KeyError, TypeError, AttributeError):
                line = doc.line_of(loc)
            doc.lines[(*loc, index)] = line
            items.append(_plain(item, (*loc, index), doc))
        return items
    if isinstance(node, str):
        def expand(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                doc.missing_vars.append((name, doc.line_of(loc)))
                return match.group(0)
            return os.environ[name]

        return _VAR.sub(expand, str(node))
    if node is None or isinstance(node, (bool, int, float)):
        return node
    return str(node) if not hasattr(node, "isoformat") else node


def load_yaml(path: Path, text: str | None = None) -> LocatedDoc:
    """Parse ``path`` (or ``text`` said to come from it), expanding ``${VAR}`` from the environment."""
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise ConfigError(f"{path} does not exist.", fix="Check the path, or run `wanamaker init`.") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path} is not UTF-8 text.", fix="Save the file as UTF-8.") from exc
    yaml = YAML(typ="rt")
    try:
        raw = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise ConfigError(
            f"{path}:{line}: this is not valid YAML ({exc.problem or exc.context}).",
            fix="Check the indentation and quoting on that line.",
        ) from exc
    doc = LocatedDoc(path=path, data=None)
    doc.data = _plain(raw, (), doc) if raw is not None else {}
    return doc
