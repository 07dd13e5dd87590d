"""Pipeline velocity and the decomposition of its change into the four drivers."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import queries, ui

TITLE = "Pipeline velocity"
URL = "velocity"
ICON = ":material/speed:"
TERMS = [
    ("mart_pipeline_velocity", ""),
    ("mart_pipeline_velocity", "velocity_per_day"),
    ("mart_pipeline_velocity", "open_opportunities"),
    ("mart_pipeline_velocity", "avg_deal_size"),
    ("mart_pipeline_velocity", "win_rate"),
    ("mart_pipeline_velocity", "avg_cycle_days"),
    ("mart_pipeline_velocity", "velocity_change"),
    ("mart_pipeline_velocity", "contribution_open_opportunities"),
    ("mart_pipeline_velocity", "contribution_avg_deal_size"),
    ("mart_pipeline_velocity", "contribution_win_rate"),
    ("mart_pipeline_velocity", "contribution_cycle_days"),
    ("mart_pipeline_velocity", "benchmark_win_rate_low"),
    ("mart_pipeline_velocity", "benchmark_cycle_days_low"),
]
DRIVER_LABELS = {
    "contribution_open_opportunities": "open opportunities",
    "contribution_avg_deal_size": "deal size",
    "contribution_win_rate": "win rate",
    "contribution_cycle_days": "cycle length",
}


def render() -> None:
    f = ui.filters()
    st.title("Pipeline velocity")
    cut = queries.choose_cut(f)
    ui.note_filters(ui.applied_filters(f, "owner", "channel", "segment"), cut)
    monthly = ui.run("velocity_by_month", f)
    if monthly.empty:
        st.info("No velocity rows for this cut and period in the published build.")
        return
    latest = monthly.iloc[-1]
    st.caption(
        f"Latest month: {pd.Timestamp(latest['month']):%Y-%m}"
        + ("" if latest["is_complete_month"] else " (running month, measured at as-of)")
    )
    k = st.columns(5)
    kpis = [
        ("Velocity / day", ui.jpy(latest["velocity_per_day"]), "velocity_per_day"),
        ("Open opportunities", ui.num(latest["open_opportunities"]), "open_opportunities"),
        ("Avg deal size", ui.jpy(latest["avg_deal_size"]), "avg_deal_size"),
        ("Win rate", ui.pct(latest["win_rate"]), "win_rate"),
        ("Avg cycle (days)", ui.num(latest["avg_cycle_days"], 1), "avg_cycle_days"),
    ]
    for col, (label, value, column) in zip(k, kpis, strict=True):
        with col:
            ui.metric(label, value, "mart_pipeline_velocity", column)
    st.caption(
        f"Benchmarks (seed benchmarks): win rate {ui.pct(latest['benchmark_win_rate_low'])}–"
        f"{ui.pct(latest['benchmark_win_rate_high'])}, cycle "
        f"{ui.num(latest['benchmark_cycle_days_low'])}–"
        f"{ui.num(latest['benchmark_cycle_days_high'])} days."
    )

    v1, v2 = st.columns(2)
    with v1:
        st.subheader("Velocity per day")
        st.altair_chart(
            alt.Chart(monthly)
            .mark_line(point=True)
            .encode(
                x=alt.X("month:T", title=None),
                y=alt.Y("velocity_per_day:Q", title="JPY per day"),
                tooltip=[
                    "month:T",
                    alt.Tooltip("velocity_per_day:Q", format=",.0f"),
                    "open_opportunities",
                    alt.Tooltip("avg_deal_size:Q", format=",.0f"),
                    alt.Tooltip("win_rate:Q", format=".1%"),
                    alt.Tooltip("avg_cycle_days:Q", format=".1f"),
                ],
            ),
            width="stretch",
        )
    with v2:
        st.subheader("What moved it: change by driver")
        drivers = monthly.melt(
            id_vars=["month"],
            value_vars=list(queries.VELOCITY_DRIVERS),
            var_name="driver",
            value_name="contribution",
        ).dropna()
        drivers["driver"] = drivers["driver"].map(DRIVER_LABELS)
        bars = (
            alt.Chart(drivers)
            .mark_bar()
            .encode(
                x=alt.X("month:T", title=None),
                y=alt.Y("contribution:Q", title="JPY per day vs previous month"),
                color=alt.Color("driver:N", title=None),
                tooltip=["month:T", "driver", alt.Tooltip("contribution:Q", format=",.0f")],
            )
        )
        change = (
            alt.Chart(monthly.dropna(subset=["velocity_change"]))
            .mark_line(color="black", point=True)
            .encode(
                x="month:T",
                y="velocity_change:Q",
                tooltip=["month:T", alt.Tooltip("velocity_change:Q", format=",.0f")],
            )
        )
        st.altair_chart(bars + change, width="stretch")
        st.caption("Bars: the four drivers' contributions (they add up to the black line).")

    st.subheader("Which values drove it")
    dimension = (
        st.segmented_control(
            "Break down by",
            ["channel", "segment", "owner", "team", "opportunity_type"],
            default="channel",
            key="velocity_dimension",
        )
        or "channel"
    )
    month = pd.Timestamp(latest["month"]).date()
    breakdown = ui.run("velocity_breakdown", month, dimension)
    long = breakdown.melt(
        id_vars=["label"],
        value_vars=list(queries.VELOCITY_DRIVERS),
        var_name="driver",
        value_name="contribution",
    ).dropna()
    long["driver"] = long["driver"].map(DRIVER_LABELS)
    b1, b2 = st.columns(2)
    with b1:
        st.altair_chart(
            alt.Chart(breakdown)
            .mark_bar()
            .encode(
                y=alt.Y("label:N", sort="-x", title=None),
                x=alt.X("velocity_per_day:Q", title="JPY per day"),
                tooltip=["label", alt.Tooltip("velocity_per_day:Q", format=",.0f")],
            ),
            width="stretch",
        )
    with b2:
        st.altair_chart(
            alt.Chart(long)
            .mark_bar()
            .encode(
                y=alt.Y("label:N", title=None),
                x=alt.X("contribution:Q", title="change vs previous month (JPY/day)"),
                color=alt.Color("driver:N", title=None),
                tooltip=["label", "driver", alt.Tooltip("contribution:Q", format=",.0f")],
            ),
            width="stretch",
        )
    ui.definitions_for(TERMS)
    ui.table(monthly, "velocity by month")
    ui.table(breakdown, f"by {dimension}, {month:%Y-%m}")
