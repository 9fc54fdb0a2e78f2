"""People's touches, with anonymous web touches stitched through ``identities`` (DESIGN "Table contracts").

A touch belongs to a person when it carries the ``person_id``, or when its ``anonymous_id`` is linked to
the person in ``identities``. Ties in time are broken by ``touch_id`` (DESIGN "Parity traps").
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from wanamaker.config.models import WorkspaceConfig
from wanamaker.funnel._source import Source


def person_touches(src: Source) -> ir.Table:
    """``person_id, touch_id, ts, channel, campaign_id, owner_id`` for every touch of a known person
    (a touch both carrying the person and stitched to them appears twice; callers take first/any/min)."""
    tp = src.table("touchpoints")
    cols = ["touch_id", "ts", "channel", "campaign_id", "owner_id"]
    direct = tp.filter(tp.person_id.notnull()).select("person_id", *cols)
    ids = src.table("identities").select("anonymous_id", "person_id")
    anon = tp.filter(tp.person_id.isnull() & tp.anonymous_id.notnull())
    stitched = anon.join(ids, anon.anonymous_id == ids.anonymous_id).select(
        person_id=ids.person_id, **{c: anon[c] for c in cols}
    )
    return direct.union(stitched)


def first_touch_times(src: Source) -> ir.Table:
    """``person_id, ts``: each person's first touch time (a group-by, no window)."""
    tp = src.table("touchpoints")
    direct = tp.filter(tp.person_id.notnull()).select("person_id", "ts")
    ids = src.table("identities").select("anonymous_id", "person_id")
    anon = tp.filter(tp.person_id.isnull() & tp.anonymous_id.notnull())
    stitched = anon.join(ids, anon.anonymous_id == ids.anonymous_id).select(person_id=ids.person_id, ts=anon.ts)
    both = direct.union(stitched)
    return both.group_by("person_id").aggregate(ts=both.ts.min())


def first_touches(touches: ir.Table) -> ir.Table:
    """Each person's first touch: ``person_id, channel, campaign_id, ts``."""
    win = ibis.window(group_by=touches.person_id, order_by=[touches.ts, touches.touch_id])
    ranked = touches.mutate(rn=ibis.row_number().over(win))
    first = ranked.filter(ranked.rn == 0)
    return first.select("person_id", "channel", "campaign_id", "ts")


def channels_where(config: WorkspaceConfig, *, marketing: bool | None = None, group: str | None = None) -> list[str]:
    """Configured channels with the given ``marketing`` flag and/or ``group``."""
    return [
        name
        for name, spec in config.channels.items()
        if (marketing is None or spec.marketing == marketing) and (group is None or spec.group == group)
    ]


def sales_members(src: Source) -> ir.Table:
    """``member_id`` of everyone in the sales team (``team_members.team`` = sales, any case)."""
    tm = src.table("team_members")
    return tm.filter(tm.team.lower() == "sales").select("member_id").distinct()


def is_sales_touch(touches: ir.Table, src: Source) -> ir.BooleanValue:
    """A touch whose channel's group is ``sales`` or whose owner is a sales rep (DESIGN "Funnel", SLA)."""
    sales_channels = channels_where(src.config, group="sales")
    reps = sales_members(src)
    by_channel = touches.channel.isin(sales_channels) if sales_channels else ibis.literal(False)
    by_owner = ibis.ifelse(touches.owner_id.isin(reps.member_id), True, False)  # null owner -> False
    return by_channel | by_owner
