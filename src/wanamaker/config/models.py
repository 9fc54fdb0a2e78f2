"""The two workspace files as typed models: ``wanamaker.yml`` (:class:`WorkspaceConfig`) and
``plan.yml`` (:class:`Plan`). Every model forbids unknown keys (see DESIGN "Workspace") and every
number is finite: a value that would give nonsense later (a zero half-life, a tolerance of a
billion days, NaN weights) is a config problem with its file and line now."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from wanamaker.config.durations import parse_duration

MAX_FUTURE_TOLERANCE = timedelta(days=3650)
EARLIEST_MIN_DATE = date(1900, 1, 1)


def _duration(value: Any) -> timedelta:
    return parse_duration(value)


def _tolerance(value: Any) -> timedelta:
    return parse_duration(value, allow_zero=True, maximum=MAX_FUTURE_TOLERANCE)


Duration = Annotated[timedelta, BeforeValidator(_duration)]  # positive, at most 100 years
Tolerance = Annotated[timedelta, BeforeValidator(_tolerance)]  # zero or more, at most 10 years


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, allow_inf_nan=False)


class ChannelSpec(Strict):
    group: str = "other"
    marketing: bool = True


class UtmRule(Strict):
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    channel: str


class FunnelConfig(Strict):
    stages: list[str] = ["visitor", "lead", "mql", "sal", "sql", "opportunity", "won"]
    exits: list[str] = ["rejected", "recycled", "lost", "churned"]
    sourced_rule: Literal["lead_source", "first_touch", "first_marketing_before_sales"] = "first_touch"

    @model_validator(mode="after")
    def _distinct(self) -> FunnelConfig:
        both = set(self.stages) & set(self.exits)
        if both:
            raise ValueError(f"{sorted(both)} cannot be both a stage and an exit")
        if len(self.stages) < 2:
            raise ValueError("a funnel needs at least two stages")
        for names in (self.stages, self.exits):
            twice = sorted({s for s in names if names.count(s) > 1})
            if twice:
                raise ValueError(f"{twice} listed twice; list each stage and exit once")
        return self


class SlaRule(Strict):
    name: str
    from_stage: str = Field(alias="from")
    to: Annotated[list[str], BeforeValidator(_as_list), Field(min_length=1)]
    within: Duration


class CustomWeights(Strict):
    first: float = 0.4
    middle: float = 0.2
    last: float = 0.4

    @model_validator(mode="after")
    def _sum(self) -> CustomWeights:
        if min(self.first, self.middle, self.last) < 0 or abs(self.first + self.middle + self.last - 1) > 1e-9:
            raise ValueError("custom_weights must be non-negative and sum to 1 (first + middle + last)")
        return self


class AttributionConfig(Strict):
    lookback: Duration = timedelta(days=90)
    milestone: str = "opportunity"
    value: Literal["count", "pipeline", "revenue"] = "count"
    level: Literal["person", "account"] = "person"
    half_life: Duration = timedelta(days=7)
    custom_weights: CustomWeights = CustomWeights()
    exclude_channels: list[str] = []
    exclude_touch_types: list[str] = []


class IngestConfig(Strict):
    orphans: Literal["quarantine", "warn"] = "quarantine"
    future_tolerance: Tolerance = timedelta(days=1)
    min_date: date = date(1990, 1, 1)

    @field_validator("min_date")
    @classmethod
    def _min_date(cls, value: date) -> date:
        today = datetime.now().date()
        if not EARLIEST_MIN_DATE <= value <= today:
            raise ValueError(f"{value} is not between {EARLIEST_MIN_DATE} and today ({today}); rows dated before "
                             "min_date are quarantined, so write the earliest date your data can hold, e.g. 1990-01-01")
        return value


class CostLine(Strict):
    """A team or overhead cost for a period, added to blended CAC (DESIGN "Money")."""

    period: str
    team: str
    amount: float = Field(ge=0)
    currency: str | None = None

    @field_validator("period")
    @classmethod
    def _label(cls, value: str) -> str:
        if not re.fullmatch(r"FY\d{4}(-Q[1-4])?|\d{4}-\d\d", value):
            raise ValueError(f"'{value}' is not a period; write FY2026, FY2026-Q1 or 2026-03")
        return value


class EconomicsConfig(Strict):
    gross_margin: float = Field(default=0.8, gt=0, le=1)
    discount_rate: float = Field(default=0.1, ge=0, lt=1)
    model: str = "markov_3"  # the attribution model that credits new customers (CAC, ROMI by channel)
    ltv_model: Literal["historical", "sbg", "bgnbd", "paretonbd", "gamma_gamma"] = "historical"
    costs: list[CostLine] = []


class CalendarConfig(Strict):
    """The marketing calendar's rules (DESIGN "Work"): offer pairs that conflict when two campaigns overlap for
    one segment, and the longest a segment may go without an active campaign within a fiscal quarter."""

    conflicting_offers: list[tuple[str, str]] = [("discount", "premium")]
    max_gap: Duration = timedelta(days=45)


_DEFAULT_CHANNELS: dict[str, ChannelSpec] = {
    "paid_search": ChannelSpec(group="paid", marketing=True),
    "paid_social": ChannelSpec(group="paid", marketing=True),
    "display": ChannelSpec(group="paid", marketing=True),
    "organic_search": ChannelSpec(group="organic", marketing=True),
    "email": ChannelSpec(group="owned", marketing=True),
    "webinar": ChannelSpec(group="owned", marketing=True),
    "event": ChannelSpec(group="owned", marketing=True),
    "content": ChannelSpec(group="owned", marketing=True),
    "referral": ChannelSpec(group="earned", marketing=True),
    "partner": ChannelSpec(group="earned", marketing=True),
    "direct": ChannelSpec(group="direct", marketing=False),
    "outbound_sdr": ChannelSpec(group="sales", marketing=False),
}

_DEFAULT_UTM = [
    UtmRule(medium="cpc", channel="paid_search"),
    UtmRule(medium="ppc", channel="paid_search"),
    UtmRule(medium="paid_social", channel="paid_social"),
    UtmRule(medium="display", channel="display"),
    UtmRule(medium="organic", channel="organic_search"),
    UtmRule(medium="email", channel="email"),
    UtmRule(medium="webinar", channel="webinar"),
    UtmRule(medium="event", channel="event"),
    UtmRule(medium="referral", channel="referral"),
    UtmRule(medium="partner", channel="partner"),
    UtmRule(medium="(none)", channel="direct"),
]


class WorkspaceConfig(Strict):
    connection: str = "duckdb:///wanamaker.duckdb"
    timezone: str = "UTC"
    currency: str = "USD"
    fiscal_year_start: str = "01-01"
    channels: dict[str, ChannelSpec] = _DEFAULT_CHANNELS
    utm_rules: list[UtmRule] = _DEFAULT_UTM
    funnel: FunnelConfig = FunnelConfig()
    sla: list[SlaRule] = [
        SlaRule.model_validate({"name": "mql_followup", "from": "mql", "to": "first_sales_touch", "within": "24h"}),
        SlaRule.model_validate({"name": "sal_decision", "from": "mql", "to": ["sal", "rejected"], "within": "48h"}),
    ]
    attribution: AttributionConfig = AttributionConfig()
    ingest: IngestConfig = IngestConfig()
    economics: EconomicsConfig = EconomicsConfig()
    calendar: CalendarConfig = CalendarConfig()

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"'{value}' is not an IANA time zone such as UTC or Europe/Berlin") from exc
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        from wanamaker.schema.currencies import ISO_4217

        if value.upper() not in ISO_4217:
            raise ValueError(f"'{value}' is not an ISO-4217 currency code such as USD or EUR")
        return value.upper()

    @field_validator("fiscal_year_start")
    @classmethod
    def _fiscal(cls, value: str) -> str:
        match = re.fullmatch(r"(\d\d)-(\d\d)", str(value))
        if not match or not (1 <= int(match.group(1)) <= 12 and 1 <= int(match.group(2)) <= 28):
            raise ValueError(f"'{value}' is not MM-DD (a month and a day up to 28), such as 01-01 or 04-01")
        return value

    @property
    def fiscal_start_month(self) -> int:
        return int(self.fiscal_year_start[:2])

    def channel_group(self, channel: str) -> str:
        spec = self.channels.get(channel)
        return spec.group if spec else "other"


# ---------------------------------------------------------------- plan.yml


class Growth(Strict):
    growth: float


class Period(Strict):
    from_: date = Field(alias="from")
    to: date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.from_ > self.to:
            raise ValueError(f"the period starts ({self.from_}) after it ends ({self.to}); write from before to")
        return self


def _id_text(value: Any) -> Any:
    """An id written as a number in YAML (an Asana gid, a Jira issue number) is still an id: text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Deliverable(Strict):
    """A deliverable of a journey stage (DESIGN "Work"): its status comes from ``work_id`` (a ``work_items`` row)
    or from ``done: true`` (see :mod:`wanamaker.work.journey`)."""

    name: str
    owner: str | None = None
    due: date | None = None
    work_id: Annotated[str | None, BeforeValidator(_id_text)] = None
    done: bool = False

    @field_validator("name", "work_id")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("is empty: write a value, or leave the key out")
        return value


class JourneyStage(Strict):
    """A buyer-journey stage: the team that owns it (none is allowed: ``wanamaker journey`` reports it), the funnel
    stages it covers (names from ``funnel.stages`` of wanamaker.yml, checked by ``wanamaker journey``) and its
    deliverables."""

    stage: str
    owner_team: str | None = None
    funnel_stages: list[str] = []
    deliverables: list[Deliverable] = []

    @field_validator("owner_team")
    @classmethod
    def _blank_owner(cls, value: str | None) -> str | None:
        return value if value is None or value.strip() else None  # `owner_team: ""` is no owner

    @field_validator("funnel_stages")
    @classmethod
    def _once(cls, value: list[str]) -> list[str]:
        twice = sorted({s for s in value if value.count(s) > 1})
        if twice:
            raise ValueError(f"{twice} listed twice; list each funnel stage once")
        return value


class Goal(Strict):
    id: str
    name: str
    owner: str | None = None
    team: str | None = None
    metric: str
    direction: Literal["increase", "decrease"] = "increase"
    baseline: float | Literal["auto"] = "auto"
    target: float | Growth
    period: str | Period
    parent: str | None = None
    stands_alone: str | None = None
    weight: float = Field(default=1.0, ge=0)
    set_on: date | None = None  # when the goal was set (time-bound check); default: the check's as-of

    @field_validator("period")
    @classmethod
    def _period(cls, value: str | Period) -> str | Period:
        if isinstance(value, str) and not re.fullmatch(r"FY\d{4}(-Q[1-4])?|\d{4}-\d\d", value):
            raise ValueError(f"'{value}' is not a period; write FY2026, FY2026-Q1, 2026-03 or {{from: DATE, to: DATE}}")
        return value


class CustomMetric(Strict):
    """A custom metric (DESIGN "The metrics layer"): an aggregate over a contract table, or a ratio of two
    metrics. ``where`` is one scalar boolean expression over the table's columns, parsed, never pasted."""

    id: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    name: str | None = None
    description: str | None = None
    table: str | None = None
    agg: Literal["count", "count_distinct", "sum", "mean"] | None = None
    column: str | None = None
    time: str | None = None
    where: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    stage: str | None = None
    kind: Literal["effectiveness", "efficiency"] = "effectiveness"
    unit: Literal["count", "currency", "ratio", "days", "months", "hours", "score"] | None = None
    direction: Literal["increase", "decrease"] = "increase"

    @model_validator(mode="after")
    def _form(self) -> CustomMetric:
        ratio = self.numerator is not None or self.denominator is not None
        if ratio:
            if self.numerator is None or self.denominator is None:
                raise ValueError("a ratio metric needs both numerator and denominator (metric ids)")
            extra = [k for k in ("table", "agg", "column", "time", "where") if getattr(self, k) is not None]
            if extra:
                raise ValueError(f"a ratio metric takes numerator and denominator, not {', '.join(extra)}; "
                                 "define the parts as their own metrics")
            return self
        if self.table is None:
            raise ValueError("a metric needs table: (a contract table) and agg:, or numerator: and denominator:")
        agg = self.agg or "count"
        if agg in ("sum", "mean", "count_distinct") and self.column is None:
            raise ValueError(f"agg: {agg} needs column: (the column to aggregate)")
        return self

    @property
    def is_ratio(self) -> bool:
        return self.numerator is not None


class Balance(Strict):
    long_term_share: float = Field(default=0.46, ge=0, le=1)


class Plan(Strict):
    goals: list[Goal] = []
    metrics: list[CustomMetric] = []
    journey: list[JourneyStage] = []
    balance: Balance = Balance()
    _lines: dict[tuple[str | int, ...], int] = PrivateAttr(default_factory=dict)
    _file: str = PrivateAttr(default="plan.yml")

    def locate(self, file: str, lines: dict[tuple[str | int, ...], int]) -> None:
        """Remember where each entry was written (for findings that name a file and line)."""
        self._file, self._lines = file, dict(lines)

    @property
    def file(self) -> str:
        return self._file

    def line_of(self, *loc: str | int) -> int | None:
        """The line of ``loc`` (e.g. ``("goals", 2)``) in plan.yml, or of its nearest located parent."""
        probe = tuple(loc)
        while probe:
            if probe in self._lines:
                return self._lines[probe]
            probe = probe[:-1]
        return None
