"""People's touches as the funnel reads them; whose touch a touchpoint is comes from the metrics layer
(:mod:`wanamaker.metrics.touches`: identity stitching, one person a touch). Ties in time are broken by
``touch_id`` (DESIGN "Parity traps").
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from wanamaker.config.models import WorkspaceConfig
from wanamaker.funnel._source import Source
from wanamaker.metrics import touches as shared


def person_touches(src: Source) -> ir.Table:
    """``person_id, touch_id, ts, channel, campaign_id, owner_id`` for every touch of a known person."""
    return shared.person_touches(src, ("touch_id", "ts", "channel", "campaign_id", "owner_id"))


def first_touch_times(src: Source) -> ir.Table:
    """``person_id, ts``: each person's first touch time (a group-by, no window)."""
    touches = shared.person_touches(src, ("ts",))
    return touches.group_by("person_id").aggregate(ts=touches.ts.min())


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
