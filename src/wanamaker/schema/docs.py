"""docs/contracts.md, generated from the contracts (``python -m wanamaker.schema.docs > docs/contracts.md``)."""

from __future__ import annotations

from wanamaker.schema.contracts import BOOKKEEPING, TABLES


def render() -> str:
    lines = ["# Table contracts", "",
             "Generated from `wanamaker/schema/contracts.py` by `python -m wanamaker.schema.docs > docs/contracts.md`.",
             f"Every table also carries {', '.join(f'`{b}`' for b in BOOKKEEPING)}. Times are naive UTC.", ""]
    for table in TABLES.values():
        lines += [f"## `{table.name}`", "", table.doc, "", f"Key: {', '.join(f'`{k}`' for k in table.key)}"
                  + (" (derived from a hash of the row when the export has none)" if table.derived_key else ""), ""]
        if table.one_of:
            lines += ["At least one of " + "; ".join(", ".join(f"`{c}`" for c in g) for g in table.one_of)
                      + " is required on every row.", ""]
        lines += ["| column | type | required | rules |", "|---|---|---|---|"]
        for col in table.columns:
            rules = []
            if col.allowed:
                rules.append("one of " + ", ".join(col.allowed))
            if col.min_value is not None:
                rules.append(f">= {col.min_value:g}")
            if col.currency:
                rules.append("ISO-4217 code")
            if col.references:
                rules.append(f"references {col.references}")
            if col.planned:
                rules.append("a planned date: may lie in the future")
            if col.doc:
                rules.append(col.doc)
            lines.append(f"| `{col.name}` | {col.type} | {'yes' if col.required else ''} | {'; '.join(rules)} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
