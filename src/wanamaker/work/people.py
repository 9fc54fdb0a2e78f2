"""Who did the work: the people columns of ``work_items`` and ``approvals`` resolved to ``team_members``.

Work-management tools export people as they show them: Jira by display name, Asana by e-mail, Workfront by
name, the demo's tool by e-mail. The presets load those values as exported (nothing is lost and a roster loaded
later still applies); the work analyses resolve each value to a ``team_members.member_id`` at query time:

- a value equal (trimmed, case-insensitive) to a member's ``member_id``, ``email`` or ``name`` is that member;
- a value that names two members (two people with the same name) is left as it is, and so is a value that
  names nobody: it still counts, under its own text.

Everything here is an Ibis expression, so it runs in the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import ibis

from wanamaker.funnel._source import NONE_KEY

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wanamaker.funnel._source import Source


def _norm(value: ir.StringValue) -> ir.StringValue:
    return value.strip().lower()


def aliases(ws: Source) -> ir.Table:
    """``said -> member_id, team``: every member's id, e-mail and name, lower-cased, each naming one member."""
    m = ws.table("team_members")
    parts = []
    for col in ("member_id", "email", "name"):
        part = m.select(said=_norm(m[col]), member_id=m.member_id, team=m.team)
        parts.append(part.filter(part.said.notnull() & (part.said != "")))
    union = ibis.union(*parts, distinct=True)
    g = union.group_by("said").aggregate(
        member_id=union.member_id.min(), team=union.team.min(), members=union.member_id.nunique())
    return g.filter(g.members == 1).drop("members")


def resolve(ws: Source, table: ir.Table, columns: Sequence[str]) -> ir.Table:
    """``table`` with each of ``columns`` replaced by the member it names (see the module docstring), and for
    each column a ``<column>_team`` (the member's team, ``(none)`` when unresolved or the value is empty)."""
    out = table
    for col in columns:
        a = aliases(ws).rename(**{f"{col}__said": "said", f"{col}__member": "member_id", f"{col}__team": "team"})
        joined = out.left_join(a, _norm(out[col]) == a[f"{col}__said"])
        member = ibis.coalesce(joined[f"{col}__member"], ibis.ifelse(joined[col].strip() == "", ibis.null(),
                                                                      joined[col].strip()))
        team = ibis.coalesce(joined[f"{col}__team"], ibis.literal(NONE_KEY))
        keep = [c for c in out.columns if c != col]
        out = joined.select(*keep, **{col: member.cast("string"), f"{col}_team": team.cast("string")})
    return out
