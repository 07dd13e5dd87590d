"""LTV, retention curves and churn risk by acquisition channel and segment."""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboard import ui

TITLE = "LTV & retention"
URL = "ltv"
ICON = ":material/savings:"
TERMS = [
    ("fct_account_ltv", ""),
    ("fct_account_ltv", "is_customer"),
    ("fct_account_ltv", "revenue_to_date"),
    ("fct_account_ltv", "current_arr"),
    ("fct_account_ltv", "predicted_ltv"),
    ("fct_account_ltv", "lifetime_value"),
    ("fct_account_ltv", "acquisition_channel"),
    ("fct_account_ltv", "churn_risk"),
    ("mart_ltv_by_channel", "avg_lifetime_value"),
    ("mart_ltv_by_channel", "cac"),
    ("mart_ltv_by_channel", "ltv_to_cac"),
    ("mart_retention_curve", "survival"),
    ("mart_cohort_retention", "logo_retention"),
    ("mart_cohort_retention", "net_revenue_retention"),
]


def render() -> None:
    f = ui.filters()
    st.title("LTV, retention and churn risk")
    ui.note_filters(
        ui.applied_filters(f, "segment", "channel"),
        owner="accounts are not cut by owner",
        period="LTV and churn risk are as of the build; the period selects cohorts",
    )
    totals = ui.run("ltv_totals", f).iloc[0]
    k = st.columns(5)
    with k[0]:
        ui.metric("Customers", ui.num(totals["customers"]), "fct_account_ltv", "is_customer")
    with k[1]:
        ui.metric("Current ARR", ui.jpy(totals["current_arr"]), "fct_account_ltv", "current_arr")
    with k[2]:
        ui.metric(
            "Revenue to date",
            ui.jpy(totals["revenue_to_date"]),
            "fct_account_ltv",
            "revenue_to_date",
        )
    with k[3]:
        ui.metric(
            "Predicted LTV", ui.jpy(totals["predicted_ltv"]), "fct_account_ltv", "predicted_ltv"
        )
    with k[4]:
        ui.metric(
            "High churn risk",
            ui.num(totals["high_risk_customers"]),
            "fct_account_ltv",
            "churn_risk",
        )

    by_channel = ui.run("ltv_by_channel", f)
    by_both = ui.run("ltv_by_channel_and_segment", f)
    l1, l2 = st.columns(2)
    with l1:
        st.subheader("LTV per customer by acquisition channel")
        st.altair_chart(
            alt.Chart(by_channel)
            .mark_bar()
            .encode(
                y=alt.Y("acquisition_channel:N", sort="-x", title=None),
                x=alt.X("avg_lifetime_value:Q", title="LTV per acquired customer (JPY)"),
                tooltip=[
                    "acquisition_channel",
                    "customers_acquired",
                    alt.Tooltip("avg_lifetime_value:Q", format=",.0f"),
                    alt.Tooltip("cac:Q", format=",.0f"),
                    alt.Tooltip("ltv_to_cac:Q", format=".2f"),
                ],
            ),
            width="stretch",
        )
    with l2:
        st.subheader("By channel and segment")
        st.altair_chart(
            alt.Chart(by_both)
            .mark_rect()
            .encode(
                x=alt.X("segment:N", title=None),
                y=alt.Y("acquisition_channel:N", title=None),
                color=alt.Color("avg_lifetime_value:Q", title="LTV / customer"),
                tooltip=[
                    "acquisition_channel",
                    "segment",
                    "customers",
                    alt.Tooltip("avg_lifetime_value:Q", format=",.0f"),
                ],
            ),
            width="stretch",
        )

    r1, r2 = st.columns(2)
    with r1:
        st.subheader("Retention curve (Kaplan-Meier)")
        curves = ui.run("retention_curves", f)
        st.altair_chart(
            alt.Chart(curves)
            .mark_line(interpolate="step-after")
            .encode(
                x=alt.X("tenure_days:Q", title="days as a customer"),
                y=alt.Y("survival:Q", axis=alt.Axis(format="%"), title="still a customer"),
                color=alt.Color("segment:N", title=None),
                tooltip=["segment", "tenure_days", alt.Tooltip("survival:Q", format=".1%")],
            ),
            width="stretch",
        )
    with r2:
        st.subheader("Cohort logo retention")
        cohorts = ui.run("cohort_retention", f)
        st.altair_chart(
            alt.Chart(cohorts)
            .mark_rect()
            .encode(
                x=alt.X("months_since_start:O", title="months since start"),
                y=alt.Y("yearmonth(cohort_month):O", title="cohort"),
                color=alt.Color(
                    "logo_retention:Q", title="retained", legend=alt.Legend(format="%")
                ),
                tooltip=[
                    alt.Tooltip("yearmonth(cohort_month):O", title="cohort"),
                    "months_since_start",
                    "customers",
                    alt.Tooltip("logo_retention:Q", format=".1%"),
                    alt.Tooltip("net_revenue_retention:Q", format=".1%"),
                ],
            ),
            width="stretch",
        )

    st.subheader("Churn risk")
    c1, c2 = st.columns(2)
    order = ["high", "medium", "low"]
    colors = alt.Scale(domain=order, range=["#d62728", "#ff7f0e", "#2ca02c"])
    for col, by in ((c1, "segment"), (c2, "channel")):
        frame = ui.run("churn_risk", f, by=by)
        with col:
            st.altair_chart(
                alt.Chart(frame)
                .mark_bar()
                .encode(
                    y=alt.Y(f"{by}:N", title=None),
                    x=alt.X("customers:Q", stack=True, title="customers"),
                    color=alt.Color("churn_risk:N", scale=colors, sort=order, title="risk"),
                    tooltip=[by, "churn_risk", "customers"],
                ),
                width="stretch",
            )
    ui.definitions_for(TERMS)
    ui.table(by_channel, "LTV by acquisition channel")
    ui.table(by_both, "LTV by channel and segment")
    ui.table(ui.run("churn_risk_accounts", f), "customers at risk, riskiest first")
    ui.table(cohorts, "cohort retention")
