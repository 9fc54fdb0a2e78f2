"""Touches with identity stitching: the one definition of whose touch a touchpoint is.

A touchpoint belongs to its ``person_id``; a touch with no person but an ``anonymous_id`` belongs to
the person that anonymous id is linked to in ``identities``. An anonymous id linked to several people
belongs to the earliest link (``linked_at``; a link with no time counts as the latest), ties broken by
``person_id`` (DESIGN "The metrics layer"), so a touch is never counted twice, whatever the links.
Everything is an Ibis expression, the same on every engine; ordering never depends on how an engine
sorts NULLs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import ibis
import ibis.expr.types as ir

# a link with no time sorts after every dated one, on every engine
_UNDATED = datetime(2999, 1, 1)


class Tables(Protocol):
    """Anything that hands out contract tables by name (a workspace)."""

    def table(self, name: str) -> ir.Table: ...


def identity_links(src: Tables) -> ir.Table:
    """``anonymous_id, linked_person``: the one person each anonymous id belongs to."""
    ids = src.table("identities")
    ids = ids.filter(ids.anonymous_id.notnull() & ids.person_id.notnull())
    order = [ibis.coalesce(ids.linked_at, ibis.literal(_UNDATED)), ids.person_id]
    ranked = ids.mutate(_rank=ibis.row_number().over(group_by=ids.anonymous_id, order_by=order))
    first = ranked.filter(ranked._rank == 0)
    return first.select(anonymous_id=first.anonymous_id, linked_person=first.person_id)


def stitched_touches(src: Tables, columns: tuple[str, ...]) -> ir.Table:
    """Every touchpoint's ``columns`` and ``person``: its ``person_id``, else the person its anonymous id is
    linked to, else NULL (an unlinked anonymous or account-level touch)."""
    tp = src.table("touchpoints")
    links = identity_links(src)
    joined = tp.left_join(links, tp.anonymous_id == links.anonymous_id)
    return joined.select(*[joined[c] for c in columns], person=ibis.coalesce(tp.person_id, links.linked_person))


def person_touches(src: Tables, columns: tuple[str, ...]) -> ir.Table:
    """``person_id`` and ``columns`` of every touch that belongs to a person."""
    touches = stitched_touches(src, columns)
    mine = touches.filter(touches.person.notnull())
    return mine.select(person_id=mine.person, **{c: mine[c] for c in columns})
