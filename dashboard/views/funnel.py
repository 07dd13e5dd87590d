"""Funnel: stage counts, cohort conversion rates and median days against the benchmarks."""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboard import queries, ui

TITLE = "Funnel"
URL = "funnel"
ICON = ":material/filter_alt:"
TERMS = [
    ("mart_funnel", ""),
    ("mart_funnel", "basis"),
    ("mart_funnel", "entered"),
    ("mart_funnel", "converted"),
    ("mart_funnel", "conversion_rate"),
    ("mart_funnel", "median_days"),
    ("mart_funnel", "benchmark_low"),
    ("mart_funnel", "is_complete"),
    ("fct_lifecycle_stages", "mql_at"),
    ("fct_lifecycle_stages", "sal_at"),
    ("fct_lifecycle_stages", "sql_at"),
]


def render() -> None:
    f = ui.filters()
    st.title("Funnel")
    left, right = st.columns(2)
    funnel = (
        left.segmented_control(
            "Funnel", ["lifecycle", "opportunity"], default="lifecycle", key="funnel_kind"
        )
        or "lifecycle"
    )
    basis = (
        right.segmented_control(
            "Cohort basis",
            ["funnel_cohort", "stage_cohort", "period"],
            default="funnel_cohort",
            key="funnel_basis",
            help=ui.definition("mart_funnel", "basis"),
        )
        or "funnel_cohort"
    )
    cut = queries.choose_cut(f)
    ui.note_filters(ui.applied_filters(f, "owner", "channel", "segment"), cut)
    stages = ui.run("funnel_stages", f, funnel=funnel, basis=basis)
    if stages.empty:
        st.info("No funnel rows for this cut and period in the published build.")
        return

    counts = queries.funnel_stage_counts(stages)
    cols = st.columns(len(counts))
    for col, row in zip(cols, counts.itertuples(), strict=True):
        with col:
            ui.metric(row.stage.upper(), ui.num(row.records), "mart_funnel", "entered")

    c1, c2 = st.columns(2)
    with c1:
        st.subheader("Stage counts")
        st.altair_chart(
            alt.Chart(counts)
            .mark_bar()
            .encode(
                x=alt.X("stage:N", sort=list(counts["stage"]), title=None),
                y=alt.Y("records:Q", title="records"),
                tooltip=["stage", alt.Tooltip("records:Q", format=",")],
            ),
            width="stretch",
        )
    with c2:
        st.subheader("Conversion rate vs benchmark")
        rates = stages.assign(transition=stages["from_stage"] + " → " + stages["to_stage"])
        order = list(rates["transition"])
        bars = (
            alt.Chart(rates)
            .mark_bar()
            .encode(
                x=alt.X("transition:N", sort=order, title=None),
                y=alt.Y("conversion_rate:Q", axis=alt.Axis(format="%"), title="conversion"),
                tooltip=[
                    "transition",
                    alt.Tooltip("conversion_rate:Q", format=".1%"),
                    alt.Tooltip("entered:Q", format=","),
                    alt.Tooltip("converted:Q", format=","),
                ],
            )
        )
        bench = (
            alt.Chart(rates.dropna(subset=["benchmark_low"]))
            .mark_tick(color="#d62728", thickness=3, size=40)
            .encode(
                x=alt.X("transition:N", sort=order),
                y="benchmark_low:Q",
                tooltip=[
                    "transition",
                    alt.Tooltip("benchmark_low:Q", format=".0%", title="benchmark low"),
                    alt.Tooltip("benchmark_high:Q", format=".0%", title="benchmark high"),
                ],
            )
        )
        st.altair_chart(bars + bench, width="stretch")
        st.caption("Red tick: the benchmark (seed benchmarks, carried by mart_funnel).")

    st.subheader("By cohort month")
    monthly = ui.run("funnel_by_month", f, funnel=funnel, basis=basis)
    m1, m2 = st.columns(2)
    with m1:
        st.altair_chart(
            alt.Chart(monthly)
            .mark_line(point=True)
            .encode(
                x=alt.X("cohort_month:T", title="cohort month"),
                y=alt.Y("conversion_rate:Q", axis=alt.Axis(format="%"), title="conversion"),
                color=alt.Color("transition:N", sort=order, title=None),
                strokeDash=alt.StrokeDash("is_complete:N", title="complete cohort"),
                tooltip=[
                    "cohort_month:T",
                    "transition",
                    alt.Tooltip("conversion_rate:Q", format=".1%"),
                    "entered",
                    "converted",
                ],
            ),
            width="stretch",
        )
    with m2:
        st.altair_chart(
            alt.Chart(monthly.dropna(subset=["median_days"]))
            .mark_line(point=True)
            .encode(
                x=alt.X("cohort_month:T", title="cohort month"),
                y=alt.Y("median_days:Q", title="median days"),
                color=alt.Color("transition:N", sort=order, title=None),
                tooltip=[
                    "cohort_month:T",
                    "transition",
                    alt.Tooltip("median_days:Q", format=".1f"),
                ],
            ),
            width="stretch",
        )
    ui.definitions_for(TERMS)
    ui.table(stages, "transitions over the period")
    ui.table(monthly, "transitions by cohort month")
