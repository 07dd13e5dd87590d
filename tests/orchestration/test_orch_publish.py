"""Publishing the snapshot: complete, read-only, atomically replaced under a reader."""

from __future__ import annotations

import stat
from pathlib import Path

import duckdb
import pytest

from orchestration.defs.publish import snapshot as snapshot_module
from orchestration.defs.publish.snapshot import publish_snapshot, read_build, snapshot_location


def _warehouse(path: Path, rows: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute(f"CREATE OR REPLACE TABLE marts.fct_x AS SELECT range AS i FROM range({rows})")
        con.execute("CREATE SCHEMA IF NOT EXISTS staging")
        con.execute("CREATE OR REPLACE TABLE staging.not_public AS SELECT 1 AS i")


def test_snapshot_is_replaced_atomically_and_readers_keep_their_copy(tmp_path: Path) -> None:
    """Build b1 has 3 rows, b2 has 5. A reader opened on b1 keeps reading b1's 3 rows after
    b2 is renamed into place; a new reader sees b2. Only marts are published."""
    wh = tmp_path / "wh.duckdb"
    snap = snapshot_location(wh)
    assert snap == tmp_path / "revloop_published.duckdb"
    assert snapshot_location(wh, tmp_path / "elsewhere.duckdb") == tmp_path / "elsewhere.duckdb"
    _warehouse(wh, 3)
    first = publish_snapshot(wh, snap, "b1")
    assert first.tables == {"fct_x": 3}
    assert stat.S_IMODE(snap.stat().st_mode) == 0o444
    reader = duckdb.connect(str(snap), read_only=True)
    _warehouse(wh, 5)
    publish_snapshot(wh, snap, "b2")
    assert reader.execute("SELECT count(*) FROM marts.fct_x").fetchone() == (3,)
    reader.close()
    assert read_build(snap)["build_id"] == "b2"
    with duckdb.connect(str(snap), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.fct_x").fetchone() == (5,)
        schemas = {r[0] for r in con.execute("SELECT schema_name FROM duckdb_tables()").fetchall()}
    assert schemas == {"marts", "_release"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["revloop_published.duckdb", "wh.duckdb"]


def test_a_snapshot_updated_by_difference_equals_the_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Publish b1, change the warehouse, publish b2 from b1's file: b2 holds the warehouse's
    rows exactly, as multisets. Worked by hand: fct_x b1 = {(1,a), (2,b), (2,b), (3,c)}; b2's
    warehouse = {(1,a), (2,b), (3,z), (4,d), (4,d)}: one duplicate (2,b) goes, (3,c) becomes
    (3,z), (4,d) arrives twice, (1,a) stays. fct_y gains a column (copied whole), fct_gone
    leaves, fct_new arrives. With DIFF_MIN_ROWS = 0 every same-shaped table (fct_x) goes
    through the difference; fct_y, whose columns changed, is rewritten whole."""
    monkeypatch.setattr(snapshot_module, "DIFF_MIN_ROWS", 0)
    by_difference: list[str] = []
    original = snapshot_module._update_by_difference

    def spy(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> None:
        by_difference.append(table)
        original(con, table, columns)

    monkeypatch.setattr(snapshot_module, "_update_by_difference", spy)
    wh, snap = tmp_path / "wh.duckdb", tmp_path / "snap.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute(
            "CREATE TABLE marts.fct_x AS SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (2, 'b'), "
            "(3, 'c')) t(i, s)"
        )
        con.execute("CREATE TABLE marts.fct_y AS SELECT 1 AS i")
        con.execute("CREATE TABLE marts.fct_gone AS SELECT 1 AS i")
    publish_snapshot(wh, snap, "b1")
    assert by_difference == []  # nothing to start from: every table copied whole
    with duckdb.connect(str(wh)) as con:
        con.execute(
            "CREATE OR REPLACE TABLE marts.fct_x AS SELECT * FROM (VALUES (1, 'a'), (2, 'b'), "
            "(3, 'z'), (4, 'd'), (4, 'd')) t(i, s)"
        )
        con.execute("CREATE OR REPLACE TABLE marts.fct_y AS SELECT 1 AS i, 2 AS j")
        con.execute("DROP TABLE marts.fct_gone")
        con.execute("CREATE TABLE marts.fct_new AS SELECT 7 AS k")
    second = publish_snapshot(wh, snap, "b2")
    assert by_difference == ['marts."fct_x"']
    assert second.tables == {"fct_new": 1, "fct_x": 5, "fct_y": 1}
    with duckdb.connect(str(snap), read_only=True) as con:
        assert con.execute("SELECT * FROM marts.fct_x ORDER BY ALL").fetchall() == [
            (1, "a"), (2, "b"), (3, "z"), (4, "d"), (4, "d")
        ]  # fmt: skip
        assert con.execute("SELECT * FROM marts.fct_y").fetchall() == [(1, 2)]
        assert con.execute("SELECT * FROM marts.fct_new").fetchall() == [(7,)]
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'"
        ).fetchall()}  # fmt: skip
        assert tables == {"fct_new", "fct_x", "fct_y"}
        assert con.execute("SELECT build_id FROM _release.build").fetchall() == [("b2",)]
        assert con.execute("SELECT count(*) FROM _release.tables").fetchone() == (3,)
