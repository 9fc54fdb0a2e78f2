"""Config problems, collected together: each with a stable code, ``file:line`` and a fix."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from wanamaker.config.yamlio import LocatedDoc
from wanamaker.errors import ConfigError


@dataclass(frozen=True)
class ConfigIssue:
    code: str
    file: Path
    line: int
    where: str
    message: str
    fix: str

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: [{self.code}] {self.where}: {self.message}"
        return f"{text} Fix: {self.fix}" if self.fix else text


_CODES = {
    "extra_forbidden": "unknown_key",
    "missing": "missing_key",
    "literal_error": "bad_choice",
    "enum": "bad_choice",
}


def did_you_mean(word: str, choices: list[str] | set[str]) -> str:
    """``" Did you mean 'stages'?"`` or an empty string."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def _model_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the last key of ``loc`` (to list its valid keys)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or current is None:
            continue
        fields = getattr(current, "model_fields", None)
        if not fields:
            return None
        field = next((f for name, f in fields.items() if (f.alias or name) == part), None)
        if field is None:
            return None
        current = _inner_model(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def collect(model: type[BaseModel], doc: LocatedDoc, exc: ValidationError) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", "union["))))
        loc = tuple(p for p in loc if p not in ("tagged-union",))
        kind = err["type"]
        code = _CODES.get(kind, kind if kind.startswith("value_error") is False else "bad_value")
        where = ".".join(str(p) for p in loc) or "(top level)"
        message = str(err["msg"])
        fix = ""
        if kind == "extra_forbidden" and loc:
            owner = _model_at(model, loc)
            valid = [f.alias or n for n, f in owner.model_fields.items()] if owner else []
            hint = did_you_mean(str(loc[-1]), valid)
            message = f"'{loc[-1]}' is not a known key.{hint}"
            fix = f"Use one of: {', '.join(valid)}." if valid else "Remove the key."
        elif kind == "missing":
            fix = f"Add '{loc[-1]}'."
        elif kind.startswith("value_error"):
            code = "bad_value"
            message = message.removeprefix("Value error, ")
        issues.append(
            ConfigIssue(code=code, file=doc.path, line=doc.line_of(loc), where=where, message=message, fix=fix)
        )
    return issues


def raise_if_any(issues: list[ConfigIssue], what: str) -> None:
    if not issues:
        return
    body = "\n".join(f"  {issue}" for issue in issues)
    noun = "problem" if len(issues) == 1 else "problems"
    raise ConfigError(
        f"{what} has {len(issues)} {noun}:\n{body}",
        fix="Correct each line named above and run the command again.",
        issues=list(issues),
    )
