"""`wanamaker check`: what in the loaded data disagrees with the config or with itself.

Every check is an Ibis expression, so it runs on every engine; each finding says what, how many, and
the fix. Checks: channels the config does not know, stages outside the funnel, money in a currency with
no exchange rate, opportunities and stage events that disagree about "won", rows still in quarantine;
on PostgreSQL, a connection role that is a superuser or reaches server files (a catalog query, not Ibis).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import ibis

from wanamaker.findings import Finding as Finding  # re-exported: tests and users import it from here

if TYPE_CHECKING:
    from wanamaker.workspace import Workspace


def _data(code: str, severity: str, subject: str, count: int, message: str, fix: str) -> Finding:
    return Finding(code, severity, subject, None, None, message, fix, count)


def _counts(expr: Any) -> list[tuple[str, int]]:
    rows = expr.to_pyarrow().to_pylist()
    return [(str(r["k"]), int(r["n"])) for r in rows]


def unknown_channels(ws: Workspace) -> list[Finding]:
    t = ws.table("touchpoints")
    known = list(ws.config.channels)
    expr = t.filter(~t.channel.isin(known)).group_by(k=t.channel).aggregate(n=ibis._.count()).order_by(ibis.desc("n"))
    return [_data("unknown_channel", "warning", k, n, f"touchpoints use channel '{k}', which wanamaker.yml does not list",
                    f"Add `{k}: {{group: ..., marketing: true|false}}` under channels, or map it in the load.")
            for k, n in _counts(expr)]


def unknown_stages(ws: Workspace) -> list[Finding]:
    t = ws.table("stage_events")
    known = [*ws.config.funnel.stages, *ws.config.funnel.exits]
    expr = t.filter(~t.stage.isin(known)).group_by(k=t.stage).aggregate(n=ibis._.count()).order_by(ibis.desc("n"))
    return [_data("unknown_stage", "warning", k, n, f"stage events use stage '{k}', which is neither a funnel stage nor an exit",
                    "Add it to funnel.stages or funnel.exits, or map it to one with `values:` in the mapping.")
            for k, n in _counts(expr)]


def currencies_without_rates(ws: Workspace) -> list[Finding]:
    home = ws.config.currency
    rates = ws.table("fx_rates").select("currency").distinct()
    findings: list[Finding] = []
    for table in ("opportunities", "revenue", "touchpoints", "spend"):
        t = ws.table(table)
        foreign = t.filter(t.currency.notnull() & (t.currency != home))
        foreign = foreign.anti_join(rates, foreign.currency == rates.currency)
        expr = foreign.group_by(k=foreign.currency).aggregate(n=ibis._.count())
        for k, n in _counts(expr):
            findings.append(_data("no_fx_rate", "warning", f"{table}.{k}", n,
                                    f"{n} {table} row(s) are in {k} and fx_rates has no {k} rate",
                                    f"Load daily {k} rates into fx_rates (date, currency, rate_to_workspace_currency)."))
    return findings


def opportunities_without_a_days_rate(ws: Workspace) -> list[Finding]:
    """Opportunities in a currency fx_rates knows, but not on the day their money is placed: the metrics layer
    leaves that money out (``wanamaker.metrics.money``), so say which and how many."""
    from wanamaker.metrics.money import opportunity_money

    m = opportunity_money(ws, ws.config.currency)
    rates = ws.table("fx_rates").select(r_cur="currency").distinct()
    missing = m.filter(m.pipeline_unconverted | m.won_unconverted)
    missing = missing.semi_join(rates, missing.currency == rates.r_cur)
    expr = missing.group_by(k=missing.currency).aggregate(n=ibis._.count())
    return [_data("no_fx_rate_for_day", "warning", f"opportunities.{k}", n,
                    f"{n} opportunit{'y' if n == 1 else 'ies'} in {k} fall on a day with no {k} rate in fx_rates; "
                    "their money is left out of pipeline and revenue",
                    f"Load the missing daily {k} rates into fx_rates (date, currency, rate_to_workspace_currency).")
            for k, n in _counts(expr)]


def won_disagreements(ws: Workspace) -> list[Finding]:
    """Accounts with a won opportunity but no won stage event, and the reverse (only when the data
    carries account-level won events at all)."""
    opps = ws.table("opportunities")
    events = ws.table("stage_events")
    won_events = events.filter((events.subject_type == "account") & (events.stage == "won"))
    if int(won_events.count().to_pyarrow().as_py()) == 0:
        return []
    won_opps = opps.filter((opps.status == "won") & opps.account_id.notnull()).select(k=opps.account_id).distinct()
    won_accts = won_events.select(k=won_events.subject_id).distinct()
    findings = []
    only_opp = int(won_opps.anti_join(won_accts, "k").count().to_pyarrow().as_py())
    only_evt = int(won_accts.anti_join(won_opps, "k").count().to_pyarrow().as_py())
    if only_opp:
        findings.append(_data("won_disagreement", "warning", "opportunities", only_opp,
                                f"{only_opp} account(s) have a won opportunity but no 'won' stage event",
                                "Load the account lifecycle (stage_events) from the same CRM export, or correct it."))
    if only_evt:
        findings.append(_data("won_disagreement", "warning", "stage_events", only_evt,
                                f"{only_evt} account(s) have a 'won' stage event but no won opportunity",
                                "Load the opportunities, or correct the stage events."))
    return findings


def open_quarantine(ws: Workspace) -> list[Finding]:
    q = ws.table("_quarantine")
    q = q.filter(q.resolved_by.isnull())
    expr = q.group_by(k=q.table_name).aggregate(n=ibis._.count())
    return [_data("quarantine", "info", k, n, f"{n} {k} row(s) are held in quarantine",
                    "See `wanamaker quarantine`; fix the mapping or config and run `wanamaker load --retry`.")
            for k, n in _counts(expr)]


def postgres_role(ws: Workspace) -> list[Finding]:
    """A superuser, or a member of a role that reads or writes server files, can escape every read-only
    guard; the documented deployment is a role that owns only its schema (docs/security.md)."""
    from wanamaker.engine.postgres_store import PostgresStore

    if not isinstance(ws.store, PostgresStore):
        return []
    risks = ws.store.role_risks()
    app = "wanamaker_app"
    setup = (f"As an administrator: CREATE ROLE {app} LOGIN PASSWORD '...'; "
             f'GRANT CONNECT, TEMPORARY ON DATABASE "{risks.database}" TO {app}; '
             f'GRANT USAGE, CREATE ON SCHEMA "{risks.schema}" TO {app}; '
             f'GRANT SELECT, INSERT, DELETE ON ALL TABLES IN SCHEMA "{risks.schema}" TO {app}; '
             f"then connect as {app} (postgresql://{app}:${{PGPASSWORD}}@host/{risks.database}); "
             "see docs/security.md.")
    if risks.superuser:
        return [_data("postgres_superuser", "warning", risks.role, 1,
                        f"the workspace connects to PostgreSQL as {risks.role}, a superuser: SQL run through it "
                        "can read and write files on the server and ignores every grant",
                        setup)]
    if risks.server_file_roles:
        granted = ", ".join(risks.server_file_roles)
        return [_data("postgres_server_files", "warning", risks.role, len(risks.server_file_roles),
                        f"the workspace's PostgreSQL role {risks.role} is a member of {granted}: SQL run "
                        "through it can read or write files on the server",
                        f"As an administrator: REVOKE {granted} FROM {risks.role}; or connect as a role without "
                        f"them. {setup}")]
    return []


def sla_breaches(ws: Workspace, as_of: datetime | None = None) -> list[Finding]:
    """``sla_breach`` (warning): one finding per rep whose median follow-up is slower than an SLA rule allows
    (the medians of ``wanamaker sla --by rep``, as of the end of the data)."""
    from wanamaker.funnel.alignment import end_of_data
    from wanamaker.funnel.sla import sla_rows

    rules = list(ws.config.sla)
    if not rules:
        return []
    if int(ws.table("stage_events").count().to_pyarrow().as_py()) == 0:
        return []
    rows = sla_rows(ws, rules, as_of or end_of_data(ws), "rep", None)
    limits = {r.name: r.within.total_seconds() / 3600 for r in rules}
    broken: dict[str, list[str]] = {}
    for r in rows:
        if r.key in ("all", "(none)") or r.median_hours is None or r.rule not in limits:
            continue
        if r.median_hours > limits[r.rule]:
            broken.setdefault(r.key, []).append(f"{r.rule} (median {r.median_hours:.1f} h, rule {limits[r.rule]:g} h, "
                                                f"{r.events} clocks)")
    return [Finding("sla_breach", "warning", rep, "wanamaker.yml", None,
                    f"sales rep {rep}'s median follow-up breaks {'; '.join(what)}",
                    "Review the rep's queue and routing (`wanamaker sla --by rep`, `wanamaker sla --open`).",
                    None)
            for rep, what in sorted(broken.items())]


CHECKS = (unknown_channels, unknown_stages, currencies_without_rates, opportunities_without_a_days_rate,
          won_disagreements, open_quarantine,
          postgres_role)


def check(ws: Workspace, *, as_of: datetime | None = None) -> list[Finding]:
    """Every check: the plan checks first (:mod:`wanamaker.goals.checks`), the calendar and work
    (:mod:`wanamaker.work.findings`: conflicting offers, promotion gaps, missed launches, unlinked work), the SLA
    by rep, channels whose lift test caps them far below their credit (:mod:`wanamaker.triangulate.findings`),
    then the data."""
    from wanamaker.goals.checks import plan_checks

    plan = plan_checks(ws, as_of)
    from wanamaker.triangulate.findings import zero_effect_findings
    from wanamaker.work.findings import calendar_findings

    return [*plan, *calendar_findings(ws, as_of), *sla_breaches(ws, as_of), *zero_effect_findings(ws),
            *[finding for step in CHECKS for finding in step(ws)]]
