"""Table contracts: the canonical schema every input is mapped onto (DESIGN "Table contracts").

This module is the one source of truth that ingest validates against, the engines create tables
from, the docs list and the tests read. Types are engine-neutral names:
``string``, ``timestamp`` (naive UTC), ``date``, ``float64``, ``int64``, ``boolean``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["string", "timestamp", "date", "float64", "int64", "boolean"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = "string"
    required: bool = False
    allowed: tuple[str, ...] | None = None
    min_value: float | None = None
    currency: bool = False  # an ISO-4217 code
    references: str | None = None  # "table.column": an orphan check
    doc: str = ""
    planned: bool = False  # a planned date (a due date, a campaign's end): the future is allowed


@dataclass(frozen=True)
class TableContract:
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    doc: str = ""
    derived_key: bool = False  # the key may be derived from a hash of the row (touchpoints)
    # one of these column groups must be non-empty on every row
    one_of: tuple[tuple[str, ...], ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


BOOKKEEPING = ("_load_id", "_source", "_row_hash")

C = Column
_TS: ColumnType = "timestamp"

TABLES: dict[str, TableContract] = {
    t.name: t
    for t in (
        TableContract(
            "accounts",
            ("account_id",),
            (
                C("account_id", required=True),
                C("name"),
                C("segment"),
                C("industry"),
                C("region"),
                C("employees", "int64", min_value=0),
                C("created_at", _TS),
            ),
            "Companies (B2B accounts).",
        ),
        TableContract(
            "people",
            ("person_id",),
            (
                C("person_id", required=True),
                C("account_id"),
                C("created_at", _TS),
                C("segment"),
                C("country"),
                C("lead_source"),
                C("owner_id", doc="the accountable sales rep"),
            ),
            "Leads and contacts: everyone the funnel follows.",
        ),
        TableContract(
            "identities",
            ("anonymous_id", "person_id"),
            (
                C("anonymous_id", required=True),
                C("person_id", required=True, references="people.person_id"),
                C("linked_at", _TS),
            ),
            "Stitches anonymous web touches to the person they became.",
        ),
        TableContract(
            "touchpoints",
            ("touch_id",),
            (
                C("touch_id", required=True),
                C("person_id", references="people.person_id"),
                C("anonymous_id"),
                C("account_id"),
                C("ts", _TS, required=True),
                C("channel", required=True),
                C("campaign_id"),
                C("source"),
                C("medium"),
                C("content"),
                C("touch_type"),
                C("owner_id", doc="who made a sales touch"),
                C("cost", "float64", min_value=0),
                C("currency", currency=True),
            ),
            "Every marketing and sales touch.",
            derived_key=True,
            one_of=(("person_id", "anonymous_id", "account_id"),),
        ),
        TableContract(
            "stage_events",
            ("subject_type", "subject_id", "stage", "ts"),
            (
                C("subject_type", required=True, allowed=("person", "account", "opportunity")),
                C("subject_id", required=True),
                C("stage", required=True),
                C("ts", _TS, required=True),
                C("owner_id"),
                C("reason"),
            ),
            "Lifecycle stage entries of people, accounts and opportunities.",
        ),
        TableContract(
            "opportunities",
            ("opportunity_id",),
            (
                C("opportunity_id", required=True),
                C("account_id"),
                C("person_id"),
                C("created_at", _TS, doc="empty on early-stage deals in some CRM exports: counted as won or lost, not created"),
                C("closed_at", _TS),
                C("status", required=True, allowed=("open", "won", "lost")),
                C("amount", "float64", min_value=0),
                C("currency", currency=True),
                C("owner_id"),
                C("source"),
            ),
            "Deals: pipeline and bookings.",
        ),
        TableContract(
            "revenue",
            ("revenue_id",),
            (
                C("revenue_id", required=True),
                C("account_id"),
                C("person_id"),
                C("ts", _TS, required=True),
                C("amount", "float64", required=True),
                C("currency", currency=True),
                C("kind", required=True,
                  allowed=("new", "renewal", "expansion", "contraction", "churn", "purchase")),
            ),
            "Recognised customer revenue, or raw purchases; contraction and churn amounts may be negative.",
            derived_key=True,
            one_of=(("account_id", "person_id"),),
        ),
        TableContract(
            "spend",
            ("date", "channel", "campaign_id"),
            (
                C("date", "date", required=True),
                C("channel", required=True),
                C("campaign_id", required=True, doc="'(none)' when spend is not tied to a campaign"),
                C("amount", "float64", required=True, min_value=0),
                C("currency", currency=True),
            ),
            "Daily spend per channel and campaign.",
        ),
        TableContract(
            "campaigns",
            ("campaign_id",),
            (
                C("campaign_id", required=True),
                C("name"),
                C("channel"),
                C("starts", "date", planned=True),
                C("ends", "date", planned=True),
                C("segments", doc="comma-separated segments"),
                C("offer"),
                C("budget", "float64", min_value=0),
                C("owner_id"),
                C("horizon", allowed=("short", "long")),
                C("goal_id"),
            ),
            "Campaigns and their calendar.",
        ),
        TableContract(
            "work_items",
            ("work_id",),
            (
                C("work_id", required=True),
                C("title"),
                C("kind"),
                C("requested_at", _TS),
                C("requested_by"),
                C("started_at", _TS),
                C("due_at", _TS, planned=True),
                C("delivered_at", _TS),
                C("owner_id"),
                C("hours", "float64", min_value=0),
                C("estimated_hours", "float64", min_value=0),
                C("repeatable", "boolean"),
                C("campaign_id"),
                C("goal_id"),
                C("expected_value", "float64"),
                C("status"),
            ),
            "The marketing team's deliverables.",
        ),
        TableContract(
            "approvals",
            ("work_id", "round"),
            (
                C("work_id", required=True, references="work_items.work_id"),
                C("round", "int64", required=True, min_value=1),
                C("submitted_at", _TS),
                C("decided_at", _TS),
                C("reviewer_id"),
                C("decision", allowed=("approved", "changes_requested", "rejected")),
            ),
            "Approval rounds of work items.",
        ),
        TableContract(
            "survey_responses",
            ("response_id",),
            (
                C("response_id", required=True),
                C("respondent_id"),
                C("team"),
                C("submitted_at", _TS),
                C("period"),
                C("question"),
                C("score", "float64"),
                C("comment"),
            ),
            "Survey answers (sales rates marketing).",
        ),
        TableContract(
            "team_members",
            ("member_id",),
            (
                C("member_id", required=True),
                C("name"),
                C("team"),
                C("role"),
                C("email"),
                C("active_from", "date"),
                C("active_to", "date"),
            ),
            "Everyone in marketing, sales and the teams they work with.",
        ),
        TableContract(
            "experiments",
            ("experiment_id", "unit_id"),
            (
                C("experiment_id", required=True),
                C("unit_id", required=True),
                C("kind", required=True, allowed=("lift", "pricing", "ab")),
                C("channel", doc="the channel a lift test holds out"),
                C("milestone", doc="the funnel stage `converted` means (lead, opportunity, won ...)"),
                C("variant"),
                C("is_control", "boolean"),
                C("allocation", "float64", min_value=0, doc="the variant's planned share of units (0..1)"),
                C("assigned_at", _TS),
                C("converted", "boolean"),
                C("converted_at", _TS),
                C("revenue", "float64"),
                C("price", "float64", min_value=0, doc="pricing tests: the price offered"),
            ),
            "Lift tests, pricing tests and A/B tests, one row per unit.",
        ),
        TableContract(
            "fx_rates",
            ("date", "currency"),
            (
                C("date", "date", required=True),
                C("currency", required=True, currency=True),
                C("rate_to_workspace_currency", "float64", required=True, min_value=0),
            ),
            "Daily exchange rates into the workspace currency.",
        ),
    )
}


def contract(name: str) -> TableContract:
    """The contract of table ``name``; a clear error names the valid tables."""
    from wanamaker.config.issues import did_you_mean
    from wanamaker.errors import UsageError

    try:
        return TABLES[name]
    except KeyError:
        raise UsageError(
            f"'{name}' is not a wanamaker table.{did_you_mean(name, set(TABLES))}",
            fix=f"Use one of: {', '.join(TABLES)}.",
        ) from None
