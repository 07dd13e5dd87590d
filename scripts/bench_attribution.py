"""Time the attribution models and check they recover the generator's planted effects.

    python scripts/bench_attribution.py --scale small|medium|large [--keep DIR]
    python scripts/bench_attribution.py --scale large --from-world   # attribution inputs only
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

--from-world skips the files, the loaders and everything upstream of attribution: it
draws the generator's world (same seed, same planted effects) and writes the attribution
models' inputs straight from it (one event per web session, webinar, lead creation, sales
touch and opportunity milestone; true people and accounts, so no identity error), then
times and checks the attribution models on them. It is how `large` (1M+ journeys) is
measured on a shared 2-core machine where the full pipeline's upstream takes too long.
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
# Which models must recover the planted channel order of which conversion type. A
# first-order Markov chain is memoryless: an opportunity or a win is reached through the
# sales touches (Sales Outreach) that sit between the marketing touches and the
# conversion, so a marketing channel's lift on those stages does not change its own
# transitions and cannot show in its removal effect; it is judged where the touch itself
# leads to the conversion (lead creation). Its figures for the other stages are printed.
CHECKS = {
    "lead_created": ("markov", "shapley"),
    "opportunity_created": ("shapley",),
    "closed_won": ("shapley",),
}
SHOWN = ("markov", "shapley")


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


def build_from_world(scale: str, work: Path) -> tuple[Path, Path, dict[str, float]]:
    """The attribution models' inputs drawn from the world itself (see the module doc)."""
    import numpy as np

    from connectors.generate import REFERENCE_END_DATE, ga4, truth
    from connectors.generate.world import WAREHOUSE_CHANNEL, build_world
    from connectors.generate.writers import write_csv

    timings: dict[str, float] = {}
    started = time.perf_counter()
    world = build_world(scale, 42, REFERENCE_END_DATE)
    sessions = ga4.build_sessions(world, np.random.default_rng([42, 2])).sessions
    timings["world_s"] = time.perf_counter() - started
    started = time.perf_counter()
    truth_dir = work / "truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    write_csv(truth_dir / "channel_effects.csv", truth.channel_effects())
    write_csv(truth_dir / "sequence_effects.csv", truth.sequence_effects())
    people, companies = world.people, world.companies
    ts = lambda v: pd.to_datetime(np.asarray(v, dtype="int64"), unit="s", utc=True)  # noqa: E731
    pid = np.where(sessions["person_idx"] >= 0, "P" + sessions["person_idx"].astype(str), None)
    web = pd.DataFrame(
        {
            "event_id": "s" + sessions["session_idx"].astype(str),
            "occurred_at": ts(sessions["ts"]),
            "event_type": np.where(sessions["platform"] != "", "ad_click", "page_view"),
            "person_id": pid,
            "anonymous_id": np.where(pid == None, "c" + sessions["cookie"].astype(str), None),  # noqa: E711
            "channel": sessions["channel"].map(WAREHOUSE_CHANNEL),
            "campaign": sessions["utm_campaign"].replace("", None),
        }
    )
    webinars = world.touches[world.touches["channel"] == "webinar"]
    parts = [web]
    parts.append(
        pd.DataFrame(
            {
                "event_id": "w" + webinars["touch_idx"].astype(str),
                "occurred_at": ts(webinars["ts"]),
                "event_type": "webinar_attendance",
                "person_id": "P" + webinars["person_idx"].astype(str),
                "channel": "Webinar",
            }
        )
    )
    for column, event_type, channel in [
        ("lead_at", "lead_created", "Other"),
        ("first_task_at", "inside_sales_call", "Sales Outreach"),
        ("sal_at", "sales_email", "Sales Outreach"),
    ]:
        hit = people[(people[column] > 0) & ~people["sales_only"]]
        parts.append(
            pd.DataFrame(
                {
                    "event_id": column[0] + hit["person_idx"].astype(str),
                    "occurred_at": ts(hit[column]),
                    "event_type": event_type,
                    "person_id": "P" + hit["person_idx"].astype(str),
                    "channel": channel,
                }
            )
        )
    opp = people[people["converted_at"] > 0]
    closed = (opp["close_at"] > 0) & (opp["close_at"] <= world.t1)
    meet = (
        opp["converted_at"]
        + (np.where(closed, opp["close_at"], world.t1) - opp["converted_at"]) // 2
    )
    parts.append(
        pd.DataFrame(
            {
                "event_id": "m" + opp["person_idx"].astype(str),
                "occurred_at": ts(meet),
                "event_type": "meeting",
                "person_id": "P" + opp["person_idx"].astype(str),
                "channel": "Sales Outreach",
            }
        )
    )
    events = pd.concat(parts, ignore_index=True)
    account = companies.set_index("company_idx")["true_account_id"]
    person_account = account.reindex(people["company_idx"]).to_numpy()
    events["account_id"] = (
        pd.Series(person_account, index="P" + people["person_idx"].astype(str))
        .reindex(events["person_id"])
        .to_numpy()
    )
    events["campaign_id"] = None
    events["click_id"] = None
    events["click_id_type"] = None
    rng = np.random.default_rng(7)
    opportunities = pd.DataFrame(
        {
            "opportunity_id": "O" + opp["person_idx"].astype(str),
            "account_id": account.reindex(opp["company_idx"]).to_numpy(),
            "created_at": ts(opp["converted_at"]),
            "closed_at": ts(np.where(closed, opp["close_at"], 0)).where(closed.to_numpy()),
            "amount": np.round(np.exp(rng.normal(np.log(1_800_000), 0.5, len(opp))), -4),
            "is_closed": closed.to_numpy(),
            "is_won": (opp["is_won"] & closed).to_numpy(),
            "opportunity_type": "New Business",
        }
    )
    tables = {
        "marts.fct_events": events,
        "marts.dim_people": pd.DataFrame(
            {"person_id": "P" + people["person_idx"].astype(str), "account_id": person_account}
        ),
        "marts.dim_accounts": pd.DataFrame(
            {"account_id": companies["true_account_id"], "employee_count": companies["employees"]}
        ),
        "marts.fct_opportunities": opportunities,
        "intermediate.int_person_opportunities": pd.DataFrame(
            {
                "person_id": "P" + opp["person_idx"].astype(str),
                "opportunity_id": opportunities["opportunity_id"],
            }
        ),
    }
    warehouse = work / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    try:
        for schema in ("marts", "intermediate", "staging"):
            con.execute(f"create schema if not exists {schema}")
        for name, frame in tables.items():
            con.register("frame", frame)
            con.execute(f"create or replace table {name} as select * from frame")
            con.unregister("frame")
        for column in ("campaign_id", "click_id", "click_id_type"):
            con.execute(f"alter table marts.fct_events alter {column} type varchar")
        con.execute(
            "create or replace table staging.stg_google_ads__clicks (gclid varchar, "
            "click_date date, campaign_id varchar, ad_group_id varchar)"
        )
        con.execute("alter table marts.fct_events alter anonymous_id type varchar")
        # no ad or Salesforce campaign files in this mode: empty staging relations
        con.execute("""create or replace table staging.stg_google_ads__campaign_stats (
            spend_date date,
            ad_account_id varchar, currency varchar, campaign_id varchar, campaign_name varchar,
            advertising_channel_type varchar, impressions bigint, clicks bigint, spend double)""")
        con.execute("""create or replace table staging.stg_meta_ads__insights (spend_date date,
            ad_account_id varchar, currency varchar, campaign_id varchar, campaign_name varchar,
            impressions bigint, clicks bigint, spend double)""")
        con.execute("""create or replace table staging.stg_linkedin_ads__analytics (spend_date date,
            campaign_id varchar, currency varchar, impressions bigint, clicks bigint,
            spend double)""")
        con.execute("""create or replace table staging.stg_salesforce__campaigns (
            campaign_id varchar,
            campaign_name varchar, campaign_type varchar, start_date date, end_date date,
            actual_cost double, currency_iso_code varchar, loaded_at timestamptz)""")
    finally:
        con.close()
    dbt(["seed"], warehouse, work)
    timings["inputs_s"] = time.perf_counter() - started
    timings.update(time_attribution(warehouse, work))
    return warehouse, truth_dir, timings


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
    effects = (
        con.execute(
            "select channel, removal_effect, journeys_with_channel "
            "from marts.mart_attribution_removal_effects "
            "where conversion_type = ?",
            [conversion_type],
        )
        .df()
        .set_index("channel")
    )
    (journeys,) = con.execute(
        "select sum(journeys) from marts.mart_attribution_paths where conversion_type = ?",
        [conversion_type],
    ).fetchall()[0]
    reach = effects["journeys_with_channel"]
    if model == "markov":
        index = effects["removal_effect"] / (reach / journeys)
    else:
        credit = (
            con.execute(
                "select channel, sum(credit) from marts.fct_attribution "
                "where model = ? and conversion_type = ? and not is_unattributed group by channel",
                [model, conversion_type],
            )
            .df()
            .set_index("channel")
            .iloc[:, 0]
        )
        index = credit / reach
    # a channel seen in a handful of journeys says nothing either way
    index = index[reach.reindex(index.index) >= MIN_JOURNEYS]
    return index.dropna().sort_values(ascending=False)


def planted_order(truth: Path, conversion_type: str) -> pd.Series:
    """Planted log-odds per warehouse channel for a conversion type (stages summed)."""
    effects = pd.read_csv(truth / "channel_effects.csv", keep_default_na=False)
    effects = effects[
        (effects["channel"] != "(base)") & (effects["conversion_type"] == conversion_type)
    ]
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
    parser.add_argument("--from-world", action="store_true", help="inputs from the world, no files")
    args = parser.parse_args()
    if args.warehouse:
        work = Path(tempfile.mkdtemp(prefix="bench_attribution_"))
        warehouse, truth = args.warehouse, args.truth
        timings = time_attribution(warehouse, work)
    else:
        work = args.keep or Path(tempfile.mkdtemp(prefix="bench_attribution_"))
        work.mkdir(parents=True, exist_ok=True)
        builder = build_from_world if args.from_world else build
        warehouse, truth, timings = builder(args.scale, work)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        mode = "from-world" if args.from_world else ("rebuilt" if args.warehouse else "pipeline")
        scale = "(given warehouse)" if args.warehouse else args.scale
        report = {
            "scale": scale,
            "mode": mode,
            **sizes(con),
            **{k: round(v, 2) for k, v in timings.items()},
        }
        problems = recovery(con, truth) if truth else ["no truth folder: recovery not checked"]
        for conversion_type in CHECKS:
            for model in SHOWN:
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
