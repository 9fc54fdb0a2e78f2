"""``wanamaker calendar``: the campaigns on a timeline by segment, their conflicts, gaps and missed launches,
and an ``.ics`` file of the campaigns (docs/calendar.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wanamaker.cli.output import Format, FormatOpt, WorkspaceOpt, current_workspace, emit, err_console


def register(app: typer.Typer) -> None:
    @app.command()
    def calendar(
        date_from: Annotated[str | None, typer.Option(
            "--from", help="DATE: keep the campaigns active on or after it (workspace time zone).")] = None,
        date_to: Annotated[str | None, typer.Option(
            "--to", help="DATE: keep the campaigns active on or before it.")] = None,
        segment: Annotated[str | None, typer.Option("--segment", help="One segment only.")] = None,
        ics: Annotated[Path | None, typer.Option(
            "--ics", metavar="FILE", help="Also write the campaigns shown as an iCalendar file (Google Calendar, "
                                          "Outlook).")] = None,
        fmt: FormatOpt = Format.table,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """Campaigns by segment on a timeline; conflicting offers, promotion gaps and missed launches (on stderr;
        the same findings are in `wanamaker check`)."""
        from wanamaker.config.options import text_option, window_option
        from wanamaker.work.calendar import to_ics

        if segment is not None:
            text_option("--segment", segment)
        window_option(date_from, date_to, "UTC")  # the form and order of the dates, before the workspace opens
        with current_workspace(workspace, read_only=True) as ws:
            result = ws.calendar(date_from=date_from, date_to=date_to, segment=segment)
            gap_days = ws.config.calendar.max_gap.days
        emit(result.as_json(), fmt, title="calendar")
        for c in result.conflicts:
            err_console.print(f"conflicting_offers: {c.subject} ({' / '.join(c.offers)}) reach "
                              f"{', '.join(c.segments)} from {c.overlap_from} to {c.overlap_to}", highlight=False)
        for g in result.gaps:
            err_console.print(f"promotion_gap: {g.subject}: no campaign for {g.days} days ({g.gap_from} to "
                              f"{g.gap_to}; max_gap {gap_days} days)", highlight=False)
        for m in result.missed_launches:
            first = f"first touch or spend {m.first_activity}" if m.first_activity else "no touch or spend"
            err_console.print(f"missed_launch: {m.campaign_id} planned {m.starts}, {first}", highlight=False)
        for note in result.notes:
            err_console.print(f"note: {note}", highlight=False)
        if ics is not None:
            ics.write_bytes(to_ics(result.campaigns).encode("utf-8"))
            err_console.print(f"wrote {len(result.campaigns)} events to {ics}", highlight=False)
