"""Speed to lead: median response, share within SLA, unworked MQLs, by owner and team."""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboard import ui

TITLE = "Speed to lead"
URL = "speed-to-lead"
ICON = ":material/timer:"
TERMS = [
    ("fct_lead_responses", ""),
    ("mart_speed_to_lead", ""),
    ("mart_speed_to_lead", "leads"),
    ("mart_speed_to_lead", "median_response_minutes"),
    ("mart_speed_to_lead", "share_within_sla"),
    ("mart_speed_to_lead", "unworked_leads"),
    ("fct_lead_responses", "trigger_at"),
    ("fct_lead_responses", "is_unworked"),
    ("mart_speed_to_lead_by_team", "team"),
]


def render() -> None:
    f = ui.filters()
    st.title("Speed to lead")
    ui.note_filters(
        ui.applied_filters(f, "owner", "segment"),
        channel="leads carry no channel here",
    )
    total = ui.run("speed_to_lead", f, by="total")
    if total.empty:
        st.info("No leads to work in this period in the published build.")
        return
    t = total.iloc[0]
    c = st.columns(4)
    with c[0]:
        ui.metric("Leads to work", ui.num(t["leads"]), "mart_speed_to_lead", "leads")
    with c[1]:
        ui.metric(
            "Median response (min)",
            ui.num(t["median_response_minutes"], 1),
            "mart_speed_to_lead",
            "median_response_minutes",
        )
    with c[2]:
        ui.metric(
            "Within SLA", ui.pct(t["share_within_sla"]), "mart_speed_to_lead", "share_within_sla"
        )
    with c[3]:
        ui.metric("Unworked MQLs", ui.num(t["unworked_mqls"]), "fct_lead_responses", "is_unworked")

    by_owner = ui.run("speed_to_lead", f, by="owner")
    by_team = ui.run("speed_to_lead", f, by="team")
    by_month = ui.run("speed_to_lead", f, by="month")
    o1, o2 = st.columns(2)
    with o1:
        st.subheader("By owner")
        base = alt.Chart(by_owner).encode(
            y=alt.Y("owner_name:N", sort="-x", title=None),
            tooltip=[
                "owner_name",
                "team",
                "leads",
                alt.Tooltip("median_response_minutes:Q", format=".1f"),
                alt.Tooltip("share_within_sla:Q", format=".1%"),
                "unworked_leads",
            ],
        )
        st.altair_chart(
            base.mark_bar().encode(
                x=alt.X("share_within_sla:Q", axis=alt.Axis(format="%"), title="within SLA")
            ),
            width="stretch",
        )
    with o2:
        st.subheader("By team")
        st.altair_chart(
            alt.Chart(by_team)
            .mark_bar()
            .encode(
                y=alt.Y("team:N", sort="-x", title=None),
                x=alt.X("median_response_minutes:Q", title="median response (min)"),
                color=alt.Color(
                    "share_within_sla:Q", title="within SLA", legend=alt.Legend(format="%")
                ),
                tooltip=[
                    "team",
                    "leads",
                    alt.Tooltip("median_response_minutes:Q", format=".1f"),
                    alt.Tooltip("share_within_sla:Q", format=".1%"),
                    "unworked_leads",
                ],
            ),
            width="stretch",
        )
    m1, m2 = st.columns(2)
    with m1:
        st.subheader("Month by month")
        st.altair_chart(
            alt.Chart(by_month)
            .mark_line(point=True)
            .encode(
                x=alt.X("month:T", title=None),
                y=alt.Y("share_within_sla:Q", axis=alt.Axis(format="%"), title="within SLA"),
                tooltip=[
                    "month:T",
                    "leads",
                    alt.Tooltip("median_response_minutes:Q", format=".1f"),
                    alt.Tooltip("share_within_sla:Q", format=".1%"),
                ],
            ),
            width="stretch",
        )
    with m2:
        st.subheader("Unworked MQLs by owner")
        st.altair_chart(
            alt.Chart(by_owner[by_owner["unworked_mqls"] > 0])
            .mark_bar(color="#d62728")
            .encode(
                y=alt.Y("owner_name:N", sort="-x", title=None),
                x=alt.X("unworked_mqls:Q", title="MQLs never worked"),
                tooltip=["owner_name", "team", "unworked_mqls"],
            ),
            width="stretch",
        )
    ui.definitions_for(TERMS)
    ui.table(by_owner, "by owner")
    ui.table(by_team, "by team")
    ui.table(ui.run("unworked_mqls", f), "unworked MQLs (oldest first)")
    ui.table(ui.run("speed_to_lead_mart", f), "mart_speed_to_lead rows")
