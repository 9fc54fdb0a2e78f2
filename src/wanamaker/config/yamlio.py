"""YAML loading that remembers where every key and item came from, for ``file:line`` errors.

Bounded (DESIGN "Ingest: nothing is lost" > Limits): only a regular file is read, at most 1 MB of it, and
a document holds at most 10,000 YAML nodes after alias expansion (an alias ``*a`` counts every node it
repeats), so an alias bomb is refused in milliseconds instead of filling memory.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer, MaxDepthExceededError
from ruamel.yaml.error import MarkedYAMLError

from wanamaker.errors import ConfigError

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
MAX_BYTES = 1 << 20  # 1 MB
MAX_NODES = 10_000  # keys, values and items, after alias expansion
MAX_DEPTH = 100
# More than MAX_DEPTH brackets opened with at most 8 characters between them and none closed: ruamel's
# scanner costs O(depth) per token on such flow nesting, so it is refused before the scanner runs (nesting
# written any other way is cheap to scan and stops at MAX_DEPTH when composed).
_OPEN_RUN = re.compile(r"(?:[\[{][^\[\]{}\n]{0,8})" + "{" + str(MAX_DEPTH + 1) + "}")
_DEPTH_FIX = f"Flatten the structure: config and mapping files nest at most {MAX_DEPTH} levels."
_NODES_FIX = ("Write the values out instead of nesting aliases (*name) in aliases, or split the file: "
              f"a config or mapping file holds at most {MAX_NODES:,} YAML nodes after alias expansion.")


class _TooManyNodes(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _BoundedComposer(Composer):
    """Stops composing at the node budget: an over-long document is refused before it is all parsed."""

    nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooManyNodes(self.parser.peek_event().start_mark.line + 1)
        return super().compose_node(parent, index)


@dataclass
class LocatedDoc:
    """A parsed YAML document: plain Python data plus the line of every path in it."""

    path: Path
    data: Any
    lines: dict[tuple[str | int, ...], int] = field(default_factory=dict)
    missing_vars: list[tuple[str, int]] = field(default_factory=list)
    text: str = ""  # the text parsed (read once, bounded)

    def line_of(self, loc: tuple[str | int, ...]) -> int:
        """The line of ``loc`` or of its nearest located ancestor (1 for the document)."""
        probe = tuple(loc)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return 1


class _Expansion:
    """Turns the parsed document into plain data, counting every node it produces (aliases expanded)."""

    def __init__(self, doc: LocatedDoc) -> None:
        self.doc = doc
        self.nodes = 0

    def count(self, loc: tuple[str | int, ...]) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ConfigError(
                f"{self.doc.path}:{self.doc.line_of(loc)}: this YAML expands to more than {MAX_NODES:,} nodes "
                "(aliases repeat everything they point to).",
                fix=_NODES_FIX,
            )

    def plain(self, node: Any, loc: tuple[str | int, ...]) -> Any:
        self.count(loc)
        doc = self.doc
        if isinstance(node, CommentedMap):
            out: dict[str, Any] = {}
            for key in node:
                try:
                    line = node.lc.key(key)[0] + 1
                except (KeyError, TypeError, AttributeError):
                    line = doc.line_of(loc)
                doc.lines[(*loc, str(key))] = line
                self.count((*loc, str(key)))
                out[str(key)] = self.plain(node[key], (*loc, str(key)))
            return out
        if isinstance(node, CommentedSeq):
            items = []
            for index, item in enumerate(node):
                try:
                    line = node.lc.item(index)[0] + 1
                except (KeyError, TypeError, AttributeError):
                    line = doc.line_of(loc)
                doc.lines[(*loc, index)] = line
                items.append(self.plain(item, (*loc, index)))
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


def read_bounded(path: Path) -> str:
    """The text of ``path``: a regular file of at most 1 MB of UTF-8 (a FIFO or device is refused unopened
    for reading, so it cannot hang the command)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path} does not exist.", fix="Check the path, or run `wanamaker init`.") from exc
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read: {exc.strerror}.",
                          fix="Check the path and its permissions.") from exc
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a folder" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
                    else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
                    else "not a regular file")
            raise ConfigError(f"{path}:1: this is {kind}, not a regular file.",
                              fix="Point to a regular YAML file; config and mapping files are only read from "
                                  "regular files.")
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_BYTES and (chunk := os.read(fd, MAX_BYTES + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    _check_size(path, data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: this file is not UTF-8 text.", fix="Save the file as UTF-8.") from exc


def _check_size(path: Path, data: bytes) -> None:
    if len(data) > MAX_BYTES:
        line = data[:MAX_BYTES].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: the file passes the {MAX_BYTES:,}-byte (1 MB) limit on this line.",
                          fix="Keep config and mapping files under 1 MB: split the mapping, or move data out "
                              "of the file.")


def load_yaml(path: Path, text: str | None = None) -> LocatedDoc:
    """Parse ``path`` (or ``text`` said to come from it), expanding ``${VAR}`` from the environment.

    Refused with a :class:`ConfigError` naming ``file:line``: a path that is not a regular file, more than
    1 MB, more than 10,000 YAML nodes after alias expansion, or nesting deeper than 100 levels.
    """
    if text is None:
        text = read_bounded(path)
    else:
        _check_size(path, text.encode("utf-8", "surrogatepass"))
    if run := _OPEN_RUN.search(text):
        raise ConfigError(f"{path}:{text.count(chr(10), 0, run.start()) + 1}: the YAML nests deeper than "
                          f"{MAX_DEPTH} levels.", fix=_DEPTH_FIX)
    yaml = YAML(typ="rt")
    yaml.Composer = _BoundedComposer
    yaml.max_depth = MAX_DEPTH
    try:
        raw = yaml.load(text)
    except _TooManyNodes as exc:
        raise ConfigError(f"{path}:{exc.line}: this YAML holds more than {MAX_NODES:,} nodes.",
                          fix=_NODES_FIX) from None
    except MaxDepthExceededError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else 1
        raise ConfigError(f"{path}:{line}: the YAML nests deeper than {MAX_DEPTH} levels.", fix=_DEPTH_FIX) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise ConfigError(
            f"{path}:{line}: this is not valid YAML ({exc.problem or exc.context}).",
            fix="Check the indentation and quoting on that line.",
        ) from exc
    doc = LocatedDoc(path=path, data=None, text=text)
    doc.data = _Expansion(doc).plain(raw, ()) if raw is not None else {}
    return doc
