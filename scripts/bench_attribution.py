"""Time the attribution models and check they recover the generator's planted effects.

    python scripts/bench_attribution.py --scale small|medium|large [--keep DIR]
    python scripts/bench_attribution.py --warehouse W.duckdb --truth TRUTH_DIR  # built already

Generates the sample (seed 42, world ending on REFERENCE_END_DATE), loads it, builds every
dbt model upstream of attribution (untimed), then times one `dbt run` of exactly the
attribution models (models/intermediate/attribution + models/marts/attribution: touches,
conversions, touchpoints, journeys, paths, markov, shapley, the nine models of
fct_attribution, the marts) and reports journeys, conversions, rows and the slowest models.
Then it checks recovery against truth/channel_effects.csv and truth/sequence_effects.csv
(see ``recovery``) and exits 1 when a planted effect is not found. Large needs ~7 GB of
disk and ~4 min to generate: run it under `nice` and delete the folder afterwards (the
default temp folder is removed unless --keep).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")
AS_OF = "2026-10-31 23:59:59"
ATTRIBUTION = "path:models/intermediate/attribution path:models/marts/attribution"
# Planted effects smaller than this (log-odds) are not expected to be told apart at medium.
MIN_SEPARATION = 0.5
# A path needs this many journeys before its conversion rate is compared.
MIN_JOURNEYS = 20
# Which models must recover the planted channel order of which conversion type.
CHECKS = {
    "lead_created": ("markov", "shapley"),
    "opportunity_created": ("markov", "shapley"),
    "closed_won": ("markov", "shapley"),
}


def dbt(args: list[str], warehouse: Path, work: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, REVLOOP_WAREHOUSE=str(warehouse), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    cmd = [
        str(DBT), *args, "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        "--vars", json.dumps({"as_of": AS_OF}),
    ]  # fmt: skip
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"dbt {' '.join(args)} failed:\n{result.stdout[-4000:]}")
    return result


def build(scale: str, work: Path) -> tuple[Path, Path, dict[str, float]]:
    """Generate, load and build everything but attribution; then time attribution alone."""
    from connectors.generate import REFERENCE_END_DATE, generate
    from connectors.load import load_all

    timings: dict[str, float] = {}
    started = time.perf_counter()
    generate(work / "extracts", scale=scale, seed=42, truth_dir=work / "truth",
             end_date=REFERENCE_END_DATE)  # fmt: skip
    timings["generate_s"] = time.perf_counter() - started
    warehouse = work / "warehouse.duckdb"
    started = time.perf_counter()
    load_all(warehouse, work / "extracts")
    timings["load_s"] = time.perf_counter() - started
    dbt(["seed"], warehouse, work)
    started = time.perf_counter()
    dbt(["run", "--exclude", ATTRIBUTION, "--exclude", "path:models/reverse_etl"], warehouse, work)
    timings["upstream_dbt_s"] = time.perf_counter() - started
    timings.update(time_attribution(warehouse, work))
    return warehouse, work / "truth", timings


def time_attribution(warehouse: Path, work: Path) -> dict[str, float]:
    started = time.perf_counter()
    dbt(["run", "--select", ATTRIBUTION], warehouse, work)
    wall = time.perf_counter() - started
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    per_model = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results}
    out = {"attribution_dbt_wall_s": wall, "attribution_models_s": sum(per_model.values())}
    for name, seconds in sorted(per_model.items(), key=lambda kv: -kv[1])[:5]:
        out[f"model:{name}"] = seconds
    return out


def sizes(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    one = lambda sql: con.execute(sql).fetchall()[0][0]  # noqa: E731
    return {
        "journeys": one("select count(*) from intermediate.int_attribution_journeys"),
        "converting_journeys": one(
            "select count(*) from intermediate.int_attribution_journeys where is_conversion"
        ),
        "conversions": one("select count(*) from intermediate.int_attribution_conversions"),
        "touches": one("select count(*) from intermediate.int_attribution_touches"),
        "distinct_paths": one("select count(*) from marts.mart_attribution_paths"),
        "fct_attribution_rows": one("select count(*) from marts.fct_attribution"),
    }


def channel_index(con: duckdb.DuckDBPyConnection, model: str, conversion_type: str) -> pd.Series:
    """A channel's effect per journey it reaches, so channels of different reach compare.

    Raw credit mixes effect with reach: a channel in every journey collects credit whatever
    it does. markov: the removal effect over the share of journeys (converting or not) whose
    path holds the channel (removal effect ~ P(channel | conversion), so the ratio is
    ~ P(conversion | channel) / P(conversion), the channel's relative conversion rate).
    shapley: the channel's credit per journey reached (Shapley credit already measures the
    marginal gain, so dividing by reach leaves the lift)."""
    effects = con.execute(
        "select channel, removal_effect, journeys_with_channel from marts.mart_attribution_removal_effects "
        "where conversion_type = ?",
        [conversion_type],
    ).df().set_index("channel")
    (journeys,) = con.execute(
        "select sum(journeys) from marts.mart_attribution_paths where conversion_type = ?",
        [conversion_type],
    ).fetchall()[0]
    reach = effects["journeys_with_channel"]
    if model == "markov":
        index = effects["removal_effect"] / (reach / journeys)
    else:
        credit = con.execute(
            "select channel, sum(credit) from marts.fct_attribution "
            "where model = ? and conversion_type = ? and not is_unattributed group by channel",
            [model, conversion_type],
        ).df().set_index("channel").iloc[:, 0]
        index = credit / reach
    return index.dropna().sort_values(ascending=False)


def planted_order(truth: Path, conversion_type: str) -> pd.Series:
    """Planted log-odds per warehouse channel for a conversion type (stages summed)."""
    effects = pd.read_csv(truth / "channel_effects.csv", keep_default_na=False)
    effects = effects[(effects["channel"] != "(base)") & (effects["conversion_type"] == conversion_type)]
    return effects.groupby("warehouse_channel")["log_odds"].sum().sort_values(ascending=False)


def recovery(con: duckdb.DuckDBPyConnection, truth: Path) -> list[str]:
    """Problems found (empty = every planted effect recovered):

    1. per conversion type with planted lifts and for markov and shapley: channels whose
       planted lifts differ by at least MIN_SEPARATION come out in the planted order of
       credit per journey reached, and every such channel with a lift above every channel
       with none (Content is left out: the sequence effect rides on it);
    2. in the sequence's segment, the winning path (mart_attribution_paths_by_segment rank 1)
       contains the planted order, and the planted order converts better than the same
       channels in the other order.
    """
    problems: list[str] = []
    for conversion_type, models in CHECKS.items():
        planted = planted_order(truth, conversion_type).drop("Content", errors="ignore")
        strong = planted[planted >= MIN_SEPARATION]
        zero = planted[planted <= 0].index
        for model in models:
            index = channel_index(con, model, conversion_type)
            found = [c for c in index.index if c in strong.index]
            for a, b in zip(strong.index[:-1], strong.index[1:], strict=True):
                if strong[a] - strong[b] >= MIN_SEPARATION and index.get(a, 0) <= index.get(b, 0):
                    problems.append(f"{model}/{conversion_type}: {a} not above {b} ({found})")
            weakest = min(index.get(c, 0) for c in strong.index)
            beaten = [c for c in zero if index.get(c, 0) >= weakest]
            if beaten:
                problems.append(f"{model}/{conversion_type}: no-lift {beaten} >= a planted channel")
    sequences = pd.read_csv(truth / "sequence_effects.csv", keep_default_na=False)
    planted_row = sequences[sequences["order"] == "planted"].iloc[0]
    reversed_row = sequences[sequences["order"] == "reversed"].iloc[0]
    segment, conversion_type = planted_row["segment"], planted_row["conversion_type"]
    top = con.execute(
        "select path from marts.mart_attribution_paths_by_segment "
        "where segment = ? and conversion_type = ? and winning_rank = 1",
        [segment, conversion_type],
    ).fetchall()
    if not top or not top[0][0].startswith(planted_row["path"]):
        problems.append(f"{segment}: winning path {top} does not start with {planted_row['path']}")

    def rate(path: str) -> float:
        conv, total = con.execute(
            "select sum(conversions), sum(journeys) from marts.mart_attribution_paths_by_segment "
            "where segment = ? and conversion_type = ? and starts_with(path, ?)",
            [segment, conversion_type, path],
        ).fetchall()[0]
        if not total or total < MIN_JOURNEYS:
            problems.append(f"{segment}: only {total} journeys start with {path}")
            return 0.0
        return conv / total

    if rate(planted_row["path"]) <= rate(reversed_row["path"]):
        problems.append(f"{segment}: {planted_row['path']} does not beat {reversed_row['path']}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["small", "medium", "large"], default="small")
    parser.add_argument("--keep", type=Path, help="build here and keep it (default: temp, removed)")
    parser.add_argument("--warehouse", type=Path, help="an already built warehouse: re-time only")
    parser.add_argument("--truth", type=Path, help="truth folder of that warehouse's sample")
    args = parser.parse_args()
    if args.warehouse:
        work = Path(tempfile.mkdtemp(prefix="bench_attribution_"))
        warehouse, truth = args.warehouse, args.truth
        timings = time_attribution(warehouse, work)
    else:
        work = args.keep or Path(tempfile.mkdtemp(prefix="bench_attribution_"))
        work.mkdir(parents=True, exist_ok=True)
        warehouse, truth, timings = build(args.scale, work)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        report = {"scale": args.scale, **sizes(con), **{k: round(v, 2) for k, v in timings.items()}}
        problems = recovery(con, truth) if truth else ["no truth folder: recovery not checked"]
        for conversion_type, models in CHECKS.items():
            for model in models:
                index = channel_index(con, model, conversion_type)
                report[f"index:{model}:{conversion_type}"] = {
                    c: round(float(v), 4) for c, v in index.items()
                }
    finally:
        con.close()
    report["recovery_problems"] = problems
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if not args.keep and not args.warehouse:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
