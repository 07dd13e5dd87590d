"""The two models a night writes by difference rewrite what changed and nothing else.

``fct_events`` compares every current event (the view int_events_resolved) with its stored row
by a hash of all columns; ``int_attribution_sessions`` rebuilds the subjects whose touch
events' fingerprint differs from the one stored with their rows. Worked on a copy of the
small sample's build (tests/dbt/conftest.py ``small_build``), changing the stored tables by
hand and running only those two models:

- event E, the channel-giving event of one of person A's web touches, gets channel Email in
  the event base: fct_events shows Email for E, and A's touch E has channel Email (E is not
  Direct, so it still gives its visit the channel);
- person B's stored touches get events_in_touch = -1 while B's events stay as they are:
  B's fingerprint still matches, B is not rebuilt, the -1 stays (the proof that an
  unchanged subject is left alone);
- person C's stored touches get events_in_touch = -1 AND a wrong fingerprint: C is rebuilt,
  its true counts come back;
- event D (of neither A, B nor C) leaves the event base: it leaves fct_events;
- event F's stored channel in fct_events is overwritten: F's row no longer equals its
  current one, so it is rewritten and the true channel comes back.

Afterwards fct_events holds exactly the rows of int_events_resolved.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from tests.dbt.dbt_cli import run_dbt

AS_OF = "2026-10-31 23:59:59"
SESSIONS = "intermediate.int_attribution_sessions"


def _pick(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """A, E: a person's web touch whose channel is neither Email nor Direct; B, C: two other
    people with touches; D: an event of nobody among them; F: another such event."""
    a, e = con.execute(
        f"select subject_id, touch_id from {SESSIONS} where touch_kind = 'web_session' "
        "and person_id is not null and channel not in ('Email', 'Direct') "
        "order by touch_id limit 1"
    ).fetchone()
    b, c = (
        r[0]
        for r in con.execute(
            f"select distinct subject_id from {SESSIONS} where person_id is not null "
            "and subject_id <> ? order by subject_id limit 2",
            [a],
        ).fetchall()
    )
    d, f = (
        r[0]
        for r in con.execute(
            "select event_id from marts.fct_events where person_id not in (?, ?, ?) "
            "and channel <> 'Email' order by event_id limit 2",
            [a, b, c],
        ).fetchall()
    )
    return {"A": a, "E": e, "B": b, "C": c, "D": d, "F": f}


def test_only_changed_events_and_subjects_are_rewritten(small_build: dict, tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    shutil.copyfile(small_build["db"], db)
    with duckdb.connect(str(db)) as con:
        p = _pick(con)
        c_counts = con.execute(
            f"select touch_id, events_in_touch from {SESSIONS} where subject_id = ? order by 1",
            [p["C"]],
        ).fetchall()
        f_channel = con.execute(
            "select channel from marts.fct_events where event_id = ?", [p["F"]]
        ).fetchone()[0]
        con.execute(
            "update intermediate.int_events_base set channel = 'Email' where event_id = ?",
            [p["E"]],
        )
        con.execute(f"update {SESSIONS} set events_in_touch = -1 where subject_id = ?", [p["B"]])
        con.execute(
            f"update {SESSIONS} set events_in_touch = -1, subject_fingerprint = 0 "
            "where subject_id = ?",
            [p["C"]],
        )
        con.execute("delete from intermediate.int_events_base where event_id = ?", [p["D"]])
        con.execute("update marts.fct_events set channel = 'tampered' where event_id = ?", [p["F"]])

    models = ["int_attribution_sessions", "fct_events"]
    built = run_dbt(["run", "--select", *models], db, tmp_path, {"as_of": AS_OF})
    assert built.returncode == 0, built.stdout[-4000:]

    with duckdb.connect(str(db), read_only=True) as con:

        def one(sql: str, *args: str) -> object:
            return con.execute(sql, list(args)).fetchone()[0]

        assert one("select channel from marts.fct_events where event_id = ?", p["E"]) == "Email"
        assert one(f"select channel from {SESSIONS} where touch_id = ?", p["E"]) == "Email"
        assert one(
            f"select count(*) filter (where events_in_touch = -1) = count(*) from {SESSIONS} "
            "where subject_id = ?",
            p["B"],
        ), "person B's events did not change: B must not be rebuilt"
        assert (
            con.execute(
                f"select touch_id, events_in_touch from {SESSIONS} where subject_id = ? order by 1",
                [p["C"]],
            ).fetchall()
            == c_counts
        )
        assert one("select count(*) from marts.fct_events where event_id = ?", p["D"]) == 0
        assert one("select channel from marts.fct_events where event_id = ?", p["F"]) == f_channel
        columns = ", ".join(
            d[0] for d in con.execute("select * from marts.fct_events limit 0").description
        )
        current = f"select {columns} from intermediate.int_events_resolved"
        stored = f"select {columns} from marts.fct_events"
        only_one_side = one(
            f"select count(*) from (({stored} except all {current}) "
            f"union all ({current} except all {stored}))"
        )
        assert only_one_side == 0
