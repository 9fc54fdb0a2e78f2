"""Export files in the shapes real tools produce, written chunk by chunk: Salesforce (Lead,
Opportunity, Account, CampaignMember, Task, a lifecycle-history report), a GA4 BigQuery export
(flattened, Parquet), the ad platforms' click report (cost per click, matched to GA4 sessions), and
a marketing-automation email activity export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from wanamaker.demo import funnel, ids
from wanamaker.demo.campaigns import CLICK_ID, CURRENCY, PLATFORM, Campaign
from wanamaker.demo.causal import CHANNELS
from wanamaker.demo.generate import Chunk
from wanamaker.demo.journeys import TOUCH_TYPES, Touches
from wanamaker.demo.spec import DemoSpec
from wanamaker.demo.world import COUNTRIES, INDUSTRIES, REGIONS, SEGMENTS

UTM = {  # channel -> (source, medium) as the web sees it
    "paid_search": ("google", "cpc"), "paid_social": ("linkedin", "paid_social"), "display": ("google", "display"),
    "organic_search": ("google", "organic"), "content": ("blog", "content"), "referral": ("g2.com", "referral"),
    "partner": ("partner-portal", "partner"), "direct": ("", ""),
}  # fmt: skip
WEB = tuple(UTM)


class Writer:
    """Appends Arrow tables to CSV or Parquet files, one writer per file, closed at the end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.open: dict[str, pacsv.CSVWriter | pq.ParquetWriter] = {}
        self.rows: dict[str, int] = {}
        self.first: dict[str, pa.Table] = {}  # first row of each file: the template of its dirty rows

    def append(self, rel: str, table: pa.Table) -> None:
        if rel not in self.open:
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if rel.endswith(".parquet"):
                self.open[rel] = pq.ParquetWriter(path, table.schema)
            else:
                self.open[rel] = pacsv.CSVWriter(path, table.schema)
        self.open[rel].write_table(table)
        if rel not in self.first and table.num_rows:
            self.first[rel] = table.slice(0, 1)
        self.rows[rel] = self.rows.get(rel, 0) + table.num_rows

    def close(self) -> None:
        for w in self.open.values():
            w.close()
        self.open.clear()


def person_ids(chunk: Chunk) -> tuple[pa.Array, np.ndarray]:
    """Final person id (contact id once converted at SQL, else the lead id) and the global index."""
    g = chunk.people.offset + np.arange(chunk.people.n)
    converted = ~np.isnan(chunk.stages.sql)
    return pc.if_else(pa.array(converted), ids.sfid("003", g), ids.sfid("00Q", g)), g


def opp_ids(chunk: Chunk) -> pa.Array:
    return ids.sfid("006", chunk.index * 1_000_000 + np.arange(chunk.opps.n))


def write_crm(w: Writer, spec: DemoSpec, chunk: Chunk, first_ch: np.ndarray, reps: list[str], aes: list[str]) -> None:
    p, st, op = chunk.people, chunk.stages, chunk.opps
    pid, g = person_ids(chunk)
    acc_global = chunk.accounts.offset + p.account
    leads = np.flatnonzero(~np.isnan(st.lead))
    conv = ~np.isnan(st.sql[leads])
    status = np.full(leads.size, "Open", dtype=object)
    status[~np.isnan(st.mql[leads])] = "MQL"
    status[~np.isnan(st.sal[leads])] = "Accepted"
    rej = st.reason[leads]
    status[rej >= 0] = np.asarray([f"Rejected - {r}" for r in funnel.REJECT_REASONS], dtype=object)[rej[rej >= 0]]
    status[~np.isnan(st.recycled[leads])] = "Recycled"
    status[conv] = "Converted"
    has_opp = p_opp = op.person_opp[leads]
    opp_id = (
        pc.take(opp_ids(chunk), pa.array(np.where(has_opp >= 0, p_opp, 0)))
        if op.n
        else pa.nulls(leads.size, pa.string())
    )
    first = first_ch[leads]
    w.append("salesforce/Lead.csv", pa.table({
        "Id": ids.sfid("00Q", g[leads]),
        "CreatedDate": ids.iso(spec, st.lead[leads]),
        "LeadSource": ids.pick(CHANNELS, first),
        "Status": pa.array(status, pa.string()),
        "OwnerId": ids.pick(reps, p.rep[leads]),
        "IsConverted": pa.array(np.where(conv, "true", "false")),
        "ConvertedDate": ids.day_str(spec, st.sql[leads]),
        "ConvertedAccountId": pc.if_else(pa.array(conv), ids.account_ids(acc_global[leads]), pa.scalar("")),
        "ConvertedContactId": pc.if_else(pa.array(conv), ids.sfid("003", g[leads]), pa.scalar("")),
        "ConvertedOpportunityId": pc.if_else(pa.array(has_opp >= 0), opp_id, pa.scalar("")),
        "Company": ids.sfid("Account ", acc_global[leads]),
        "Segment__c": ids.pick(SEGMENTS, p.segment[leads].astype(np.int64)),
        "Matched_Account__c": ids.account_ids(acc_global[leads]),  # lead-to-account matching (LeanData-like)
    }))  # fmt: skip
    # lifecycle history: the stages the Lead object cannot hold
    parts = []
    for stage, t_stage, why in (("mql", st.mql, None), ("sal", st.sal, None), ("rejected", st.rejected, st.reason),
                          ("recycled", st.recycled, None), ("opportunity", op.person_opp_at, None)):  # fmt: skip
        m = np.flatnonzero(~np.isnan(t_stage))
        reason = (
            ids.pick(funnel.REJECT_REASONS, why[m].astype(np.int64)) if why is not None else pa.array([""] * m.size)
        )
        parts.append(pa.table({"Person Id": pc.take(pid, pa.array(m)), "Stage": pa.array([stage] * m.size),
                               "Changed At": ids.iso(spec, t_stage[m], "Z"), "Changed By": ids.pick(reps, p.rep[m]),
                               "Reason": reason}))  # fmt: skip
    member = np.flatnonzero(op.person_opp >= 0)
    closed = op.status[op.person_opp[member]] > 0
    m = member[closed]
    oi = op.person_opp[m]
    parts.append(pa.table({"Person Id": pc.take(pid, pa.array(m)),
                           "Stage": pa.array(np.where(op.status[oi] == 1, "won", "lost")),
                           "Changed At": ids.iso(spec, op.closed[oi], "Z"), "Changed By": ids.pick(reps, p.rep[m]),
                           "Reason": pa.array([""] * m.size)}))  # fmt: skip
    w.append("salesforce/LifecycleHistory.csv", pa.concat_tables(parts))
    if op.n:
        c = op.creator
        stage_name = np.where(
            op.status == 1, "Closed Won", np.where(op.status == 2, "Closed Lost", "Negotiation/Review")
        )
        close = np.where(np.isnan(op.closed), op.created + op.cycle, op.closed)
        w.append("salesforce/Opportunity.csv", pa.table({
            "Id": opp_ids(chunk),
            "Name": pc.binary_join_element_wise(ids.sfid("Deal ", chunk.index * 1_000_000 + np.arange(op.n)), pa.scalar(""), ""),
            "AccountId": ids.account_ids(acc_global[c]),
            "ContactId": pc.take(pid, pa.array(c)),
            "CreatedDate": ids.iso(spec, op.created),
            "CloseDate": ids.day_str(spec, close),
            "StageName": pa.array(stage_name),
            "IsClosed": pa.array(np.where(op.status > 0, "true", "false")),
            "IsWon": pa.array(np.where(op.status == 1, "true", "false")),
            "Amount": pa.array(op.amount),
            "CurrencyIsoCode": pa.array(["USD"] * op.n),
            "LeadSource": ids.pick(CHANNELS, first_ch[c]),
            "CampaignId": pa.array([""] * op.n),
            "OwnerId": ids.pick(aes, (c % len(aes)).astype(np.int64)),
            "Pricing_Variant__c": ids.pick(("price_a", "price_b"), op.variant.astype(np.int64)),
        }))  # fmt: skip
    a = chunk.accounts
    ga = a.offset + np.arange(a.n)
    country = np.asarray([COUNTRIES[REGIONS[r]][0] for r in a.region])
    w.append("salesforce/Account.csv", pa.table({
        "Id": ids.account_ids(ga), "Name": ids.sfid("Account ", ga),
        "Industry": ids.pick(INDUSTRIES, a.industry.astype(np.int64)), "BillingCountry": pa.array(country),
        "NumberOfEmployees": pa.array(a.employees), "Segment__c": ids.pick(SEGMENTS, a.segment.astype(np.int64)),
        "Region__c": ids.pick(REGIONS, a.region.astype(np.int64)), "CreatedDate": ids.iso(spec, a.created_at),
    }))  # fmt: skip


def first_channel(chunk: Chunk, t: Touches) -> np.ndarray:
    """Each person's first touch channel (their lead source); -1 when touchless."""
    first = np.full(chunk.people.n, -1, dtype=np.int64)
    is_first = np.r_[True, t.person[1:] != t.person[:-1]] if t.n else np.zeros(0, bool)
    first[t.person[is_first]] = t.channel[is_first]
    return first


def write_touches(
    w: Writer,
    spec: DemoSpec,
    chunk: Chunk,
    t: Touches,
    camp: np.ndarray,
    camps: list[Campaign],
    reps: list[str],
    cost: np.ndarray,
) -> None:
    """Every touch of the chunk, in the export of the tool that records it; ``cost`` is the per-touch
    cost of paid clicks (NaN elsewhere)."""
    pid, g = person_ids(chunk)
    cids = [c.campaign_id for c in camps]
    ch = np.asarray(CHANNELS)[t.channel]
    tid = chunk.index * 100_000_000 + np.arange(t.n)
    web = np.flatnonzero(np.isin(ch, WEB))
    _write_web(w, spec, chunk, t, web, ids.pick(cids, camp[web].astype(np.int64)), tid[web], cost[web])
    for channel, rel in (("email", "marketing_automation/email_activity.csv"),):
        m = np.flatnonzero(ch == channel)
        w.append(rel, pa.table({
            "Activity ID": ids.sfid("EA", tid[m]),
            "Person ID": pc.take(pid, pa.array(t.person[m])),
            "Email Campaign": ids.pick(cids, camp[m].astype(np.int64)),
            "Activity Type": pa.array(np.where(t.ttype[m] == TOUCH_TYPES.index("email_click"), "Click", "Open")),
            "Activity Date": ids.iso(spec, t.ts[m], "Z"),
        }))  # fmt: skip
    m = np.flatnonzero(np.isin(ch, ("webinar", "event")))
    conv = ~np.isnan(chunk.stages.sql[t.person[m]])
    w.append("salesforce/CampaignMember.csv", pa.table({
        "Id": ids.sfid("00v", tid[m]),
        "CampaignId": ids.pick(cids, camp[m].astype(np.int64)),
        "Campaign.Type": pa.array(np.where(ch[m] == "webinar", "Webinar", "Conference")),
        "LeadId": ids.sfid("00Q", g[t.person[m]]),
        "ContactId": pc.if_else(pa.array(conv), ids.sfid("003", g[t.person[m]]), pa.scalar("")),
        "Status": pa.array(["Attended"] * m.size),
        "HasResponded": pa.array(["true"] * m.size),
        "FirstRespondedDate": ids.day_str(spec, t.ts[m]),
        "CreatedDate": ids.iso(spec, t.ts[m] - 3.0),
    }))  # fmt: skip
    m = np.flatnonzero(ch == "outbound_sdr")
    owner = chunk.people.rep[t.person[m]].astype(np.int64)
    w.append("salesforce/Task.csv", pa.table({
        "Id": ids.sfid("00T", tid[m]),
        "WhoId": pc.take(pid, pa.array(t.person[m])),
        "OwnerId": ids.pick(reps, owner),
        "Type": pa.array(np.where(t.ttype[m] == TOUCH_TYPES.index("call"), "Call", "Email")),
        "Subject": pa.array(["Follow-up"] * m.size),
        "CreatedDate": ids.iso(spec, t.ts[m]),
    }))  # fmt: skip


def _write_web(
    w: Writer,
    spec: DemoSpec,
    chunk: Chunk,
    t: Touches,
    i: np.ndarray,
    cname: pa.Array,
    tid: np.ndarray,
    cost: np.ndarray,
) -> None:
    """Web touches ``i`` (with their campaign names, touch ids and costs) as the GA4 BigQuery export
    has them, and the ad platforms' click report of the paid ones. Each paid click's id is on its
    landing page (auto-tagging); the warehouse matches a click to the session it opened by that id,
    so the report carries the session's GA4 keys and landing page next to the click's cost."""
    pid, g = person_ids(chunk)
    second = chunk.people.u["identify"][t.person[i]] >= 0.85  # cookie never linked to the pre-lead one
    cookie = pc.binary_join_element_wise(
        pa.array(g[t.person[i]] + 1_000_000_000).cast(pa.string()),
        pa.array(np.where(t.identified[i] & second, ".2", ".1")),
        "",
    )
    src = np.asarray([UTM.get(c, ("", ""))[0] for c in CHANNELS], dtype=object)
    med = np.asarray([UTM.get(c, ("", ""))[1] for c in CHANNELS], dtype=object)
    source = pa.array(src[t.channel[i]], pa.string())
    medium = pa.array(med[t.channel[i]], pa.string())
    in_url = (tid % 10) < 3  # 30 % carry their UTM only in the landing page URL
    paid = ~np.isnan(cost)
    param = np.asarray([CLICK_ID.get(c, ("", ""))[0] for c in CHANNELS], dtype=object)[t.channel[i]]
    prefix = np.asarray([CLICK_ID.get(c, ("", ""))[1] for c in CHANNELS], dtype=object)[t.channel[i]]
    click = pc.binary_join_element_wise(pa.array(prefix, pa.string()), ids.sfid("", tid), "")
    tag = pc.binary_join_element_wise(
        pa.array(np.where(in_url, "&", "?")), pa.array(param, pa.string()), "=", click, ""
    )
    url = pc.binary_join_element_wise("https://northwind-demo.com/pricing?utm_source=", source, "&utm_medium=", medium,
                                      "&utm_campaign=", cname, "")  # fmt: skip
    url = pc.if_else(pa.array(in_url), url, pa.scalar("https://northwind-demo.com/"))
    url = pc.binary_join_element_wise(url, pc.if_else(pa.array(paid), tag, pa.scalar("")), "")
    blank = pa.array(in_url)
    user_id = pc.if_else(pa.array(t.identified[i]), pc.take(pid, pa.array(t.person[i])), pa.scalar(""))
    event_us = ids.epoch_us(spec, t.ts[i])
    w.append("ga4/events.parquet", pa.table({
        "event_timestamp": pa.array(event_us),
        "event_name": pa.array(["session_start"] * i.size),
        "user_pseudo_id": cookie,
        "user_id": user_id,
        "collected_traffic_source.manual_source": pc.if_else(blank, pa.scalar(""), source),
        "collected_traffic_source.manual_medium": pc.if_else(blank, pa.scalar(""), medium),
        "collected_traffic_source.manual_campaign_name": pc.if_else(blank, pa.scalar(""), cname),
        "session_traffic_source_last_click.manual_campaign.source": pa.array([""] * i.size),
        "session_traffic_source_last_click.manual_campaign.medium": pa.array([""] * i.size),
        "session_traffic_source_last_click.manual_campaign.campaign_name": pa.array([""] * i.size),
        "page_location": url,
    }))  # fmt: skip
    k = pa.array(np.flatnonzero(paid))
    platform = np.asarray([PLATFORM.get(c, "") for c in CHANNELS], dtype=object)
    click_s = (event_us[paid] // 1_000_000).astype("datetime64[s]")  # the click, to the second
    w.append("ads/paid_clicks.parquet", pa.table({
        "click_id": pc.take(click, k),
        "platform": pa.array(platform[t.channel[i][paid]], pa.string()),
        "click_time": pa.array(np.char.add(np.datetime_as_string(click_s, unit="s"), "Z")),
        "campaign": pc.take(cname, k),
        "cost": pa.array(cost[paid]),
        "currency": pa.array([CURRENCY] * int(paid.sum()), pa.string()),
        # the session the click opened, as the warehouse matched it (GA4 keys and landing page)
        "ga4_user_pseudo_id": pc.take(cookie, k),
        "ga4_event_timestamp": pa.array(event_us[paid]),
        "landing_page": pc.take(url, k),
    }))  # fmt: skip
