"""Tiny hand-made warehouses for the gate's tests (shared by tests/expectations and
tests/orchestration): raw tables typed by their contracts, a manifest, a few marts.

The world ends on ``LAST_DAY`` (a Saturday); the nightly run after it has as-of
``AS_OF`` = the next day 02:00 UTC, so the monitors check ``LAST_DAY``. Five weeks of
history give every same-weekday baseline four points.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from connectors.contracts import load_contracts

LAST_DAY = dt.date(2026, 10, 31)
AS_OF = dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.UTC)
HISTORY_DAYS = 35
HIST_BATCH = "20261031T020000Z-hist"
NEW_BATCH = "20261101T020000Z-new"
LOADED_AT = dt.datetime(2026, 11, 1, 1, 30, tzinfo=dt.UTC)

MANIFEST = """CREATE TABLE IF NOT EXISTS raw._manifest (
    file VARCHAR, checksum VARCHAR, rows_in BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT,
    status VARCHAR, batch_id VARCHAR, loaded_at TIMESTAMPTZ, source VARCHAR,
    table_name VARCHAR, bytes BIGINT, encoding VARCHAR, duplicate_of VARCHAR, error VARCHAR)"""
META = (
    "_extra JSON, _source_file VARCHAR, _row_number BIGINT, _loaded_at TIMESTAMPTZ, "
    "_batch_id VARCHAR, _superseded_at TIMESTAMPTZ"
)


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    return con


def create_raw(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """``raw.<table>`` with the contract's columns and the loader's meta columns."""
    source, entity = table.split("__", 1)
    (contract,) = [c for c in load_contracts(source) if c.entity == entity]
    cols = ", ".join(f'"{c.name}" {c.type}' for c in contract.columns)
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(MANIFEST)
    con.execute(f"CREATE TABLE IF NOT EXISTS raw.{table} ({cols}, {META})")


def record_files(
    con: duckdb.DuckDBPyConnection, table: str, loaded_at: dt.datetime = LOADED_AT
) -> None:
    """One manifest row per (file, batch) present in ``raw.<table>``."""
    source = table.split("__", 1)[0]
    con.execute(
        f"""INSERT INTO raw._manifest
        SELECT _source_file, md5(_source_file || _batch_id), count(*), count(*), 0, 'loaded',
               _batch_id, ?, '{source}', '{table}', 1000, 'utf-8', NULL, NULL
        FROM raw.{table} GROUP BY _source_file, _batch_id""",
        [loaded_at],
    )


def ga4_days(
    con: duckdb.DuckDBPyConnection,
    *,
    per_day: int = 100,
    newest: int | None = None,
    newest_names: list[str] | None = None,
    newest_batch: str = NEW_BATCH,
) -> None:
    """GA4 events: ``per_day`` page_views with page_location on every day of the history,
    the newest day (LAST_DAY) with ``newest`` rows named cyclically from ``newest_names``."""
    create_raw(con, "ga4__events")
    first = LAST_DAY - dt.timedelta(days=HISTORY_DAYS - 1)
    names = newest_names or ["page_view"]
    con.execute(
        f"""INSERT INTO raw.ga4__events (event_date, event_timestamp, event_name, event_params,
            user_pseudo_id, _source_file, _row_number, _loaded_at, _batch_id)
        SELECT d::DATE, epoch_us(d::TIMESTAMP + INTERVAL 12 HOUR),
               'page_view',
               [{{'key': 'page_location', 'value': {{'string_value': 'https://x.jp/p',
                 'int_value': NULL, 'double_value': NULL}}}}],
               'u' || i, 'ga4/events_' || strftime(d, '%Y%m%d') || '.jsonl', i + 1, ?, ?
        FROM range(DATE '{first}', DATE '{LAST_DAY}', INTERVAL 1 DAY) t(d), range({per_day}) u(i)
        """,
        [LOADED_AT - dt.timedelta(days=1), HIST_BATCH],
    )
    n = per_day if newest is None else newest
    if n:
        con.execute(
            f"""INSERT INTO raw.ga4__events (event_date, event_timestamp, event_name, event_params,
                user_pseudo_id, _source_file, _row_number, _loaded_at, _batch_id)
            SELECT DATE '{LAST_DAY}', epoch_us(TIMESTAMP '{LAST_DAY} 12:00:00'),
                   (?::VARCHAR[])[1 + i % {len(names)}],
                   [{{'key': 'page_location', 'value': {{'string_value': 'https://x.jp/p',
                     'int_value': NULL, 'double_value': NULL}}}}],
                   'u' || i, 'ga4/events_{LAST_DAY:%Y%m%d}.jsonl', i + 1, ?, ?
            FROM range({n}) t(i)""",
            [names, LOADED_AT, newest_batch],
        )
    else:  # the file arrived, empty: a manifest row with no raw rows
        con.execute(
            "INSERT INTO raw._manifest VALUES (?, 'e', 0, 0, 0, 'empty', ?, ?, 'ga4', "
            "'ga4__events', 0, 'utf-8', NULL, NULL)",
            [f"ga4/events_{LAST_DAY:%Y%m%d}.jsonl", newest_batch, LOADED_AT],
        )
    record_files(con, "ga4__events")


def opportunity_days(
    con: duckdb.DuckDBPyConnection,
    *,
    per_day: int = 30,
    newest_amount_null: bool = False,
    redeliver_newest: bool = False,
    conflicting: bool = False,
) -> None:
    """Salesforce Opportunity versions: ``per_day`` per day, Amount always set in history.

    The newest day's page is batch NEW_BATCH; ``redeliver_newest`` repeats the page's
    versions identically in a second file of the same batch (an overlapping re-extract);
    ``conflicting`` changes one repeated version's Amount.
    """
    create_raw(con, "salesforce__opportunity")
    first = LAST_DAY - dt.timedelta(days=HISTORY_DAYS - 1)
    insert = """INSERT INTO raw.salesforce__opportunity ("Id", "Name", "StageName", "Amount",
        "IsClosed", "IsWon", "Probability", "CreatedDate", "SystemModstamp", _source_file,
        _row_number, _loaded_at, _batch_id)"""
    con.execute(
        f"""{insert}
        SELECT '006' || strftime(d, '%Y%m%d') || lpad(i::VARCHAR, 4, '0'), 'Deal', 'Closed Won',
               1000000 + i, true, true, 100, d::TIMESTAMPTZ, d::TIMESTAMPTZ + INTERVAL 9 HOUR,
               'salesforce/Opportunity/' || strftime(d, '%Y%m%d') || '-0001.json', i + 1, ?, ?
        FROM range(DATE '{first}', DATE '{LAST_DAY}', INTERVAL 1 DAY) t(d), range({per_day}) u(i)
        """,
        [LOADED_AT - dt.timedelta(days=1), HIST_BATCH],
    )
    amount = "NULL" if newest_amount_null else "1000000 + i"
    files = ["0001", "0002"] if redeliver_newest else ["0001"]
    for f in files:
        changed = "+ CASE WHEN i = 0 THEN 5 ELSE 0 END" if conflicting and f == "0002" else ""
        con.execute(
            f"""{insert}
            SELECT '006NEW' || lpad(i::VARCHAR, 6, '0'), 'Deal', 'Closed Won',
                   {amount} {changed if amount != "NULL" else ""}, true, true, 100,
                   TIMESTAMPTZ '{LAST_DAY} 08:00:00+00', TIMESTAMPTZ '{LAST_DAY} 09:00:00+00',
                   'salesforce/Opportunity/20261101T010000Z-{f}.json', i + 1, ?, ?
            FROM range({per_day}) t(i)""",
            [LOADED_AT, NEW_BATCH],
        )
    record_files(con, "salesforce__opportunity")


def attribution_mart(con: duckdb.DuckDBPyConnection, *, broken: bool = False) -> None:
    """``marts.fct_attribution`` (interfaces.md columns) for two conversions, two models.

    c1 (revenue 100): linear 0.5/0.5, first_touch 1.0; c2 (lead): linear 1.0, first_touch
    1.0. ``broken``: c1's linear credits become 0.5/0.6 (sum 1.1).
    """
    second = 0.6 if broken else 0.5
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute(
        f"""CREATE OR REPLACE TABLE marts.fct_attribution AS SELECT * FROM (VALUES
        ('c1', 'closed_won', 'e1', 'Paid Search', 'cmp', 'linear', 0.5, 50.0),
        ('c1', 'closed_won', 'e2', 'Email', 'cmp', 'linear', {second}, 50.0),
        ('c1', 'closed_won', 'e1', 'Paid Search', 'cmp', 'first_touch', 1.0, 100.0),
        ('c2', 'lead_created', 'e3', 'Direct', NULL, 'linear', 1.0, 0.0),
        ('c2', 'lead_created', 'e3', 'Direct', NULL, 'first_touch', 1.0, 0.0)
        ) t(conversion_id, conversion_type, event_id, channel, campaign, model, credit,
            revenue_credit)"""
    )
