"""Attribution by channel and campaign: a model selector, model vs model, spend, ROAS, and
the winning paths by segment."""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboard import queries, ui

TITLE = "Attribution"
URL = "attribution"
ICON = ":material/hub:"
TERMS = [
    ("fct_attribution", "model"),
    ("mart_attribution_by_channel", ""),
    ("mart_attribution_by_channel", "conversions"),
    ("mart_attribution_by_channel", "revenue"),
    ("mart_attribution_by_channel", "spend"),
    ("mart_attribution_by_channel", "cost_per_conversion"),
    ("mart_attribution_by_channel", "roas"),
    ("mart_attribution_by_campaign", ""),
    ("mart_attribution_paths_by_segment", ""),
    ("mart_attribution_paths_by_segment", "winning_rank"),
]


def render() -> None:
    f = ui.filters()
    st.title("Attribution")
    models = list(ui.run("attribution_models")["model"])
    if not models:
        st.info("The published build has no attribution rows.")
        return
    c1, c2, c3 = st.columns(3)
    model = c1.selectbox(
        "Attribution model",
        models,
        index=models.index("w_shaped") if "w_shaped" in models else 0,
        key="attribution_model",
        help=ui.definition("fct_attribution", "model"),
    )
    ctype = c2.selectbox(
        "Conversion", list(queries.CONVERSION_TYPES), index=1, key="attribution_conversion"
    )
    other = [m for m in models if m != model]
    compare = c3.selectbox(
        "Compare with",
        other,
        index=other.index("first_touch") if "first_touch" in other else 0,
        key="attribution_compare",
    )
    ui.note_filters(
        ui.applied_filters(f, "channel", "segment"),
        owner="attribution is per touch, not per owner",
        **({"segment (spend)": "spend is not split by segment, so no ROAS"} if f.segment else {}),
    )
    by_channel = ui.run("attribution_by_channel", f, model, ctype)
    if by_channel.empty:
        st.info("No attributed conversions for this model, conversion and period.")
        return
    spend = by_channel["spend"].sum(min_count=1)
    revenue = by_channel["revenue"].sum()
    k = st.columns(4)
    with k[0]:
        ui.metric(
            "Conversions",
            ui.num(by_channel["conversions"].sum(), 1),
            "mart_attribution_by_channel",
            "conversions",
        )
    with k[1]:
        ui.metric("Attributed revenue", ui.jpy(revenue), "mart_attribution_by_channel", "revenue")
    with k[2]:
        ui.metric("Spend", ui.jpy(spend), "mart_attribution_by_channel", "spend")
    with k[3]:
        roas = revenue / spend if spend and spend == spend else None
        ui.metric("ROAS", ui.num(roas, 2), "mart_attribution_by_channel", "roas")

    a1, a2 = st.columns(2)
    with a1:
        st.subheader(f"By channel · {model}")
        st.altair_chart(
            alt.Chart(by_channel)
            .mark_bar()
            .encode(
                y=alt.Y("channel:N", sort="-x", title=None),
                x=alt.X("conversions:Q", title="attributed conversions"),
                tooltip=[
                    "channel",
                    alt.Tooltip("conversions:Q", format=",.2f"),
                    alt.Tooltip("revenue:Q", format=",.0f", title="revenue (JPY)"),
                    alt.Tooltip("spend:Q", format=",.0f", title="spend (JPY)"),
                    alt.Tooltip("cost_per_conversion:Q", format=",.0f"),
                    alt.Tooltip("roas:Q", format=".2f"),
                ],
            ),
            width="stretch",
        )
    with a2:
        st.subheader(f"{model} vs {compare}")
        comparison = ui.run("model_comparison", f, ctype, model, compare)
        long = comparison.melt(
            id_vars="channel",
            value_vars=["conversions_a", "conversions_b"],
            var_name="model",
            value_name="conversions",
        ).replace({"model": {"conversions_a": model, "conversions_b": compare}})
        st.altair_chart(
            alt.Chart(long)
            .mark_bar()
            .encode(
                y=alt.Y("channel:N", sort=list(comparison["channel"]), title=None),
                x=alt.X("conversions:Q", title="attributed conversions"),
                yOffset="model:N",
                color=alt.Color("model:N", title=None),
                tooltip=["channel", "model", alt.Tooltip("conversions:Q", format=",.2f")],
            ),
            width="stretch",
        )
    s1, s2 = st.columns(2)
    with s1:
        st.subheader("Revenue and spend by channel")
        money = by_channel.melt(
            id_vars="channel", value_vars=["revenue", "spend"], var_name="measure"
        ).dropna()
        st.altair_chart(
            alt.Chart(money)
            .mark_bar()
            .encode(
                y=alt.Y("channel:N", sort=list(by_channel["channel"]), title=None),
                x=alt.X("value:Q", title="JPY"),
                yOffset="measure:N",
                color=alt.Color("measure:N", title=None),
                tooltip=["channel", "measure", alt.Tooltip("value:Q", format=",.0f")],
            ),
            width="stretch",
        )
    with s2:
        st.subheader("Month by month")
        monthly = ui.run("attribution_by_month", f, model, ctype)
        st.altair_chart(
            alt.Chart(monthly)
            .mark_area()
            .encode(
                x=alt.X("month:T", title=None),
                y=alt.Y("conversions:Q", stack=True, title="attributed conversions"),
                color=alt.Color("channel:N", title=None),
                tooltip=["month:T", "channel", alt.Tooltip("conversions:Q", format=",.2f")],
            ),
            width="stretch",
        )

    st.subheader("Campaigns")
    campaigns = ui.run("attribution_by_campaign", f, model, ctype)
    if f.segment:
        st.caption("Campaigns are shown for all segments (the campaign mart has no segment).")
    st.altair_chart(
        alt.Chart(campaigns.head(15))
        .mark_bar()
        .encode(
            y=alt.Y("campaign_name:N", sort="-x", title=None),
            x=alt.X("revenue:Q", title="attributed revenue (JPY)"),
            color=alt.Color("channel:N", title=None),
            tooltip=[
                "campaign_name",
                "campaign_source",
                "channel",
                alt.Tooltip("conversions:Q", format=",.2f"),
                alt.Tooltip("revenue:Q", format=",.0f"),
                alt.Tooltip("spend:Q", format=",.0f"),
                alt.Tooltip("roas:Q", format=".2f"),
            ],
        ),
        width="stretch",
    )

    st.subheader("Winning paths by segment")
    paths = ui.run("winning_paths", f, ctype)
    st.caption("Whole history (paths have no month); rank 1 = the segment's winning path.")
    st.altair_chart(
        alt.Chart(paths)
        .mark_bar()
        .encode(
            y=alt.Y("path:N", sort="-x", title=None),
            x=alt.X("conversions:Q", title="conversions"),
            color=alt.Color("segment:N", title="segment"),
            row=alt.Row("segment:N", title=None, header=alt.Header(labelAngle=0)),
            tooltip=[
                "segment",
                "winning_rank",
                "path",
                alt.Tooltip("conversions:Q", format=",.1f"),
                "journeys",
                alt.Tooltip("conversion_rate:Q", format=".1%"),
            ],
        )
        .resolve_scale(y="independent"),
    )
    ui.definitions_for(TERMS)
    ui.table(by_channel, f"by channel ({model})")
    ui.table(comparison, f"{model} vs {compare}")
    ui.table(campaigns, "campaigns")
    ui.table(paths, "winning paths")
