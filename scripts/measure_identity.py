"""Benchmark identity resolution against the generator's ground truth.

Generates a world (or reuses one), loads it into a throw-away DuckDB warehouse, builds
``+bridge_person_identities +dim_accounts`` with dbt, and compares the resolved person and
account of every source record with ``<truth>/identities.csv``. Scores are pairwise over
source records: precision = share of record pairs we put together that truly belong
together; recall = share of truly-together pairs we put together. Records their source
deleted (truth column ``is_deleted``) are not scored; other truth records missing from the
warehouse (quarantined rows) count as unresolved singletons.

    python scripts/measure_identity.py --scale small
    python scripts/measure_identity.py --extracts data/extracts --warehouse /tmp/w.duckdb --no-build
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

log = logging.getLogger("measure_identity")

REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT = REPO / "dbt_project"
PERSON_SYSTEMS = ("marketo_lead", "salesforce_lead", "salesforce_contact")
ACCOUNT_SYSTEMS = ("salesforce_account", "salesforce_lead", "marketo_lead")


class MeasureError(RuntimeError):
    """A step of the benchmark failed; the message says which and what to check."""


@dataclass(frozen=True)
class PairwiseScore:
    """Pairwise precision/recall of one clustering against the truth."""

    entity: str
    records: int
    records_missing: int
    predicted_pairs: int
    true_pairs: int
    correct_pairs: int
    precision: float
    recall: float


def pairwise_score(con: duckdb.DuckDBPyConnection, entity: str, joined_sql: str) -> PairwiseScore:
    """Score a relation (record_key, predicted, truth) set-based: pairs per cell are n(n-1)/2.

    Records without a prediction count as singletons (they can only cost recall);
    records without a truth are ignored.
    """
    row = con.execute(
        f"""
        with joined as ({joined_sql}),
        scored as (
            select record_key, coalesce(predicted, 'missing:' || record_key) as predicted,
                   truth, predicted is null as is_missing
            from joined where truth is not null
        ),
        pred as (select count(*) as n from scored group by predicted),
        tru as (select count(*) as n from scored group by truth),
        both_ as (select count(*) as n from scored group by predicted, truth)
        select
            (select count(*) from scored),
            (select count(*) filter (where is_missing) from scored),
            (select coalesce(sum(n * (n - 1) / 2), 0) from pred),
            (select coalesce(sum(n * (n - 1) / 2), 0) from tru),
            (select coalesce(sum(n * (n - 1) / 2), 0) from both_)
        """
    ).fetchone()
    records, missing, predicted_pairs, true_pairs, correct = (int(v) for v in row)
    return PairwiseScore(
        entity=entity,
        records=records,
        records_missing=missing,
        predicted_pairs=predicted_pairs,
        true_pairs=true_pairs,
        correct_pairs=correct,
        precision=correct / predicted_pairs if predicted_pairs else 1.0,
        recall=correct / true_pairs if true_pairs else 1.0,
    )


def score_warehouse(warehouse: Path, truth_dir: Path) -> dict[str, PairwiseScore]:
    """Compare marts.bridge_person_identities / intermediate.int_account_identities with truth."""
    identities_csv = truth_dir / "identities.csv"
    if not identities_csv.exists():
        raise MeasureError(f"{identities_csv} not found: generate with truth_dir (see its README)")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute(
            "create temp table truth as select * from read_csv(?, all_varchar = true)",
            [str(identities_csv)],
        )
        # records deleted in their source (a Salesforce lead with IsDeleted) are no records
        # to resolve; other truth records missing from the warehouse (quarantined rows)
        # still count, as singletons
        columns = {r[0] for r in con.execute("describe truth").fetchall()}
        if "is_deleted" in columns:
            con.execute("delete from truth where lower(is_deleted) = 'true'")
        people_csv = truth_dir / "people.csv"
        con.execute(
            """create temp table shared_mailboxes as
            select true_person_id from read_csv(?, all_varchar = true)
            qualify count(*) over (partition by email_normalized) > 1""",
            [str(people_csv)],
        )
        people_systems = ", ".join(f"'{s}'" for s in PERSON_SYSTEMS)
        account_systems = ", ".join(f"'{s}'" for s in ACCOUNT_SYSTEMS)
        scores = {
            "people": pairwise_score(
                con,
                "people",
                f"""
                select t.source_system || ':' || t.source_id as record_key,
                       b.person_id as predicted, t.true_person_id as truth
                from truth as t
                left join marts.bridge_person_identities as b
                    on b.source_system = t.source_system and b.source_id = t.source_id
                where t.source_system in ({people_systems})""",
            ),
            # The generator can give two true people the same mailbox (same name at the same
            # company, or the same private address); "an e-mail is a person" must merge
            # them, so this score leaves those people out to show the matcher's own errors.
            "people_distinct_mailboxes": pairwise_score(
                con,
                "people_distinct_mailboxes",
                f"""
                select t.source_system || ':' || t.source_id as record_key,
                       b.person_id as predicted, t.true_person_id as truth
                from truth as t
                left join marts.bridge_person_identities as b
                    on b.source_system = t.source_system and b.source_id = t.source_id
                where t.source_system in ({people_systems})
                    and t.true_person_id not in (select true_person_id from shared_mailboxes)""",
            ),
            "people_with_cookies": pairwise_score(
                con,
                "people_with_cookies",
                f"""
                select t.source_system || ':' || t.source_id as record_key,
                       b.person_id as predicted, t.true_person_id as truth
                from truth as t
                left join marts.bridge_person_identities as b
                    on b.source_system = t.source_system and b.source_id = t.source_id
                where t.source_system in ({people_systems}, 'ga4_cookie')""",
            ),
            "accounts": pairwise_score(
                con,
                "accounts",
                f"""
                select t.source_system || ':' || t.source_id as record_key,
                       a.account_id as predicted, t.true_account_id as truth
                from truth as t
                left join intermediate.int_account_identities as a
                    on a.source_system = t.source_system and a.source_id = t.source_id
                where t.source_system in ({account_systems})""",
            ),
        }
    finally:
        con.close()
    return scores


def build(warehouse: Path, target_path: Path) -> None:
    """dbt build of the identity models (and their parents) into ``warehouse``.

    A subprocess, not dbtRunner: the in-process adapter would keep the DuckDB file open
    and the scoring connection could not open it afterwards.
    """
    dbt = Path(sys.executable).with_name("dbt")
    args = [
        str(dbt),
        "build",
        "--project-dir",
        str(DBT_PROJECT),
        "--profiles-dir",
        str(DBT_PROJECT),
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path / "logs"),
        "--select",
        "+bridge_person_identities",
        "+dim_accounts",
        "--exclude-resource-type",
        "unit_test",
        # only tests whose parents are all selected (not the marts built on the bridge)
        "--indirect-selection",
        "cautious",
    ]
    env = dict(os.environ, REVLOOP_WAREHOUSE=str(warehouse))
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise MeasureError(
            f"dbt build into {warehouse} failed; last output:\n{result.stdout[-3000:]}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=None, help="keep files here")
    parser.add_argument("--extracts", type=Path, default=None, help="reuse generated extracts")
    parser.add_argument("--truth", type=Path, default=None, help="truth folder of --extracts")
    parser.add_argument("--warehouse", type=Path, default=None, help="reuse/keep this warehouse")
    parser.add_argument("--no-load", action="store_true", help="warehouse already loaded")
    parser.add_argument("--no-build", action="store_true", help="models already built")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    tmp = tempfile.TemporaryDirectory(prefix="revloop-identity-")
    work = args.workdir or Path(tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    extracts = args.extracts or work / "extracts"
    truth = args.truth or extracts.parent / "truth"
    warehouse = args.warehouse or work / "warehouse.duckdb"
    timings: dict[str, float] = {}

    if args.extracts is None:
        from connectors.generate import REFERENCE_END_DATE, generate

        t = time.perf_counter()
        generate(
            extracts,
            scale=args.scale,
            seed=args.seed,
            truth_dir=truth,
            end_date=REFERENCE_END_DATE,
        )
        timings["generate_s"] = time.perf_counter() - t
    if not args.no_load:
        from connectors.load import load_all

        t = time.perf_counter()
        load_all(warehouse, extracts)
        timings["load_s"] = time.perf_counter() - t
    if not args.no_build:
        t = time.perf_counter()
        build(warehouse, work / "dbt_target")
        timings["dbt_build_s"] = time.perf_counter() - t

    scores = score_warehouse(warehouse, truth)
    if args.json:
        print(json.dumps({k: asdict(v) for k, v in scores.items()} | {"timings": timings}))
    else:
        for s in scores.values():
            print(
                f"{s.entity:<20} precision={s.precision:.4f} recall={s.recall:.4f} "
                f"records={s.records} (missing {s.records_missing}) "
                f"pairs predicted={s.predicted_pairs} true={s.true_pairs} "
                f"correct={s.correct_pairs}"
            )
        print("timings: " + ", ".join(f"{k}={v:.1f}" for k, v in timings.items()))
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
