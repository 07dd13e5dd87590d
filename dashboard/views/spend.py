"""Spend and ROAS: where the money went by channel and campaign, and what it brought back
under the chosen attribution model."""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboard import queries, ui

TITLE = "Spend & ROAS"
URL = "spend"
ICON = ":material/payments:"
TERMS = [
    ("mart_attribution_by_channel", "spend"),
    ("mart_attribution_by_channel", "revenue"),
    ("mart_attribution_by_channel", "roas"),
    ("mart_attribution_by_channel", "cost_per_conversion"),
    ("mart_attribution_by_campaign", "spend"),
    ("mart_attribution_by_campaign", "roas"),
    ("fct_attribution", "model"),
]


def render() -> None:
    f = ui.filters()
    st.title("Spend & ROAS")
    models = list(ui.run("attribution_models")["model"])
    if not models:
        st.info("The published build has no attribution rows.")
        return
    c1, c2 = st.columns(2)
    model = c1.selectbox(
        "Attribution model",
        models,
        index=models.index("w_shaped") if "w_shaped" in models else 0,
        key="spend_model",
        help="Spend is the same under every model; revenue, ROAS and cost per conversion "
        "follow the model. " + ui.definition("fct_attribution", "model"),
    )
    ctype = c2.selectbox(
        "Conversion", list(queries.CONVERSION_TYPES), index=1, key="spend_conversion"
    )
    ui.note_filters(
        ui.applied_filters(f, "channel"),
        segment="spend is not split by segment",
        owner="spend has no owner",
    )
    monthly = ui.run("spend_by_month", f, model, ctype)
    if monthly.empty:
        st.info("No spend or attributed conversions in this period.")
        return
    spend = monthly["spend"].sum(min_count=1)
    revenue = monthly["revenue"].sum()
    conversions = monthly["conversions"].sum()
    k = st.columns(4)
    with k[0]:
        ui.metric("Spend", ui.jpy(spend), "mart_attribution_by_channel", "spend")
    with k[1]:
        ui.metric("Attributed revenue", ui.jpy(revenue), "mart_attribution_by_channel", "revenue")
    with k[2]:
        ui.metric(
            "ROAS",
            ui.num(revenue / spend if spend else None, 2),
            "mart_attribution_by_channel",
            "roas",
        )
    with k[3]:
        ui.metric(
            "Cost per conversion",
            ui.jpy(spend / conversions if conversions else None),
            "mart_attribution_by_channel",
            "cost_per_conversion",
        )

    s1, s2 = st.columns(2)
    with s1:
        st.subheader("Spend by month")
        st.altair_chart(
            alt.Chart(monthly.dropna(subset=["spend"]))
            .mark_bar()
            .encode(
                x=alt.X("month:T", title=None),
                y=alt.Y("spend:Q", stack=True, title="spend (JPY)"),
                color=alt.Color("channel:N", title=None),
                tooltip=["month:T", "channel", alt.Tooltip("spend:Q", format=",.0f")],
            ),
            width="stretch",
        )
    by_channel = ui.run("attribution_by_channel", f, model, ctype)
    paid = by_channel[by_channel["spend"].fillna(0) > 0]
    with s2:
        st.subheader(f"ROAS by channel · {model}")
        st.altair_chart(
            alt.Chart(paid)
            .mark_bar()
            .encode(
                y=alt.Y("channel:N", sort="-x", title=None),
                x=alt.X("roas:Q", title="attributed revenue / spend"),
                tooltip=[
                    "channel",
                    alt.Tooltip("roas:Q", format=".2f"),
                    alt.Tooltip("spend:Q", format=",.0f", title="spend (JPY)"),
                    alt.Tooltip("revenue:Q", format=",.0f", title="revenue (JPY)"),
                    alt.Tooltip("cost_per_conversion:Q", format=",.0f"),
                ],
            ),
            width="stretch",
        )
    st.subheader("Campaigns: spend against attributed revenue")
    campaigns = ui.run("attribution_by_campaign", f, model, ctype, limit=200)
    st.altair_chart(
        alt.Chart(campaigns)
        .mark_circle(size=90, opacity=0.75)
        .encode(
            x=alt.X("spend:Q", title="spend (JPY)"),
            y=alt.Y("revenue:Q", title=f"attributed revenue (JPY) · {model}"),
            color=alt.Color("channel:N", title=None),
            tooltip=[
                "campaign_name",
                "campaign_source",
                "channel",
                alt.Tooltip("spend:Q", format=",.0f"),
                alt.Tooltip("revenue:Q", format=",.0f"),
                alt.Tooltip("roas:Q", format=".2f"),
                alt.Tooltip("conversions:Q", format=",.2f"),
            ],
        ),
        width="stretch",
    )
    ui.definitions_for(TERMS)
    ui.table(by_channel, f"spend and ROAS by channel ({model})")
    ui.table(monthly, "by month and channel")
    ui.table(campaigns, "campaigns")
