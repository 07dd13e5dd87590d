"""The dashboard's entry script: ``streamlit run dashboard/app.py -- --snapshot PATH``
(``revloop dashboard`` runs exactly that on 127.0.0.1).

Draws the sidebar (the build on show and the filters, kept from page to page) and hands over
to the page the user picked. With no snapshot yet it says how to get one instead.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.snapshot import SnapshotMissing
from dashboard.views import (
    attribution,
    data_health,
    funnel,
    glossary,
    ltv,
    speed_to_lead,
    spend,
    velocity,
)

PAGES = (funnel, speed_to_lead, attribution, spend, velocity, ltv, data_health, glossary)


def main() -> None:
    st.set_page_config(page_title="revloop · RevOps dashboard", layout="wide")
    pages = {
        module: st.Page(
            module.render,
            title=module.TITLE,
            url_path=module.URL,
            icon=module.ICON,
            default=module is funnel,
        )
        for module in PAGES
    }
    ui.GLOSSARY = pages[glossary]
    nav = st.navigation(list(pages.values()))
    try:
        build = ui.current_build()
    except SnapshotMissing as exc:
        st.title("revloop · RevOps dashboard")
        st.warning(str(exc))
        return
    st.sidebar.caption(
        f"Published build `{build.build_id[:8]}` · as of "
        f"{pd.Timestamp(build.as_of):%Y-%m-%d %H:%M} UTC"
    )
    ui.sidebar_filters()
    nav.run()


main()
