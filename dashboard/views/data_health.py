"""Data health: the build on show, its checks and owners, alerts, quarantined rows, the
syncs and their parked rejects (all from the published snapshot)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import ui

TITLE = "Data health"
URL = "data-health"
ICON = ":material/health_and_safety:"
TERMS = [
    ("fct_lead_responses", "is_unworked"),
    ("fct_lead_responses", "owner_id"),
    ("fct_opportunities", "is_stalled_with_fresh_web_visits"),
]
STATUS_COLORS = alt.Scale(
    domain=["passed", "warning", "failed"], range=["#2ca02c", "#ff7f0e", "#d62728"]
)
OUTCOME_COLORS = alt.Scale(
    domain=["succeeded", "unchanged", "rejected", "parked"],
    range=["#2ca02c", "#9e9e9e", "#d62728", "#ff7f0e"],
)


def _when(value: object) -> str:
    return "–" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d %H:%M} UTC"


def _day(value: object) -> str:
    return "–" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def render() -> None:
    st.title("Data health")
    build = ui.run("build_info").iloc[0]
    k = st.columns(4)
    k[0].metric("Build on show", str(build["build_id"])[:8], help=f"build {build['build_id']}")
    k[1].metric("As of", _day(build["as_of"]), help=_when(build["as_of"]))
    k[2].metric("Published", _day(build["published_at"]), help=_when(build["published_at"]))
    synced = build.get("sync_results_at")
    k[3].metric("Sync results added", _day(synced), help=_when(synced))
    st.caption(
        "Only a build that passed its quality gate is ever published; a failed run leaves "
        "this one in place."
    )

    st.subheader("Alerts")
    alerts = ui.run("alerts")
    st.altair_chart(
        alt.Chart(alerts)
        .mark_bar()
        .encode(
            y=alt.Y("alert:N", sort="-x", title=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X("count:Q", title="count"),
            color=alt.condition("datum.count > 0", alt.value("#d62728"), alt.value("#2ca02c")),
            tooltip=["alert", "count"],
        ),
        width="stretch",
    )

    checks = ui.run("checks")
    summary = ui.run("check_summary")
    q = st.columns(2)
    with q[0]:
        st.subheader("Checks by owner")
        st.altair_chart(
            alt.Chart(summary)
            .mark_bar()
            .encode(
                y=alt.Y("owner:N", title=None),
                x=alt.X("checks:Q", stack=True),
                color=alt.Color("status:N", scale=STATUS_COLORS, title=None),
                tooltip=["owner", "status", "checks"],
            ),
            width="stretch",
        )
    with q[1]:
        st.subheader("Quarantined rows")
        quarantine = ui.run("quarantine")
        st.altair_chart(
            alt.Chart(quarantine)
            .mark_bar()
            .encode(
                y=alt.Y("table_name:N", sort="-x", title=None),
                x=alt.X("sum(rows):Q", title="rows set aside"),
                color=alt.Color("reason:N", title=None),
                tooltip=["table_name", "field", "reason", "rows", "files"],
            ),
            width="stretch",
        )

    st.subheader("Syncs")
    latest = ui.run("sync_latest")
    history = ui.run("sync_history")
    s = st.columns(2)
    with s[0]:
        sent = latest.melt(
            id_vars=["sync_name", "status"],
            value_vars=["succeeded", "unchanged", "rejected", "parked"],
            var_name="outcome",
            value_name="records",
        ).fillna({"records": 0})
        st.altair_chart(
            alt.Chart(sent)
            .mark_bar()
            .encode(
                y=alt.Y("sync_name:N", title=None),
                x=alt.X("records:Q", stack=True, title="records in the latest run"),
                color=alt.Color("outcome:N", scale=OUTCOME_COLORS, title=None),
                tooltip=["sync_name", "status", "outcome", "records"],
            ),
            width="stretch",
        )
    with s[1]:
        st.altair_chart(
            alt.Chart(history)
            .mark_bar()
            .encode(
                x=alt.X("day:T", title=None),
                y=alt.Y("succeeded:Q", title="records written per day"),
                color=alt.Color("sync_name:N", title=None),
                tooltip=["day:T", "sync_name", "succeeded", "rejected", "parked"],
            ),
            width="stretch",
        )
    failing = checks[checks["status"] != "passed"]
    if failing.empty:
        st.success(f"All {len(checks)} checks of this build passed.")
    else:
        st.warning(f"{len(failing)} of {len(checks)} checks of this build warned.")
    ui.definitions_for(TERMS, label="Alert definitions")
    ui.table(alerts, "alerts")
    ui.table(failing, "checks that warned")
    ui.table(checks, "every check with its owner and backup")
    ui.table(latest, "latest run of each sync")
    ui.table(ui.run("sync_rejects"), "refused and parked sync records")
    ui.table(quarantine, "quarantine by table, field and reason")
    ui.table(ui.run("quarantined_rows"), "newest quarantined rows")
    ui.table(ui.run("loads"), "loads per source table")
    ui.table(ui.run("release_tables"), "published tables")
