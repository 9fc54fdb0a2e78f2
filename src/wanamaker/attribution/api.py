"""``attribute(ws, **options)``: the entry of ``wanamaker attribute`` and ``Workspace.attribution``.

Journeys are built in the engine (:mod:`.journeys`), pulled once as an ordered touch table, and
every model runs on it: rule models as per-touch weights (:mod:`.rules`), data-driven models on
the aggregated paths (:mod:`.markov`, :mod:`.shapley`) placed back on touches (:mod:`.credits`).
Sums are checked to 1e-9 relative on every run; runs and touch credits are persisted
(:mod:`.runs`); ``ci=True`` adds 90 % bootstrap intervals (:mod:`.bootstrap`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from wanamaker.attribution import credits
from wanamaker.attribution.extensions import EXTENSIONS, extension_function
from wanamaker.attribution.models import DATA_DRIVEN, Calibration, check_model, expand, path_credit
from wanamaker.attribution.paths import Float, Int, Paths, from_codes
from wanamaker.attribution.paths_file import read_paths
from wanamaker.attribution.rules import RuleParams, TouchArrays, rule_weights
from wanamaker.config.durations import format_duration
from wanamaker.errors import DataError, UsageError
from wanamaker.metrics.periods import label_array

if TYPE_CHECKING:  # the --paths route needs none of these (Arrow, SciPy, Ibis): they load where used
    import pyarrow as pa

    from wanamaker.attribution import bootstrap, journeys, runs

BY_KEYS = ("channel", "campaign", "content", "touch_type", "segment", "period")
_BY_COLUMN = {"channel": "channel", "campaign": "campaign_id", "content": "content",
              "touch_type": "touch_type", "segment": "segment", "period": "period"}
NO_TOUCH = "(no touch)"
NONE_KEY = "(none)"
UNPLACED = "(unplaced)"
NO_CONVERTER = "(no converting person)"
BASELINE = "(baseline)"


@dataclass(frozen=True)
class AttributionRow:
    model: str
    key: str
    conversions: float
    value: float
    share: float
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class AttributionResult:
    """Rows ``{"model","key","conversions","value","share","ci_low","ci_high"}`` plus provenance."""

    rows: tuple[AttributionRow, ...]
    runs: tuple[runs.RunRecord, ...] = ()
    notes: tuple[str, ...] = ()
    sql: str | None = None
    counts: dict[str, float] = field(default_factory=dict)

    def to_dicts(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self.rows]

    def to_arrow(self) -> pa.Table:
        import pyarrow as pa  # noqa: PLC0415

        return pa.Table.from_pylist(self.to_dicts())

    def to_pandas(self) -> Any:
        return self.to_arrow().to_pandas()


MAX_REPLICATES = 10_000
#: options that need a workspace's touches (a paths file has no times, stages or touch types)
_WORKSPACE_ONLY = {"level": "--level", "milestone": "--milestone", "lookback": "--lookback", "date_from": "--from",
                   "date_to": "--to", "exclude_channels": "--exclude-channel",
                   "exclude_touch_types": "--exclude-touch-type", "explain": "--explain"}


def options_from(ws: Any, *, level: str | None, milestone: str | None, value: str | None,
                 lookback: str | timedelta | None, date_from: Any, date_to: Any,
                 exclude_channels: list[str] | None = None,
                 exclude_touch_types: list[str] | None = None) -> journeys.JourneyOptions:
    """Merge flags over ``wanamaker.yml``'s attribution section, each checked (a bad one is a
    :class:`UsageError` naming its option). ``date_from`` / ``date_to`` are DATEs in the workspace
    time zone (``--to`` ends at the end of its day) or naive-UTC datetimes."""
    from wanamaker.attribution import journeys
    from wanamaker.config.options import choice_option, duration_option, window_option

    cfg = ws.config.attribution
    lvl = choice_option("--level", level or cfg.level, ("person", "account"))
    val = choice_option("--value", value or cfg.value, ("count", "pipeline", "revenue"))
    stage = milestone or cfg.milestone
    known = list(dict.fromkeys([*ws.config.funnel.stages, *journeys.OPPORTUNITY_DATES]))
    if stage not in known:
        where = "--milestone" if milestone else "attribution.milestone in wanamaker.yml"
        raise UsageError(f"{where} '{stage}' is not a funnel stage ({', '.join(known)})",
                         fix="name a stage from funnel.stages in wanamaker.yml, or add it there")
    lb = duration_option("--lookback", lookback) or cfg.lookback
    start, end = window_option(date_from, date_to, ws.config.timezone)
    if exclude_channels:
        _known_channels(ws, exclude_channels)
    return journeys.JourneyOptions(
        level=lvl, milestone=stage, value=val, lookback=lb, date_from=start, date_to=end,
        exclude_channels=tuple(exclude_channels if exclude_channels is not None else cfg.exclude_channels),
        exclude_touch_types=tuple(exclude_touch_types if exclude_touch_types is not None else cfg.exclude_touch_types),
    )


def _known_channels(ws: Any, names: list[str]) -> None:
    """``--exclude-channel`` names a channel of wanamaker.yml or of the touches; a typo is a usage error (it
    would otherwise exclude nothing, silently)."""
    from wanamaker.config.issues import did_you_mean

    tp = ws.table("touchpoints")
    seen = {str(c) for c in tp.select("channel").distinct().to_pyarrow().column("channel").to_pylist() if c}
    known = seen | set(ws.config.channels)
    unknown = [n for n in names if n not in known]
    if unknown:
        hint = did_you_mean(unknown[0], known).strip()
        hint = f"{hint} " if hint else ""
        raise UsageError(f"--exclude-channel {', '.join(unknown)}: no such channel in wanamaker.yml or the touches.",
                         fix=f"{hint}Name channels from `wanamaker attribute` output or wanamaker.yml's channels.")


def check_run(*, by: str, value: str | None, ci: bool, replicates: int, seed: int) -> None:
    """The options every route shares, checked before any data is read."""
    from wanamaker.config.options import choice_option, int_option

    choice_option("--by", by, BY_KEYS)
    if value is not None:
        choice_option("--value", value, ("count", "pipeline", "revenue"))
    if ci:
        int_option("--replicates", replicates, maximum=MAX_REPLICATES)
    int_option("--seed", seed, minimum=0)


def attribute(ws: Any = None, *, model: str = "all", order: int | None = None, by: str = "channel",
              level: str | None = None, milestone: str | None = None, value: str | None = None,
              lookback: str | timedelta | None = None, date_from: Any = None, date_to: Any = None,
              ci: bool = False, paths: str | Path | None = None, path_options: dict[str, str] | None = None,
              exclude_channels: list[str] | None = None, exclude_touch_types: list[str] | None = None,
              persist: bool = True, replicates: int = 200, seed: int = 0, explain: bool = False
              ) -> AttributionResult:
    """Attribute the milestone (and its value) to touches, channels and other keys.

    ``paths`` reads ChannelAttribution-style aggregated paths instead of the workspace (channel
    key only, nothing persisted). ``ci`` adds 90 % Poisson-bootstrap intervals on the credited
    measure (value, or conversions when ``value="count"``).
    """
    check_run(by=by, value=value, ci=ci, replicates=replicates, seed=seed)
    check_model(model, order, paths_only=paths is not None)
    if paths is not None:
        given = dict(level=level, milestone=milestone, lookback=lookback, date_from=date_from, date_to=date_to,
                     exclude_channels=exclude_channels, exclude_touch_types=exclude_touch_types, explain=explain or None)
        ignored = [_WORKSPACE_ONLY[k] for k, v in given.items() if v]
        if ignored:
            raise UsageError(f"{', '.join(ignored)} cannot be used with --paths: a paths file has no touch times, "
                             "stages or touch types", fix=f"drop {', '.join(ignored)}, or run on a workspace "
                             "without --paths")
        return _from_paths(Path(paths), model, order, by, value or "count", ci, replicates, seed, path_options or {})
    if ws is None:
        raise UsageError("no workspace and no --paths file", fix="run inside a workspace or pass --paths FILE")
    from wanamaker.attribution import journeys
    opts = options_from(ws, level=level, milestone=milestone, value=value, lookback=lookback,
                        date_from=date_from, date_to=date_to, exclude_channels=exclude_channels,
                        exclude_touch_types=exclude_touch_types)
    opts = journeys.resolve_sources(ws, opts)
    end = journeys.data_end(ws, opts)
    expr, conv = journeys.journey_touches(ws, opts, end)
    sql = str(ws.con.compile(expr)) if explain else None
    table = journeys.fetch(expr)
    conv_stats = conv.aggregate(n=conv.count(), v=conv.value.cast("float64").sum().cast("float64")).to_pyarrow().to_pylist()[0]
    window = journeys.window_money(ws, opts, end) if opts.value != "count" else None
    return _from_journeys(ws, opts, end, table, float(conv_stats["n"] or 0), float(conv_stats["v"] or 0.0),
                          model, order, by, ci, replicates, seed, persist, sql, window)


@dataclass(frozen=True)
class _Data:
    channels: tuple[str, ...]
    paths: Paths
    touches: TouchArrays  # converting touches only
    t_channel: Int
    t_journey_value: Float
    keys: dict[str, pa.Array]  # by-key columns over converting touches
    conv_table: pa.Table  # converting touches (subject, touch_id, channel, campaign_id)


def _prepare(ws: Any, table: pa.Table) -> _Data:
    import pyarrow as pa  # noqa: PLC0415 - loaded where used (see the imports at the top)
    import pyarrow.compute as pc  # noqa: PLC0415

    if table.num_rows == 0:
        raise DataError("no touches fall in the attribution window",
                        fix="check --milestone, --lookback and --from/--to, and that touchpoints are loaded")
    pos = table["pos"].to_numpy().astype(np.int64)  # ibis row_number is 0-based
    journey = np.cumsum(pos == 0) - 1
    enc = pc.dictionary_encode(table["channel"]).combine_chunks()
    names = [str(x) for x in enc.dictionary.to_pylist()]
    order = np.argsort(np.array(names, dtype=object))
    remap = np.empty(len(names), dtype=np.int64)
    remap[order] = np.arange(len(names))
    channels = tuple(sorted(names))
    code = remap[enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)]
    converted_t = np.asarray(table["converted"].to_numpy(zero_copy_only=False), dtype=bool)
    value_t = np.asarray(pc.fill_null(table["value"], 0.0).to_numpy(zero_copy_only=False), dtype=np.float64)
    first = pos == 0
    j_conv = converted_t[first].astype(np.float64)
    j_value = np.where(converted_t[first], value_t[first], 0.0)
    paths = from_codes(channels, journey, code, j_conv, j_value, 1.0 - j_conv)
    sel = np.flatnonzero(converted_t)
    cj = journey[sel]
    cj = np.cumsum(np.concatenate([[True], cj[1:] != cj[:-1]])) - 1 if sel.size else cj
    groups = {name: spec.group for name, spec in ws.config.channels.items()}
    is_direct = np.array([groups.get(c) == "direct" for c in channels], dtype=bool)

    def col(n: str) -> Any:
        return np.asarray(table[n].to_numpy(zero_copy_only=False))[sel]

    touches = TouchArrays(cj.astype(np.int64), pos[sel], col("n").astype(np.int64),
                          col("age_s").astype(np.float64), is_direct[code[sel]],
                          col("is_lead").astype(bool), col("is_opp").astype(bool), col("is_won").astype(bool))
    ct = table.take(pa.array(sel))
    period = label_array(ct["m_ts"], "month", ws.config.timezone, ws.config.fiscal_year_start)
    keys = {k: pc.fill_null(ct[c] if c != "period" else period, NONE_KEY).cast(pa.string())
            for k, c in _BY_COLUMN.items()}
    return _Data(channels, paths, touches, code[sel], value_t[sel], keys,
                 ct.select(["subject", "touch_id", "channel", "campaign_id"]))


def _from_journeys(ws: Any, opts: journeys.JourneyOptions, end: datetime, table: pa.Table, n_conv: float,
                   v_conv: float, model: str, order: int | None, by: str, ci: bool, replicates: int,
                   seed: int, persist: bool, sql: str | None,
                   window: tuple[float, int] | None = None) -> AttributionResult:
    import pyarrow.compute as pc  # noqa: PLC0415

    from wanamaker.attribution import bootstrap, journeys, runs  # noqa: PLC0415

    d = _prepare(ws, table)
    names, model_notes = expand(model, order, len(d.channels))
    notes = journeys.source_notes(opts) + journeys.money_notes(ws, opts) + model_notes
    total_c, total_v = float(d.paths.conversions.sum()), float(d.paths.value.sum())
    touchless_c, touchless_v = n_conv - total_c, v_conv - total_v
    unplaced_v = 0.0
    if window is not None:  # the money of the window's deals that no converting subject carries
        window_v, window_n = window
        unplaced_v = max(window_v - v_conv, 0.0)
        if unplaced_v <= credits.TOLERANCE * max(window_v, 1.0):
            unplaced_v = 0.0
        what = {"revenue": "won revenue", "pipeline": "pipeline"}[opts.value]
        if opts.milestone == "won" and opts.value == "pipeline":
            what = "won deals' value"
        notes.append(f"the rows add up to {window_v:,.2f} {ws.config.currency}: the {what} of the {window_n:,} "
                     f"deal(s) in the window; {v_conv - touchless_v:,.2f} credited to touches, "
                     f"{touchless_v:,.2f} to converting {opts.level}s with no touch in the lookback ({NO_TOUCH}), "
                     f"{unplaced_v:,.2f} on no converting {opts.level} ({NO_CONVERTER})")
    cfg = ws.config.attribution
    rp = RuleParams(cfg.half_life.total_seconds(), cfg.custom_weights.first, cfg.custom_weights.middle,
                    cfg.custom_weights.last)
    measure_is_value = opts.value != "count"
    t = d.touches
    n_j = t.n_journeys
    j_out_c = np.bincount(t.journey, minlength=n_j) > 0
    j_val = np.zeros(n_j)
    j_val[t.journey] = d.t_journey_value
    rows: list[AttributionRow] = []
    records: list[runs.RunRecord] = []
    credit_tables: list[pa.Table] = []
    key_arr = d.keys[by]
    key_enc = pc.dictionary_encode(key_arr).combine_chunks()
    key_names = [str(x) for x in key_enc.dictionary.to_pylist()]
    key_code = key_enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    run_ts, chash = runs.now(), runs.config_hash(ws)
    lay: credits.Layout | None = None  # built once, by the first data-driven model
    rs: bootstrap.Resample | None = None
    computed: dict[str, tuple[Float, Float, Float, Float, Float, Float, dict[str, object]]] = {}

    def model_credit(name: str) -> tuple[Float, Float, Float, Float, Float, Float, dict[str, object]]:
        """(touch_c, touch_v, channel_c, channel_v, gap_c, gap_v, extra) of a base model, computed once."""
        nonlocal lay
        if name in computed:
            return computed[name]
        extra: dict[str, object] = {}
        if name in DATA_DRIVEN:
            cc = path_credit(name, d.paths, value=measure_is_value)
            extra = cc.extra
            if lay is None:
                lay = credits.layout(t.journey, d.t_channel, n_j, len(d.channels))
            pl_c = credits.place_on(lay, j_out_c.astype(np.float64), cc.conversions)
            pl_v = credits.place_on(lay, j_val, cc.value)
            out = (pl_c.touch_share * 1.0, pl_v.touch_share * j_val[t.journey], cc.conversions, cc.value,
                   pl_c.gap, pl_v.gap, extra)
        else:
            w = rule_weights(name, t, rp)
            wv = w * j_val[t.journey]
            out = (w, wv, np.bincount(d.t_channel, weights=w, minlength=len(d.channels)),
                   np.bincount(d.t_channel, weights=wv, minlength=len(d.channels)),
                   np.zeros(len(d.channels)), np.zeros(len(d.channels)), extra)
        computed[name] = out
        return out

    for name in names:
        base_c = base_v = np.zeros(len(d.channels))  # what a calibrating model moves to (baseline)
        cal: Calibration | None = None
        if name in EXTENSIONS:
            ext = EXTENSIONS[name]
            b_touch_c, b_touch_v, b_ch_c, b_ch_v, gap_c, gap_v, _ = model_credit(ext.base)
            cal = extension_function(name)(ws, opts, d.channels, b_ch_c, b_ch_v, n_conv, v_conv, measure_is_value)
            touch_c = b_touch_c * cal.factor_c[d.t_channel]
            touch_v = b_touch_v * cal.factor_v[d.t_channel]
            ch_c, ch_v = b_ch_c * cal.factor_c, b_ch_v * cal.factor_v
            gap_c, gap_v = gap_c * cal.factor_c, gap_v * cal.factor_v
            base_c, base_v = b_ch_c - ch_c, b_ch_v - ch_v
            extra: dict[str, object] = {"base": ext.base, "factor_conversions": dict(zip(d.channels, cal.factor_c.tolist(), strict=True)),
                     "factor_value": dict(zip(d.channels, cal.factor_v.tolist(), strict=True))}
            notes.extend(n for n in cal.notes if n not in notes)
        else:
            touch_c, touch_v, ch_c, ch_v, gap_c, gap_v, extra = model_credit(name)
        credits.check_sum(f"{name} touches (conversions)", float(touch_c.sum() + base_c.sum()), total_c)
        credits.check_sum(f"{name} touches (value)", float(touch_v.sum() + base_v.sum()), total_v)
        credits.check_sum(f"{name} channels (conversions)", float(ch_c.sum() + base_c.sum()),
                          total_c if total_c else 0.0)
        credits.check_sum(f"{name} channels (value)", float(ch_v.sum() + base_v.sum()), total_v if total_v else 0.0)
        if by == "channel":
            kc, kv, knames = ch_c, ch_v, list(d.channels)
        else:
            kc = np.bincount(key_code, weights=touch_c, minlength=len(key_names))
            kv = np.bincount(key_code, weights=touch_v, minlength=len(key_names))
            knames = key_names
        lo = hi = None
        if cal is not None:
            if ci and by == "channel" and cal.low is not None and cal.high is not None:
                lo, hi = cal.low, cal.high
        elif ci:
            if rs is None and name in DATA_DRIVEN and by != "channel":
                rs = bootstrap.resample(d.paths, t.journey, d.t_channel, j_val)
            outcome = j_val if measure_is_value else j_out_c.astype(np.float64)
            lo, hi = _intervals(name, d, by, key_code, len(knames), touch_c, touch_v, measure_is_value,
                                replicates, seed, (rs, lay, outcome))
        rows.extend(_rows(name, knames, kc, kv, touchless_c, touchless_v, measure_is_value, lo, hi, unplaced_v,
                          (float(base_c.sum()), float(base_v.sum())) if cal is not None else None))
        run_id = runs.new_run_id()
        records.append(runs.RunRecord(
            run_id, name, {"order": order, "by": by, "half_life": format_duration(cfg.half_life),
                           "dated_by_opportunities": list(opts.from_opportunities), **_json_safe(extra)},
            opts.level, opts.milestone, opts.value, format_duration(opts.lookback), opts.date_from, end, chash, run_ts,
            {"conversions": n_conv, "value": v_conv, "touchless_conversions": touchless_c,
             "touchless_value": touchless_v, "journeys": float(d.paths.conversions.sum() + d.paths.nulls.sum())},
            {c: float(g) for c, g in zip(d.channels, gap_c, strict=False) if abs(g) > credits.TOLERANCE * max(total_c, 1.0)},
        ))
        credit_tables.append(_credit_table(run_id, opts.level, d, touch_c, touch_v, gap_c, gap_v,
                                           (base_c, base_v) if cal is not None else None))
    if persist:
        runs.persist(ws, records, credit_tables)
    counts = {"touches": float(table.num_rows), "converting_journeys": total_c}
    if window is not None:
        counts.update(total_value=window[0], window_deals=float(window[1]), unplaced_value=unplaced_v)
    return AttributionResult(tuple(rows), tuple(records), tuple(notes), sql, counts)


def _json_safe(extra: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in extra.items()}


def _credit_table(run_id: str, level: str, d: _Data, touch_c: Float, touch_v: Float,
                  gap_c: Float, gap_v: Float, baseline: tuple[Float, Float] | None = None) -> pa.Table:
    import pyarrow as pa  # noqa: PLC0415 - loaded where used (see the imports at the top)

    keep = np.flatnonzero((touch_c != 0) | (touch_v != 0))
    ct = d.conv_table.take(pa.array(keep))
    n = ct.num_rows
    main = pa.table({
        "run_id": pa.array([run_id] * n, pa.string()),
        "subject_type": pa.array([level] * n, pa.string()),
        "subject_id": ct["subject"].cast(pa.string()),
        "touch_id": ct["touch_id"].cast(pa.string()),
        "channel": ct["channel"].cast(pa.string()),
        "campaign_id": ct["campaign_id"].cast(pa.string()),
        "conversions": pa.array(touch_c[keep], pa.float64()),
        "value": pa.array(touch_v[keep], pa.float64()),
    })
    # a gap is what IPF could not place; below the sum tolerance it is rounding, not a gap
    tol_c = credits.TOLERANCE * max(float(touch_c.sum()), 1.0)
    tol_v = credits.TOLERANCE * max(float(touch_v.sum()), 1.0)
    gi = np.flatnonzero((np.abs(gap_c) > tol_c) | (np.abs(gap_v) > tol_v))
    parts = [main]
    if baseline is not None:  # each channel's credit that is not incremental, so the rows still add up
        bi = np.flatnonzero((baseline[0] != 0) | (baseline[1] != 0))
        parts.append(pa.table({
            "run_id": pa.array([run_id] * bi.size, pa.string()),
            "subject_type": pa.array([level] * bi.size, pa.string()),
            "subject_id": pa.array([BASELINE] * bi.size, pa.string()),
            "touch_id": pa.nulls(bi.size, pa.string()),
            "channel": pa.array([d.channels[i] for i in bi], pa.string()),
            "campaign_id": pa.array([BASELINE] * bi.size, pa.string()),
            "conversions": pa.array(baseline[0][bi], pa.float64()),
            "value": pa.array(baseline[1][bi], pa.float64()),
        }))
    if gi.size == 0:
        return pa.concat_tables(parts)
    gaps = pa.table({
        "run_id": pa.array([run_id] * gi.size, pa.string()),
        "subject_type": pa.array([level] * gi.size, pa.string()),
        "subject_id": pa.array([UNPLACED] * gi.size, pa.string()),
        "touch_id": pa.nulls(gi.size, pa.string()),
        "channel": pa.array([d.channels[i] for i in gi], pa.string()),
        "campaign_id": pa.array([UNPLACED] * gi.size, pa.string()),
        "conversions": pa.array(gap_c[gi], pa.float64()),
        "value": pa.array(gap_v[gi], pa.float64()),
    })
    return pa.concat_tables([*parts, gaps])


def _intervals(name: str, d: _Data, by: str, key_code: Int, n_keys: int, touch_c: Float, touch_v: Float,
               measure_is_value: bool, replicates: int, seed: int,
               placing: tuple[bootstrap.Resample | None, credits.Layout | None, Float]) -> tuple[Float, Float]:
    """90 % intervals per key (:mod:`.bootstrap`): rule models re-weight their fixed touch credits;
    data-driven models re-solve every replicate, and by any key but channel also re-place the
    replicate's channel credit on touches."""
    from wanamaker.attribution import bootstrap  # noqa: PLC0415

    if name in DATA_DRIVEN:
        def replicate(p: Paths) -> Float:
            c = path_credit(name, p, value=measure_is_value)
            return c.value if measure_is_value else c.conversions

        if by == "channel":
            samples = bootstrap.path_replicates(d.paths, replicate, replicates, seed)
        else:
            rs, lay, outcome = placing
            if rs is None or lay is None:
                raise ValueError("a data-driven model by a key other than channel needs its layout and resample")
            samples = bootstrap.placed_replicates(replicate, rs, lay, key_code, n_keys, outcome, replicates, seed)
    else:
        kc = d.t_channel if by == "channel" else key_code
        credit = touch_v if measure_is_value else touch_c
        samples = bootstrap.journey_sum(d.touches.journey, kc, credit, d.touches.n_journeys, n_keys,
                                        replicates, seed)
    return bootstrap.interval(samples)


def _rows(model: str, keys: list[str], conv: Float, val: Float, touchless_c: float, touchless_v: float,
          measure_is_value: bool, lo: Float | None, hi: Float | None, unplaced_v: float = 0.0,
          baseline: tuple[float, float] | None = None) -> list[AttributionRow]:
    measure = val if measure_is_value else conv
    base_c, base_v = baseline or (0.0, 0.0)
    total = float(measure.sum()) + (touchless_v + unplaced_v + base_v if measure_is_value else touchless_c + base_c)
    out = []
    for i in np.argsort(-measure, kind="stable"):
        share = float(measure[i] / total) if total else 0.0
        out.append(AttributionRow(model, keys[i], float(conv[i]), float(val[i]), share,
                                  None if lo is None or np.isnan(lo[i]) else float(lo[i]),
                                  None if hi is None or np.isnan(hi[i]) else float(hi[i])))
    if baseline is not None:
        m = base_v if measure_is_value else base_c
        out.append(AttributionRow(model, BASELINE, base_c, base_v, m / total if total else 0.0))
    if touchless_c > 0:
        m = touchless_v if measure_is_value else touchless_c
        out.append(AttributionRow(model, NO_TOUCH, touchless_c, touchless_v, m / total if total else 0.0))
    if measure_is_value and unplaced_v > 0:
        out.append(AttributionRow(model, NO_CONVERTER, 0.0, unplaced_v, unplaced_v / total if total else 0.0))
    return out


def _from_paths(file: Path, model: str, order: int | None, by: str, value: str, ci: bool, replicates: int,
                seed: int, path_options: dict[str, str]) -> AttributionResult:
    if by != "channel":
        raise UsageError("a paths file only has channels", fix="drop --by or use --by channel with --paths")
    if not path_options.get("sep", ">"):
        raise UsageError("--sep is empty: channels in a path need a separator", fix="use --sep '>' (the default) "
                         "or the text between channels in your file, e.g. --sep '|'")
    if path_options.get("path_col", "path") == path_options.get("conv_col", "total_conversions"):
        raise UsageError("--path-col and --conv-col name the same column",
                         fix="name the column of paths and the column of conversions")
    paths = read_paths(file, **path_options)
    names, notes = expand(model, order, len(paths.channels), paths_only=True)
    measure_is_value = value != "count"
    rows: list[AttributionRow] = []
    if not measure_is_value and any(n.startswith("markov_") for n in names):
        notes.append("with --value count the Markov value column splits value like conversions")
    for name in names:
        cc = path_credit(name, paths, value=measure_is_value)
        credits.check_sum(f"{name} channels (conversions)", float(cc.conversions.sum()), float(paths.conversions.sum()))
        lo = hi = None
        if ci:
            def replicate(p: Paths, name: str = name) -> Float:
                c = path_credit(name, p, value=measure_is_value)
                return c.value if measure_is_value else c.conversions

            from wanamaker.attribution import bootstrap  # noqa: PLC0415

            lo, hi = bootstrap.interval(bootstrap.path_replicates(paths, replicate, replicates, seed))
        rows.extend(_rows(name, list(paths.channels), cc.conversions, cc.value, 0.0, 0.0, measure_is_value, lo, hi))
    return AttributionResult(tuple(rows), (), tuple(notes), None,
                             {"paths": float(paths.n_paths), "conversions": float(paths.conversions.sum())})
