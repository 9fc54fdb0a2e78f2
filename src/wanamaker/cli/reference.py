"""The CLI reference (docs/cli.md), generated from the commands' own help so it never drifts.

Regenerate with ``python -m wanamaker.cli.reference > docs/cli.md``; a test checks it is current.
"""

from __future__ import annotations

from typing import Any

import typer


def render() -> str:
    from wanamaker.cli.app import app

    root: Any = typer.main.get_command(app)
    lines = ["# wanamaker command reference", "",
             "Generated from `--help` by `python -m wanamaker.cli.reference > docs/cli.md`; do not edit.", "",
             (root.help or "").strip(), ""]
    for name in sorted(root.commands):
        cmd = root.commands[name]
        lines += [f"## `wanamaker {name}`", "", (cmd.help or "").strip().split("\n\n")[0], ""]
        args = [p for p in cmd.params if p.param_type_name == "argument"]
        opts = [p for p in cmd.params if p.param_type_name == "option" and p.name != "help"]
        usage = " ".join([f"wanamaker {name}"] + [f"[{a.name.upper()}{'...' if a.nargs == -1 else ''}]" for a in args]
                         + ["[OPTIONS]"] if opts else [])
        lines += ["```", usage, "```", ""]
        if args or opts:
            lines += ["| argument / option | meaning | default |", "|---|---|---|"]
        for a in args:
            lines.append(f"| `{a.name.upper()}` | {getattr(a, 'help', '') or ''} | |")
        for o in opts:
            flags = ", ".join(f"`{x}`" for x in [*o.opts, *o.secondary_opts])
            default = o.default
            if hasattr(default, "value"):
                default = default.value
            shown = "" if default in (None, False, ()) or callable(default) else f"`{default}`"
            kind = getattr(o, "type", None) or getattr(o, "bare_type", None)
            choices = getattr(kind, "choices", None)
            extra = f" One of: {', '.join(map(str, choices))}." if choices else ""
            env = f" Env: `{o.envvar}`." if o.envvar else ""
            lines.append(f"| {flags} | {(o.help or '').replace('|', '/')}{extra}{env} | {shown} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
