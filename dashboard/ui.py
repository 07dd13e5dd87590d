"""What every page shares: the cached query runner, the filters, definition links, formats.

Caching: ``run(name, ...)`` calls ``queries.<name>`` through ``st.cache_data`` keyed on the
published build (``Build.key``) and the arguments, so a page is computed once per build and
filter choice for every viewer, and a newly published build (a new file) misses the cache
at once. The connection comes from one ``SnapshotReader`` per process.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import queries
from dashboard.queries import Filters
from dashboard.snapshot import Build, SnapshotReader

ALL = "All"
# the glossary's st.Page, set by app.py (page links need the Page object under st.navigation)
GLOSSARY: object | None = None


def snapshot_path() -> Path:
    """``--snapshot PATH`` after ``--`` on the ``streamlit run`` line (what ``revloop
    dashboard`` passes), else ``REVLOOP_SNAPSHOT``."""
    argv = sys.argv[1:]
    if "--snapshot" in argv and argv.index("--snapshot") + 1 < len(argv):
        return Path(argv[argv.index("--snapshot") + 1])
    env = os.environ.get("REVLOOP_SNAPSHOT")
    if env:
        return Path(env)
    raise SystemExit("dashboard: pass --snapshot PATH (revloop dashboard does) or REVLOOP_SNAPSHOT")


@st.cache_resource(show_spinner=False)
def _reader(path: str) -> SnapshotReader:
    return SnapshotReader(Path(path))


def current_build() -> Build:
    return _reader(str(snapshot_path())).current()[1]


@st.cache_data(max_entries=1024, show_spinner=False)
def _cached(name: str, build_key: str, args: tuple, kwargs: tuple) -> pd.DataFrame:
    con, _ = _reader(str(snapshot_path())).current()
    return getattr(queries, name)(con, *args, **dict(kwargs))


def run(name: str, *args: object, **kwargs: object) -> pd.DataFrame:
    """``queries.<name>(con, *args, **kwargs)`` cached per published build."""
    build = current_build()
    return _cached(name, build.key, tuple(args), tuple(sorted(kwargs.items())))


@st.cache_data(max_entries=16, show_spinner=False)
def _options(build_key: str) -> dict:
    con, _ = _reader(str(snapshot_path())).current()
    return queries.filter_options(con)


def options() -> dict:
    return _options(current_build().key)


# -------------------------------------------------------------------------------- filters


def filters() -> Filters:
    """The filters the entry script read from the sidebar in this run."""
    return st.session_state.get("_filters") or Filters()


def _month_label(d: dt.date) -> str:
    return d.strftime("%Y-%m")


def sidebar_filters() -> Filters:
    """Period, segment, owner and channel in the sidebar. The entry script draws them before
    the page, so they keep their values from page to page."""
    opts = options()
    months = opts["months"]
    as_of = pd.Timestamp(current_build().as_of)
    last = max((m for m in months if m <= as_of.date()), default=months[-1] if months else None)
    sb = st.sidebar
    sb.header("Filters")
    start = end = None
    if months:
        end_index = months.index(last)
        default = (months[max(0, end_index - 11)], last)
        start, end = sb.select_slider(
            "Period (months)",
            options=months,
            value=default,
            format_func=_month_label,
            key="filter_period",
        )
    segment = sb.selectbox("Segment", [ALL, *opts["segments"]], key="filter_segment")
    owner_names = dict(opts["owners"])
    owner = sb.selectbox(
        "Owner",
        [ALL, *owner_names],
        format_func=lambda o: o if o == ALL else f"{owner_names[o]}",
        key="filter_owner",
    )
    channel = sb.selectbox("Channel", [ALL, *opts["channels"]], key="filter_channel")
    chosen = Filters(
        start_month=start,
        end_month=end,
        segment=None if segment == ALL else segment,
        owner=None if owner == ALL else owner,
        channel=None if channel == ALL else channel,
    )
    st.session_state["_filters"] = chosen
    return chosen


def note_filters(applied: Sequence[str], cut: queries.Cut | None = None, **not_here: str) -> None:
    """Say which filters this chart uses and which it cannot (and why)."""
    parts = []
    if cut is not None and cut.dimension != "all":
        parts.append(f"cut: **{cut.dimension} = {cut.value}**")
        for name in cut.ignored:
            parts.append(f"{name} filter not applied (the mart cuts one dimension at a time)")
    for name, why in not_here.items():
        parts.append(f"{name} filter not applied: {why}")
    if applied:
        parts.insert(0, "filters: " + ", ".join(applied))
    if parts:
        st.caption(" · ".join(parts))


# ---------------------------------------------------------------------------- definitions


@st.cache_data(max_entries=16, show_spinner=False)
def _definitions(build_key: str) -> dict[tuple[str, str], str]:
    con, _ = _reader(str(snapshot_path())).current()
    frame = queries.definitions(con)
    return {
        (r.table_name, r.column_name or ""): r.description
        for r in frame.itertuples(index=False)
        if r.description
    }


def definition(table: str, column: str = "") -> str:
    """The dbt docs text of ``table.column`` (``column`` empty: the table's own text), as the
    published build carries it in ``_release.definitions``."""
    return _definitions(current_build().key).get((table, column), "")


def term(table: str, column: str = "") -> str:
    return f"{table}.{column}" if column else table


def metric(label: str, value: object, table: str, column: str, **kwargs: object) -> None:
    """``st.metric`` whose help is the metric's definition."""
    text = definition(table, column) or f"{term(table, column)}: no definition in the dbt docs"
    st.metric(label, value, help=f"**{term(table, column)}** — {text}", **kwargs)


def definitions_for(terms: Sequence[tuple[str, str]], label: str = "Definitions") -> None:
    """A popover with the definition of each ``(table, column)`` and a link to the glossary."""
    with st.popover(f"ⓘ {label}"):
        for table, column in terms:
            st.markdown(f"**{term(table, column)}** — {definition(table, column) or '(none)'}")
        if GLOSSARY is not None:
            st.page_link(
                GLOSSARY,
                label="Open in the glossary",
                query_params={"term": ",".join(term(t, c) for t, c in terms)},
            )


# -------------------------------------------------------------------------------- formats


def jpy(value: float | None) -> str:
    if value is None or pd.isna(value):
        return "–"
    v = float(value)
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(v) >= size:
            return f"¥{v / size:,.1f}{unit}"
    return f"¥{v:,.0f}"


def pct(value: float | None) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):.1%}"


def num(value: float | None, digits: int = 0) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):,.{digits}f}"


def applied_filters(f: Filters, *names: str) -> list[str]:
    labels = {"owner": dict(options()["owners"])}
    out = []
    for name in names:
        value = getattr(f, name)
        if value:
            out.append(f"{name} = {labels.get(name, {}).get(value, value)}")
    return out


def table(frame: pd.DataFrame, title: str) -> None:
    """A table on demand: collapsed under the charts."""
    with st.expander(f"Table: {title} ({len(frame):,} rows)"):
        st.dataframe(frame, hide_index=True, width="stretch")
