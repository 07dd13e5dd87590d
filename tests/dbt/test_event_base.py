"""The stable event base (int_events_base) under a changed definition: editing seed
channel_mapping must reach every stored event on the next nightly build, without a
``--full-refresh`` (definitions are data a RevOps user edits; nobody remembers the flag).

Hand-worked on the small sample's build (tests/dbt/conftest.py ``small_build``): rename the
channel of the Organic Search rule in the warehouse's seed table; an incremental build of
the base then finds rows stored under other definitions (rules_fingerprint), recomputes
every row, and exactly the events that were Organic Search carry the new name, the total
unchanged. The build after it has nothing to recompute (no new or gone delivery).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from tests.dbt.dbt_cli import run_dbt

AS_OF = "2026-10-31 23:59:59"
RENAMED = "Organic Search (renamed)"


def _counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(
            con.execute(
                "select channel, count(*) from intermediate.int_events_base group by 1"
            ).fetchall()
        )


def test_a_changed_channel_rule_reclassifies_every_stored_event(
    small_build: dict, tmp_path: Path
) -> None:
    db = tmp_path / "warehouse.duckdb"
    shutil.copyfile(small_build["db"], db)
    before = _counts(db)
    assert before.get("Organic Search", 0) > 0, before
    with duckdb.connect(str(db)) as con:
        con.execute(
            "update seeds.channel_mapping set channel = ? where channel = 'Organic Search'",
            [RENAMED],
        )
    first = run_dbt(["run", "--select", "int_events_base"], db, tmp_path, {"as_of": AS_OF})
    assert first.returncode == 0, first.stdout[-4000:]
    assert "every row is recomputed" in first.stdout, first.stdout[-4000:]
    after = _counts(db)
    assert "Organic Search" not in after
    assert after[RENAMED] == before["Organic Search"]
    assert sum(after.values()) == sum(before.values())
    assert {k: v for k, v in after.items() if k != RENAMED} == {
        k: v for k, v in before.items() if k != "Organic Search"
    }

    again = run_dbt(["run", "--select", "int_events_base"], db, tmp_path, {"as_of": AS_OF})
    assert again.returncode == 0, again.stdout[-4000:]
    assert "int_events_base: 0 new and 0 gone deliveries" in again.stdout, again.stdout[-4000:]
    assert "every row is recomputed" not in again.stdout
    assert _counts(db) == after
