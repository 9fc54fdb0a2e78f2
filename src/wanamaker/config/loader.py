"""Read and validate ``wanamaker.yml`` and ``plan.yml``; write the defaults for ``wanamaker init``."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from wanamaker.config.issues import ConfigIssue, collect, raise_if_any
from wanamaker.config.models import Plan, WorkspaceConfig
from wanamaker.config.yamlio import load_yaml

CONFIG_FILE = "wanamaker.yml"
PLAN_FILE = "plan.yml"

M = TypeVar("M", bound=BaseModel)


def _validate(model: type[M], path: Path, issues: list[ConfigIssue]) -> M | None:
    doc = load_yaml(path)
    for name, line in doc.missing_vars:
        issues.append(ConfigIssue("missing_env_var", path, line, f"${{{name}}}",
                                  f"environment variable {name} is not set.", f"Export {name} before running wanamaker."))
    try:
        validated = model.model_validate(doc.data or {})
    except ValidationError as exc:
        issues.extend(collect(model, doc, exc))
        return None
    if isinstance(validated, Plan):
        validated.locate(path.name, doc.lines)
    return validated


def load_config(root: Path) -> tuple[WorkspaceConfig, Plan]:
    """Both files of a workspace, validated together: every problem of both is reported at once."""
    issues: list[ConfigIssue] = []
    config = _validate(WorkspaceConfig, root / CONFIG_FILE, issues)
    plan_path = root / PLAN_FILE
    plan = _validate(Plan, plan_path, issues) if plan_path.exists() else Plan()
    raise_if_any(issues, f"The workspace {root}")
    assert config is not None and plan is not None
    return config, plan


DEFAULT_CONFIG = """\
# wanamaker workspace configuration. Every key is optional; these are the defaults.
connection: {connection}     # or postgresql://user:${{PGPASSWORD}}@host:5432/db, or spark:///path/to/warehouse
timezone: UTC                               # how naive timestamps in inputs are read, and how periods are cut
currency: USD
fiscal_year_start: 01-01                    # MM-DD; quarters are fiscal quarters
channels:                                   # taxonomy used by rules that need it (last non-direct, sourced, SLA)
  paid_search:    {{group: paid,    marketing: true}}
  paid_social:    {{group: paid,    marketing: true}}
  display:        {{group: paid,    marketing: true}}
  organic_search: {{group: organic, marketing: true}}
  email:          {{group: owned,   marketing: true}}
  webinar:        {{group: owned,   marketing: true}}
  event:          {{group: owned,   marketing: true}}
  content:        {{group: owned,   marketing: true}}
  referral:       {{group: earned,  marketing: true}}
  partner:        {{group: earned,  marketing: true}}
  direct:         {{group: direct,  marketing: false}}
  outbound_sdr:   {{group: sales,   marketing: false}}
utm_rules:                                  # first match wins: source/medium patterns (glob) -> channel
  - {{medium: cpc,         channel: paid_search}}
  - {{medium: ppc,         channel: paid_search}}
  - {{medium: paid_social, channel: paid_social}}
  - {{medium: display,     channel: display}}
  - {{medium: organic,     channel: organic_search}}
  - {{medium: email,       channel: email}}
  - {{medium: webinar,     channel: webinar}}
  - {{medium: event,       channel: event}}
  - {{medium: referral,    channel: referral}}
  - {{medium: partner,     channel: partner}}
  - {{medium: "(none)",    channel: direct}}
funnel:
  stages: [visitor, lead, mql, sal, sql, opportunity, won]
  exits: [rejected, recycled, lost, churned]
  sourced_rule: first_touch                 # lead_source | first_touch | first_marketing_before_sales
sla:
  - {{name: mql_followup, from: mql, to: first_sales_touch, within: 24h}}
  - {{name: sal_decision, from: mql, to: [sal, rejected], within: 48h}}
attribution:
  lookback: 90d
  milestone: opportunity
  value: count                              # count | pipeline | revenue
  level: person                             # person | account
  half_life: 7d                             # time_decay
  custom_weights: {{first: 0.4, middle: 0.2, last: 0.4}}
  exclude_channels: []
  exclude_touch_types: []
ingest:
  orphans: quarantine                       # quarantine | warn
  future_tolerance: 1d
  min_date: 1990-01-01
economics:
  gross_margin: 0.8                         # of revenue: ROMI, payback and LTV use gross profit
  discount_rate: 0.1                        # yearly, for discounted LTV
  model: markov_3                           # the attribution model that credits new customers by channel
  ltv_model: historical                     # historical | sbg | bgnbd | paretonbd | gamma_gamma
  costs: []                                 # team and overhead costs: [{{period: FY2026-Q1, team: marketing, amount: 250000}}]
calendar:
  conflicting_offers: [[discount, premium]] # offers two overlapping campaigns may not send to one segment
  max_gap: 45d                              # the longest a segment may go without a campaign within a quarter
"""

DEFAULT_PLAN = """\
# The goal cascade: every goal names its parent (or says why it stands alone).
goals:
  - id: revenue-fy26
    name: Grow revenue 10 %
    owner: ceo
    team: company
    metric: revenue
    direction: increase
    baseline: auto
    target: {growth: 0.10}
    period: FY2026
  - id: mql-q1
    parent: revenue-fy26
    name: 100 MQLs in Q1
    owner: cmo
    team: marketing
    metric: mql
    direction: increase
    baseline: auto
    target: 100
    period: FY2026-Q1
    weight: 1
metrics: []
journey: []
balance: {long_term_share: 0.46}
"""
