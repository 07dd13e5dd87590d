"""Publishing the snapshot: complete, read-only, atomically replaced under a reader."""

from __future__ import annotations

import stat
from pathlib import Path

import duckdb

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
