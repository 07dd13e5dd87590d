"""Every SQL the dashboard runs, one function per chart or table, against the snapshot.

Each function takes a DuckDB connection on the published snapshot (read-only) and returns a
small pandas frame: the aggregation happens inside DuckDB, only the chart's rows come back.
No metric is defined here: the marts compute them (see their dbt docs, which the pages link
to). What the queries add is only what a filter needs, in the marts' own terms:

- a period of several months pools the months the way the mart defines the metric: sums of
  counts, rates as pooled ratios (converted / entered, spend / conversions, revenue /
  spend), medians over the underlying rows (``fct_lead_responses``), never a mean of
  medians;
- the marts cut one dimension at a time (``dimension`` / ``dimension_value``), so a page uses
  the cut of the first filter set (owner, then channel, then segment) and names the filters
  that cannot apply (``Cut.ignored``);
- where a mart has no cut for a filter (attribution by segment, speed to lead by team or
  segment, LTV by channel and segment) the query groups the mart's own fact table
  (``fct_attribution``, ``fct_lead_responses``, ``fct_account_ltv``) the same way the mart
  does; tests/dashboard checks those groupings equal the mart at the mart's grain.

Segments: every mart uses the labels of seed ``segments`` (``SMB``, ``Mid-Market``,
``Enterprise``, ``Unknown``); ``segment_key`` compares a filter with them regardless of
case and separator (``mid_market`` finds ``Mid-Market``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from dashboard.snapshot import cursor

# The order the selectors list the models in (fct_attribution.model; a model the snapshot
# has and this list lacks is listed after them, so nothing is hidden).
MODEL_ORDER = (
    "first_touch",
    "last_touch",
    "linear",
    "time_decay",
    "u_shaped",
    "w_shaped",
    "full_path",
    "markov",
    "shapley",
)
CONVERSION_TYPES = ("lead_created", "opportunity_created", "closed_won")
VELOCITY_DRIVERS = (
    "contribution_open_opportunities",
    "contribution_avg_deal_size",
    "contribution_win_rate",
    "contribution_cycle_days",
)


@dataclass(frozen=True)
class Filters:
    """The sidebar's filters. Months are first days; ``None`` = not filtered."""

    start_month: dt.date | None = None
    end_month: dt.date | None = None
    segment: str | None = None
    owner: str | None = None
    channel: str | None = None

    def months(self) -> tuple[dt.date, dt.date]:
        return (self.start_month or dt.date(1900, 1, 1), self.end_month or dt.date(9999, 12, 1))


@dataclass(frozen=True)
class Cut:
    """The mart cut a page shows: ``dimension`` = ``value``, and the filters left out."""

    dimension: str
    value: str
    ignored: tuple[str, ...] = field(default_factory=tuple)


def segment_key(sql: str) -> str:
    """SQL: the comparable key of a segment label (``Mid-Market`` and ``mid_market`` alike)."""
    return f"lower(replace(replace({sql}, '-', '_'), ' ', '_'))"


def choose_cut(f: Filters, available: tuple[str, ...] = ("owner", "channel", "segment")) -> Cut:
    """The first filter set among ``available`` (owner, channel, segment), else ``all``."""
    chosen = [(d, getattr(f, d)) for d in available if getattr(f, d)]
    if not chosen:
        return Cut("all", "all")
    dimension, value = chosen[0]
    ignored = tuple(d for d, _ in chosen[1:])
    return Cut(dimension, str(value), ignored)


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    cur = cursor(con)
    try:
        return cur.execute(sql, params or []).df()
    finally:
        cur.close()


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        _df(
            con,
            "SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
            [schema, table],
        )["n"].iloc[0]
    )


# --------------------------------------------------------------------------- filter options


def filter_options(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    """Months, segments, owners (id, name) and channels the snapshot holds."""
    months = _df(
        con,
        """
        SELECT DISTINCT month FROM (
            SELECT cohort_month AS month FROM marts.mart_funnel
            UNION ALL SELECT month FROM marts.mart_attribution_by_channel
            UNION ALL SELECT month FROM marts.mart_speed_to_lead
            UNION ALL SELECT month FROM marts.mart_pipeline_velocity
        ) ORDER BY month
        """,
    )["month"]
    segments = _df(
        con,
        """
        SELECT DISTINCT segment FROM (
            SELECT segment FROM marts.fct_account_ltv
            UNION ALL SELECT dimension_value FROM marts.mart_funnel WHERE dimension = 'segment'
            UNION ALL SELECT dimension_value FROM marts.mart_pipeline_velocity
            WHERE dimension = 'segment'
        ) ORDER BY segment = 'Unknown', segment
        """,
    )["segment"]
    owners = _df(
        con,
        """
        WITH used AS (
            SELECT owner_id FROM marts.mart_speed_to_lead
            UNION SELECT dimension_value FROM marts.mart_funnel WHERE dimension = 'owner'
            UNION SELECT dimension_value FROM marts.mart_pipeline_velocity
            WHERE dimension = 'owner'
        )
        SELECT used.owner_id, coalesce(o.owner_name, used.owner_id) AS owner_name
        FROM used LEFT JOIN _release.owners AS o ON o.owner_id = used.owner_id
        WHERE used.owner_id NOT IN ('Unknown', 'unassigned')
        ORDER BY owner_name
        """,
    )
    channels = _df(
        con,
        """
        SELECT DISTINCT channel FROM (
            SELECT channel FROM marts.mart_attribution_by_channel
            UNION ALL SELECT acquisition_channel FROM marts.fct_account_ltv
        ) WHERE channel IS NOT NULL ORDER BY channel
        """,
    )["channel"]
    return {
        "months": [pd.Timestamp(m).date() for m in months],
        "segments": list(segments),
        "owners": list(owners.itertuples(index=False, name=None)),
        "channels": list(channels),
    }


# --------------------------------------------------------------------------------- funnel


def funnel_stages(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    funnel: str = "lifecycle",
    basis: str = "funnel_cohort",
) -> pd.DataFrame:
    """One row per transition of ``funnel`` over the period: entered, converted, the pooled
    conversion rate (converted / entered of the pooled cohorts) and the benchmark."""
    cut = choose_cut(f)
    start, end = f.months()
    return _df(
        con,
        """
        SELECT from_stage, to_stage, stage_order,
               sum(entered) AS entered, sum(converted) AS converted,
               sum(converted) / nullif(sum(entered), 0) AS conversion_rate,
               sum(skipped_from_stage) AS skipped_from_stage,
               sum(skipped_to_stage) AS skipped_to_stage,
               any_value(benchmark_low) AS benchmark_low,
               any_value(benchmark_high) AS benchmark_high,
               bool_and(is_complete) AS is_complete
        FROM marts.mart_funnel
        WHERE funnel = ? AND basis = ? AND dimension = ? AND dimension_value = ?
          AND cohort_month BETWEEN ? AND ?
        GROUP BY ALL ORDER BY stage_order
        """,
        [funnel, basis, cut.dimension, cut.value, start, end],
    )


def funnel_stage_counts(stages: pd.DataFrame) -> pd.DataFrame:
    """Stage counts from ``funnel_stages``: each from-stage's entered, then the last
    to-stage's converted (with basis funnel_cohort they never grow down the funnel)."""
    if stages.empty:
        return pd.DataFrame(columns=["stage", "stage_order", "records"])
    rows = [(r.from_stage, int(r.stage_order), int(r.entered)) for r in stages.itertuples()]
    last = stages.iloc[-1]
    rows.append((last.to_stage, int(last.stage_order) + 1, int(last.converted)))
    return pd.DataFrame(rows, columns=["stage", "stage_order", "records"])


def funnel_by_month(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    funnel: str = "lifecycle",
    basis: str = "stage_cohort",
) -> pd.DataFrame:
    """Per cohort month and transition: conversion rate, median days, benchmark, complete."""
    cut = choose_cut(f)
    start, end = f.months()
    return _df(
        con,
        """
        SELECT cohort_month, from_stage || ' → ' || to_stage AS transition, stage_order,
               entered, converted, conversion_rate, median_days, is_complete,
               benchmark_low, benchmark_high
        FROM marts.mart_funnel
        WHERE funnel = ? AND basis = ? AND dimension = ? AND dimension_value = ?
          AND cohort_month BETWEEN ? AND ?
        ORDER BY cohort_month, stage_order
        """,
        [funnel, basis, cut.dimension, cut.value, start, end],
    )


# -------------------------------------------------------------------------- speed to lead

_RESPONSES = """
    SELECT r.person_id, coalesce(r.owner_id, 'unassigned') AS owner_id,
           CASE WHEN r.owner_id IS NULL THEN 'unassigned'
                ELSE coalesce(r.owner_name, o.owner_name, r.owner_id) END AS owner_name,
           -- the team as mart_speed_to_lead_by_team cuts it (the owner's Department)
           coalesce(r.owner_team, 'unassigned') AS team,
           coalesce(a.segment, 'Unknown') AS segment,
           CAST(date_trunc('month', r.trigger_at) AS DATE) AS month,
           r.trigger_type, r.trigger_at, r.first_touch_at, r.response_minutes,
           r.is_within_sla, r.is_unworked
    FROM marts.fct_lead_responses AS r
    LEFT JOIN _release.owners AS o ON o.owner_id = r.owner_id
    LEFT JOIN marts.dim_people AS p ON p.person_id = r.person_id
    LEFT JOIN marts.fct_account_ltv AS a ON a.account_id = p.account_id
"""


def _responses_where(f: Filters) -> tuple[str, list]:
    start, end = f.months()
    where, params = ["month BETWEEN ? AND ?"], [start, end]
    if f.owner:
        where.append("owner_id = ?")
        params.append(f.owner)
    if f.segment:
        where.append(f"{segment_key('segment')} = {segment_key('?')}")
        params.append(f.segment)
    return " AND ".join(where), params


def speed_to_lead(con: duckdb.DuckDBPyConnection, f: Filters, by: str = "owner") -> pd.DataFrame:
    """Leads to work, median minutes to the first sales touch (worked leads), share within
    SLA (unworked count as missed) and unworked leads, grouped ``by`` owner, team, month or
    ``total``: the definitions of mart_speed_to_lead pooled over the period."""
    groups = {
        "owner": "owner_id, owner_name, team",
        "team": "team",
        "month": "month",
        "total": "'all' AS total",
    }[by]
    where, params = _responses_where(f)
    return _df(
        con,
        f"""
        WITH responses AS ({_RESPONSES})
        SELECT {groups},
               count(*) AS leads,
               median(response_minutes) FILTER (WHERE NOT is_unworked)
                   AS median_response_minutes,
               avg(CASE WHEN is_within_sla THEN 1.0 ELSE 0.0 END) AS share_within_sla,
               count(*) FILTER (WHERE is_unworked) AS unworked_leads,
               count(*) FILTER (WHERE is_unworked AND trigger_type = 'mql') AS unworked_mqls
        FROM responses WHERE {where}
        GROUP BY ALL ORDER BY leads DESC, 1
        """,
        params,
    )


def unworked_mqls(con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 500) -> pd.DataFrame:
    """MQLs no salesperson has touched (every MQL must be worked), oldest first."""
    where, params = _responses_where(f)
    return _df(
        con,
        f"""
        WITH responses AS ({_RESPONSES}),
        chosen AS (SELECT * FROM responses WHERE {where})
        SELECT r.person_id, p.email, r.owner_name, r.team, r.segment, r.trigger_at,
               date_diff('day', r.trigger_at, b.as_of) AS days_waiting
        FROM chosen AS r
        CROSS JOIN _release.build AS b
        LEFT JOIN marts.dim_people AS p ON p.person_id = r.person_id
        WHERE r.is_unworked AND r.trigger_type = 'mql'
        ORDER BY r.trigger_at LIMIT {int(limit)}
        """,
        params,
    )


def speed_to_lead_mart(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """mart_speed_to_lead's rows of the period (the table on demand)."""
    start, end = f.months()
    where, params = "s.month BETWEEN ? AND ?", [start, end]
    if f.owner:
        where += " AND s.owner_id = ?"
        params.append(f.owner)
    return _df(
        con,
        f"""
        SELECT s.month, s.owner_id, coalesce(o.owner_name, s.owner_id) AS owner_name, s.leads,
               s.median_response_minutes, s.share_within_sla, s.unworked_leads
        FROM marts.mart_speed_to_lead AS s
        LEFT JOIN _release.owners AS o ON o.owner_id = s.owner_id
        WHERE {where} ORDER BY s.month DESC, s.leads DESC
        """,
        params,
    )


# ---------------------------------------------------------------------------- attribution


def attribution_models(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The models the snapshot holds, in MODEL_ORDER (unknown ones after)."""
    have = set(_df(con, "SELECT DISTINCT model FROM marts.mart_attribution_by_channel")["model"])
    ordered = [m for m in MODEL_ORDER if m in have] + sorted(have - set(MODEL_ORDER))
    return pd.DataFrame({"model": ordered})


def _attribution_from_facts(f: Filters) -> bool:
    """The channel mart has no segment: a segment filter reads fct_attribution instead."""
    return bool(f.segment)


def attribution_by_channel(
    con: duckdb.DuckDBPyConnection, f: Filters, model: str, conversion_type: str
) -> pd.DataFrame:
    """Per channel over the period: attributed conversions and revenue, spend, cost per
    conversion and ROAS (pooled: spend / conversions, revenue / spend). With a segment
    filter the credits come from fct_attribution and spend is unknown (not split by
    segment)."""
    start, end = f.months()
    params: list = [model, conversion_type, start, end]
    channel_sql = ""
    if f.channel:
        channel_sql = " AND channel = ?"
        params.append(f.channel)
    if _attribution_from_facts(f):
        params.append(f.segment)
        return _df(
            con,
            f"""
            SELECT channel, sum(credit) AS conversions, sum(revenue_credit) AS revenue,
                   CAST(NULL AS DOUBLE) AS spend, CAST(NULL AS DOUBLE) AS cost_per_conversion,
                   CAST(NULL AS DOUBLE) AS roas,
                   count(DISTINCT conversion_id) AS influenced_conversions
            FROM marts.fct_attribution
            WHERE model = ? AND conversion_type = ?
              AND CAST(date_trunc('month', converted_at) AS DATE) BETWEEN ? AND ?{channel_sql}
              AND {segment_key("segment")} = {segment_key("?")}
            GROUP BY channel ORDER BY conversions DESC, channel
            """,
            params,
        )
    return _df(
        con,
        f"""
        SELECT channel, sum(conversions) AS conversions, sum(revenue) AS revenue,
               sum(spend) AS spend,
               sum(spend) / nullif(sum(conversions), 0) AS cost_per_conversion,
               sum(revenue) / nullif(sum(spend), 0) AS roas,
               sum(influenced_conversions) AS influenced_conversions
        FROM marts.mart_attribution_by_channel
        WHERE model = ? AND conversion_type = ? AND month BETWEEN ? AND ?{channel_sql}
        GROUP BY channel ORDER BY conversions DESC, channel
        """,
        params,
    )


def attribution_by_month(
    con: duckdb.DuckDBPyConnection, f: Filters, model: str, conversion_type: str
) -> pd.DataFrame:
    """Attributed conversions and revenue per month and channel."""
    start, end = f.months()
    params: list = [model, conversion_type, start, end]
    extra = ""
    if f.channel:
        extra += " AND channel = ?"
        params.append(f.channel)
    if _attribution_from_facts(f):
        params.append(f.segment)
        return _df(
            con,
            f"""
            SELECT CAST(date_trunc('month', converted_at) AS DATE) AS month, channel,
                   sum(credit) AS conversions, sum(revenue_credit) AS revenue
            FROM marts.fct_attribution
            WHERE model = ? AND conversion_type = ?
              AND CAST(date_trunc('month', converted_at) AS DATE) BETWEEN ? AND ?{extra}
              AND {segment_key("segment")} = {segment_key("?")}
            GROUP BY ALL ORDER BY month, channel
            """,
            params,
        )
    return _df(
        con,
        f"""
        SELECT month, channel, sum(conversions) AS conversions, sum(revenue) AS revenue
        FROM marts.mart_attribution_by_channel
        WHERE model = ? AND conversion_type = ? AND month BETWEEN ? AND ?{extra}
        GROUP BY ALL ORDER BY month, channel
        """,
        params,
    )


def model_comparison(
    con: duckdb.DuckDBPyConnection, f: Filters, conversion_type: str, model_a: str, model_b: str
) -> pd.DataFrame:
    """Conversions and revenue per channel under two models side by side, and the shift."""
    a = attribution_by_channel(con, f, model_a, conversion_type)
    b = attribution_by_channel(con, f, model_b, conversion_type)
    merged = a[["channel", "conversions", "revenue"]].merge(
        b[["channel", "conversions", "revenue"]],
        on="channel",
        how="outer",
        suffixes=("_a", "_b"),
    )
    merged = merged.fillna({c: 0.0 for c in merged.columns if c != "channel"})
    merged["conversions_shift"] = merged["conversions_b"] - merged["conversions_a"]
    merged["revenue_shift"] = merged["revenue_b"] - merged["revenue_a"]
    return merged.sort_values("conversions_a", ascending=False, ignore_index=True)


def spend_by_month(
    con: duckdb.DuckDBPyConnection, f: Filters, model: str, conversion_type: str
) -> pd.DataFrame:
    """Spend, attributed revenue and conversions per month and channel (one model's rows:
    spend is the channel's, the same under every model), with the month's ROAS and cost per
    conversion."""
    start, end = f.months()
    params: list = [model, conversion_type, start, end]
    extra = ""
    if f.channel:
        extra = " AND channel = ?"
        params.append(f.channel)
    return _df(
        con,
        f"""
        SELECT month, channel, sum(spend) AS spend, sum(revenue) AS revenue,
               sum(conversions) AS conversions,
               sum(revenue) / nullif(sum(spend), 0) AS roas,
               sum(spend) / nullif(sum(conversions), 0) AS cost_per_conversion
        FROM marts.mart_attribution_by_channel
        WHERE model = ? AND conversion_type = ? AND month BETWEEN ? AND ?{extra}
        GROUP BY ALL ORDER BY month, channel
        """,
        params,
    )


def attribution_by_campaign(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    model: str,
    conversion_type: str,
    limit: int = 25,
) -> pd.DataFrame:
    """The campaigns with the most attributed revenue (then conversions) in the period, with
    spend, cost per conversion and ROAS pooled over the months."""
    start, end = f.months()
    params: list = [model, conversion_type, start, end]
    extra = ""
    if f.channel:
        extra = " AND channel = ?"
        params.append(f.channel)
    return _df(
        con,
        f"""
        SELECT campaign_key, any_value(campaign_name) AS campaign_name,
               any_value(campaign_source) AS campaign_source, mode(channel) AS channel,
               sum(conversions) AS conversions, sum(revenue) AS revenue, sum(spend) AS spend,
               sum(spend) / nullif(sum(conversions), 0) AS cost_per_conversion,
               sum(revenue) / nullif(sum(spend), 0) AS roas
        FROM marts.mart_attribution_by_campaign
        WHERE model = ? AND conversion_type = ? AND month BETWEEN ? AND ?{extra}
        GROUP BY campaign_key
        HAVING sum(conversions) > 0 OR sum(spend) > 0
        ORDER BY revenue DESC NULLS LAST, conversions DESC, campaign_key
        LIMIT {int(limit)}
        """,
        params,
    )


def winning_paths(
    con: duckdb.DuckDBPyConnection, f: Filters, conversion_type: str, top: int = 5
) -> pd.DataFrame:
    """The top ``top`` converting paths of each segment (mart_attribution_paths_by_segment's
    winning_rank; the whole history, paths have no month)."""
    params: list = [conversion_type, top]
    extra = ""
    if f.segment:
        extra = f" AND {segment_key('segment')} = {segment_key('?')}"
        params.append(f.segment)
    return _df(
        con,
        f"""
        SELECT segment, winning_rank, path, conversions, non_conversions, journeys,
               conversion_rate, revenue
        FROM marts.mart_attribution_paths_by_segment
        WHERE conversion_type = ? AND winning_rank <= ?{extra}
        ORDER BY segment, winning_rank
        """,
        params,
    )


# --------------------------------------------------------------------------- velocity


def velocity_by_month(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """mart_pipeline_velocity for the filter's cut, month by month, with the drivers."""
    cut = choose_cut(f)
    start, end = f.months()
    drivers = ", ".join(VELOCITY_DRIVERS)
    return _df(
        con,
        f"""
        SELECT month, is_complete_month, open_opportunities, won_deals, lost_deals,
               avg_deal_size, win_rate, avg_cycle_days, velocity_per_day,
               previous_velocity_per_day, velocity_change, {drivers},
               benchmark_win_rate_low, benchmark_win_rate_high,
               benchmark_cycle_days_low, benchmark_cycle_days_high
        FROM marts.mart_pipeline_velocity
        WHERE dimension = ? AND dimension_value = ? AND month BETWEEN ? AND ?
        ORDER BY month
        """,
        [cut.dimension, cut.value, start, end],
    )


def velocity_breakdown(
    con: duckdb.DuckDBPyConnection, month: dt.date, dimension: str = "channel"
) -> pd.DataFrame:
    """Every value of ``dimension`` in ``month``: velocity, its change and the drivers."""
    drivers = ", ".join(VELOCITY_DRIVERS)
    return _df(
        con,
        f"""
        SELECT dimension_value, coalesce(dimension_label, dimension_value) AS label,
               open_opportunities, avg_deal_size, win_rate, avg_cycle_days, velocity_per_day,
               velocity_change, {drivers}
        FROM marts.mart_pipeline_velocity
        WHERE dimension = ? AND month = ?
        ORDER BY velocity_per_day DESC NULLS LAST, label
        """,
        [dimension, month],
    )


# ------------------------------------------------------------------------ LTV, retention


def _ltv_where(f: Filters, alias: str = "") -> tuple[str, list]:
    """Segment and channel filters on fct_account_ltv (``alias``: its alias and a dot)."""
    where, params = ["TRUE"], []
    if f.segment:
        where.append(f"{segment_key(alias + 'segment')} = {segment_key('?')}")
        params.append(f.segment)
    if f.channel:
        where.append(f"{alias}acquisition_channel = ?")
        params.append(f.channel)
    return " AND ".join(where), params


def ltv_by_channel(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """LTV per acquired customer, CAC and LTV:CAC by acquisition channel (mart_ltv_by_channel).
    With a segment filter the customers come from fct_account_ltv (CAC unknown: spend is not
    split by segment)."""
    if f.segment:
        where, params = _ltv_where(f)
        return _df(
            con,
            f"""
            SELECT coalesce(acquisition_channel, 'Unknown') AS acquisition_channel,
                   count(*) AS customers_acquired,
                   count(*) FILTER (WHERE customer_status = 'customer') AS active_customers,
                   count(*) FILTER (WHERE customer_status = 'churned') AS churned_customers,
                   sum(revenue_to_date) AS revenue_to_date, sum(current_arr) AS current_arr,
                   sum(predicted_ltv) AS predicted_ltv, sum(lifetime_value) AS lifetime_value,
                   sum(lifetime_value) / count(*) AS avg_lifetime_value,
                   CAST(NULL AS DOUBLE) AS spend, CAST(NULL AS DOUBLE) AS cac,
                   CAST(NULL AS DOUBLE) AS ltv_to_cac
            FROM marts.fct_account_ltv
            WHERE customer_status <> 'prospect' AND {where}
            GROUP BY ALL ORDER BY lifetime_value DESC NULLS LAST
            """,
            params,
        )
    params = []
    extra = ""
    if f.channel:
        extra = "WHERE acquisition_channel = ?"
        params.append(f.channel)
    return _df(
        con,
        f"""
        SELECT acquisition_channel, customers_acquired, active_customers, churned_customers,
               revenue_to_date, current_arr, predicted_ltv, lifetime_value, avg_lifetime_value,
               spend, cac, ltv_to_cac
        FROM marts.mart_ltv_by_channel {extra}
        ORDER BY lifetime_value DESC NULLS LAST, acquisition_channel
        """,
        params,
    )


def ltv_by_channel_and_segment(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Accounts that were ever customers, by acquisition channel and segment: how many,
    their lifetime value (sum and per account) and predicted LTV (fct_account_ltv)."""
    where, params = _ltv_where(f)
    return _df(
        con,
        f"""
        SELECT coalesce(acquisition_channel, 'Unknown') AS acquisition_channel, segment,
               count(*) AS customers, sum(lifetime_value) AS lifetime_value,
               sum(lifetime_value) / count(*) AS avg_lifetime_value,
               sum(predicted_ltv) AS predicted_ltv, sum(revenue_to_date) AS revenue_to_date
        FROM marts.fct_account_ltv
        WHERE customer_status <> 'prospect' AND {where}
        GROUP BY ALL ORDER BY acquisition_channel, segment
        """,
        params,
    )


def retention_curves(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Kaplan-Meier survival by tenure for All and each segment (only All and the filter's
    segment when one is set)."""
    params: list = []
    extra = ""
    if f.segment:
        extra = f"WHERE segment = 'All' OR {segment_key('segment')} = {segment_key('?')}"
        params.append(f.segment)
    return _df(
        con,
        f"""
        SELECT segment, tenure_days, survival, at_risk, churned, censored, annual_churn_rate,
               segment_customers, has_enough_events
        FROM marts.mart_retention_curve {extra}
        ORDER BY segment, tenure_days
        """,
        params,
    )


def cohort_retention(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """mart_cohort_retention of All (or the filter's segment), cohorts started in the period."""
    start, end = f.months()
    params: list = [start, end]
    seg = "segment = 'All'"
    if f.segment:
        seg = f"{segment_key('segment')} = {segment_key('?')}"
        params.append(f.segment)
    return _df(
        con,
        f"""
        SELECT cohort_month, months_since_start, month, is_complete_month, customers,
               retained_customers, logo_retention, gross_revenue_retention,
               net_revenue_retention
        FROM marts.mart_cohort_retention
        WHERE cohort_month BETWEEN ? AND ? AND {seg}
        ORDER BY cohort_month, months_since_start
        """,
        params,
    )


def churn_risk(con: duckdb.DuckDBPyConnection, f: Filters, by: str = "segment") -> pd.DataFrame:
    """Customers by churn risk (low / medium / high) per segment or acquisition channel."""
    col = {"segment": "segment", "channel": "coalesce(acquisition_channel, 'Unknown')"}[by]
    where, params = _ltv_where(f)
    return _df(
        con,
        f"""
        SELECT {col} AS {by}, churn_risk, count(*) AS customers,
               sum(current_arr) AS current_arr
        FROM marts.fct_account_ltv
        WHERE customer_status = 'customer' AND {where}
        GROUP BY ALL ORDER BY 1, churn_risk
        """,
        params,
    )


def churn_risk_accounts(
    con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 200
) -> pd.DataFrame:
    """Customers at high or medium churn risk, riskiest first, with the top reason."""
    where, params = _ltv_where(f, "l.")
    return _df(
        con,
        f"""
        SELECT l.account_id, a.account_name, l.segment, l.acquisition_channel, l.current_arr,
               l.churn_risk, l.churn_risk_score, l.churn_risk_top_reason, l.term_ends_at,
               l.last_engaged_at
        FROM marts.fct_account_ltv AS l
        LEFT JOIN marts.dim_accounts AS a ON a.account_id = l.account_id
        WHERE l.customer_status = 'customer' AND l.churn_risk IN ('high', 'medium')
          AND {where}
        ORDER BY l.churn_risk_score DESC, l.current_arr DESC, l.account_id
        LIMIT {int(limit)}
        """,
        params,
    )


def ltv_totals(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Customers now, churned, revenue to date, ARR, predicted LTV and high-risk customers."""
    where, params = _ltv_where(f)
    return _df(
        con,
        f"""
        SELECT count(*) FILTER (WHERE customer_status = 'customer') AS customers,
               count(*) FILTER (WHERE customer_status = 'churned') AS churned,
               sum(revenue_to_date) AS revenue_to_date, sum(current_arr) AS current_arr,
               sum(predicted_ltv) AS predicted_ltv,
               count(*) FILTER (WHERE churn_risk = 'high') AS high_risk_customers
        FROM marts.fct_account_ltv WHERE {where}
        """,
        params,
    )


# ---------------------------------------------------------------------------- data health


def build_info(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _df(con, "SELECT * FROM _release.build")


def release_tables(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _df(con, "SELECT table_name, row_count FROM _release.tables ORDER BY table_name")


def checks(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every check of the build: passed, or the warning it raised, with owner and backup."""
    return _df(
        con,
        """
        SELECT CASE WHEN passed THEN 'passed' WHEN severity = 'warn' THEN 'warning'
                    ELSE 'failed' END AS status,
               asset, check_name, severity, owner, backup, description
        FROM _release.checks
        ORDER BY passed, severity = 'warn', asset, check_name
        """,
    )


def check_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Checks per owner and status."""
    return _df(
        con,
        """
        SELECT coalesce(nullif(owner, ''), 'unassigned') AS owner,
               CASE WHEN passed THEN 'passed' WHEN severity = 'warn' THEN 'warning'
                    ELSE 'failed' END AS status,
               count(*) AS checks
        FROM _release.checks GROUP BY ALL ORDER BY owner, status
        """,
    )


def loads(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _df(con, "SELECT * FROM _release.loads ORDER BY source, table_name")


def quarantine(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Quarantined rows per raw table, field and reason (all of them, not a sample)."""
    return _df(
        con, "SELECT * FROM _release.quarantine ORDER BY rows DESC, table_name, field, reason"
    )


def quarantined_rows(con: duckdb.DuckDBPyConnection, limit: int = 500) -> pd.DataFrame:
    return _df(
        con,
        f"""
        SELECT table_name, source_file, row_number, field, reason, raw_record, loaded_at
        FROM _release.quarantined_rows ORDER BY loaded_at DESC, table_name, row_number
        LIMIT {int(limit)}
        """,
    )


def sync_latest(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The newest run of each sync with its counts and status."""
    return _df(
        con,
        """
        SELECT sync_name, destination, object, status, started_at, finished_at, planned, sent,
               succeeded, rejected, unchanged, parked, error
        FROM _release.sync_runs
        QUALIFY row_number() OVER (PARTITION BY sync_name ORDER BY started_at DESC) = 1
        ORDER BY sync_name
        """,
    )


def sync_history(con: duckdb.DuckDBPyConnection, days: int = 60) -> pd.DataFrame:
    """Records sent, rejected and parked per day and sync (the last ``days`` days of runs)."""
    return _df(
        con,
        f"""
        SELECT CAST(started_at AS DATE) AS day, sync_name, sum(succeeded) AS succeeded,
               sum(rejected) AS rejected, sum(coalesce(parked, 0)) AS parked
        FROM _release.sync_runs
        WHERE started_at >= (SELECT max(started_at) FROM _release.sync_runs)
                            - INTERVAL {int(days)} DAY
        GROUP BY ALL ORDER BY day, sync_name
        """,
    )


def sync_rejects(con: duckdb.DuckDBPyConnection, limit: int = 500) -> pd.DataFrame:
    """Records the CRM refused (retried next run) or parked (waiting for a person)."""
    return _df(
        con,
        f"""
        SELECT sync_name, record_key, parked, error_code, error_message, attempts,
               first_failed_at, last_failed_at
        FROM _release.sync_rejects
        ORDER BY parked DESC, last_failed_at DESC, sync_name, record_key
        LIMIT {int(limit)}
        """,
    )


def alerts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """What needs a person this week, from the build: checks that warned or failed, MQLs
    nobody worked, leads without an owner, stalled deals whose account is back on the site,
    parked sync rejects, quarantined rows. ``table_name`` / ``column_name`` point at the
    definition of each count."""
    return _df(
        con,
        """
        SELECT * FROM (
            SELECT 'Checks that warned or failed' AS alert, count(*) AS count,
                   '_release' AS table_name, 'checks' AS column_name
            FROM _release.checks WHERE NOT passed
            UNION ALL
            SELECT 'MQLs never worked by sales', count(*), 'fct_lead_responses', 'is_unworked'
            FROM marts.fct_lead_responses WHERE is_unworked AND trigger_type = 'mql'
            UNION ALL
            SELECT 'Leads without an owner (assignment failures)', count(*),
                   'fct_lead_responses', 'owner_id'
            FROM marts.fct_lead_responses WHERE owner_id IS NULL
            UNION ALL
            SELECT 'Stalled opportunities with fresh web visits', count(*),
                   'fct_opportunities', 'is_stalled_with_fresh_web_visits'
            FROM marts.fct_opportunities WHERE is_stalled_with_fresh_web_visits
            UNION ALL
            SELECT 'Sync records parked for a person', count(*), '_release', 'sync_rejects'
            FROM _release.sync_rejects WHERE parked
            UNION ALL
            SELECT 'Sync records refused (retried next run)', count(*), '_release',
                   'sync_rejects'
            FROM _release.sync_rejects WHERE NOT parked
            UNION ALL
            SELECT 'Quarantined source rows', coalesce(sum(rows), 0), '_release', 'quarantine'
            FROM _release.quarantine
        )
        """,
    )


# ---------------------------------------------------------------------------- definitions


def definitions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The dbt docs text of every published table and column (``_release.definitions``)."""
    if not _table_exists(con, "_release", "definitions"):
        return pd.DataFrame(columns=["kind", "table_name", "column_name", "description"])
    return _df(
        con,
        "SELECT kind, table_name, column_name, description FROM _release.definitions "
        "ORDER BY table_name, kind <> 'model' AND kind <> 'seed', column_name",
    )
