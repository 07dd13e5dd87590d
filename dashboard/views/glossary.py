"""Definitions: the dbt docs text of every published table and column, searchable; the
pages' "Definitions" links open it on their terms (``?term=table.column,...``)."""

from __future__ import annotations

import streamlit as st

from dashboard import ui

TITLE = "Definitions"
URL = "definitions"
ICON = ":material/menu_book:"
TERMS: list[tuple[str, str]] = []


def render() -> None:
    st.title("Definitions")
    st.caption(
        "From the dbt docs of the published build (model and column descriptions): the one "
        "source every page links to."
    )
    frame = ui.run("definitions")
    wanted = [t for t in st.query_params.get("term", "").split(",") if t]
    if wanted:
        st.subheader("You asked for")
        for name in wanted:
            table, _, column = name.partition(".")
            st.markdown(f"**{name}** — {ui.definition(table, column) or '(no definition)'}")
        st.divider()
    search = st.text_input("Search", key="glossary_search", placeholder="e.g. win_rate, MQL")
    if search:
        s = search.lower()
        mask = (
            frame["table_name"].str.lower().str.contains(s, regex=False)
            | frame["column_name"].fillna("").str.lower().str.contains(s, regex=False)
            | frame["description"].fillna("").str.lower().str.contains(s, regex=False)
        )
        found = frame[mask]
        st.caption(f"{len(found)} definitions match")
        st.dataframe(
            found[["table_name", "column_name", "description"]], hide_index=True, width="stretch"
        )
        return
    # one table at a time: thirty tables of columns at once are slow to draw and to read
    tables = sorted(frame["table_name"].unique())
    if not tables:
        st.info("The published build carries no definitions (built without a dbt manifest).")
        return
    asked = [w.partition(".")[0] for w in wanted if w.partition(".")[0] in tables]
    table = st.selectbox(
        "Table",
        tables,
        index=tables.index(asked[0]) if asked else 0,
        key="glossary_table",
    )
    rows = frame[frame["table_name"] == table]
    own = rows[rows["column_name"].fillna("") == ""]
    if not own.empty:
        st.markdown(own["description"].iloc[0])
    cols = rows[rows["column_name"].fillna("") != ""]
    if not cols.empty:
        st.dataframe(cols[["column_name", "description"]], hide_index=True, width="stretch")
