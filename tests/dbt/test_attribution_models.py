"""The nine attribution models on hand-made journeys, each credit worked on paper.

fct_attribution is built by dbt from tiny input tables this module writes itself (the
touchpoints with their milestone flags, the conversions, the journeys' paths, and the
markov / shapley weights), so every number below is known in advance. The markov and
shapley weights themselves (the dbt Python models over mart_attribution_paths) are checked
on their own hand-worked paths, without dbt.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import subprocess
from pathlib import Path
from types import ModuleType

import duckdb
import pandas as pd
import pytest

from tests.dbt.dbt_cli import run_dbt

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "dbt_project"
MODELS = PROJECT / "models" / "marts" / "attribution"
T0 = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, MODELS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


# (conversion_id, type, converted_at, revenue) and its touches:
# (touch_id, channel, day, first, lead_creation, opportunity_creation, closed_won, last)
JOURNEYS = {
    ("opportunity:O1", "opportunity_created", 20, 1000.0): [
        ("t1", "Paid Search", 10, True, False, False, False, False),
        ("t2", "Email", 14, False, False, False, False, False),
        ("t3", "Webinar", 16, False, True, False, False, False),
        ("t4", "Direct", 19, False, False, True, False, True),
    ],
    ("lead:P2", "lead_created", 5, 0.0): [
        ("t5", "Organic Search", 4, True, True, False, False, True),
    ],
    ("lead:P3", "lead_created", 6, 0.0): [
        ("t6", "Paid Social", 6, True, True, False, False, True),
        ("t7", "Referral", 6, True, True, False, False, True),
    ],
    ("lead:P4", "lead_created", 7, 0.0): [],
    ("won:O5", "closed_won", 30, 500.0): [
        ("t8", "Display", 10, True, True, False, False, False),
        ("t9", "Paid Search", 25, False, False, True, True, True),
    ],
}
PATHS = {
    "opportunity:O1": "Paid Search > Email > Webinar > Direct",
    "lead:P2": "Organic Search",
    "lead:P3": "Paid Social > Referral",
    "won:O5": "Display > Paid Search",
}
REMOVAL_EFFECTS = {
    "opportunity_created": {"Paid Search": 0.6, "Email": 0.2, "Webinar": 0.4, "Direct": 0.3},
    "lead_created": {"Organic Search": 0.5, "Paid Social": 0.1, "Referral": 0.3},
    "closed_won": {"Display": 0.2, "Paid Search": 0.6},
}
SHAPLEY_SHARES = {
    "opportunity:O1": {"Paid Search": 0.5, "Email": 0.1, "Webinar": 0.3, "Direct": 0.1},
    "lead:P2": {"Organic Search": 1.0},
    "lead:P3": {"Paid Social": 0.2, "Referral": 0.8},
    "won:O5": {"Display": 0.0, "Paid Search": 1.0},
}


def _inputs(con: duckdb.DuckDBPyConnection) -> None:
    """The tables fct_attribution reads, filled with the journeys above."""
    conversions, touchpoints, journeys = [], [], []
    for (cid, ctype, day, revenue), touches in JOURNEYS.items():
        conversions.append(
            {
                "conversion_id": cid, "conversion_type": ctype, "converted_at": _day(day),
                "revenue": revenue,
                "person_id": cid.split(":")[1] if cid.startswith("lead") else None,
                "opportunity_id": None if cid.startswith("lead") else cid.split(":")[1],
                "account_id": None, "lead_at": _day(day), "opportunity_created_at": None,
                "closed_at": None, "is_open_opportunity": cid == "opportunity:O1",
                "segment": "Unknown",
            }
        )  # fmt: skip
        for n, (tid, channel, tday, ft, lc, oc, cw, last) in enumerate(touches, start=1):
            touchpoints.append(
                {
                    "touchpoint_id": f"{cid}|{tid}", "conversion_id": cid, "conversion_type": ctype,
                    "converted_at": _day(day), "touch_id": tid, "touch_at": _day(tday),
                    "person_id": "p", "event_type": "page_view", "channel": channel,
                    "campaign": None, "campaign_id": None, "campaign_key": None,
                    "touch_number": n, "touches_in_journey": len(touches),
                    "days_before_conversion": float(day - tday), "is_first_touch": ft,
                    "is_lead_creation_touch": lc, "is_opportunity_creation_touch": oc,
                    "is_closed_won_touch": cw, "is_last_touch": last,
                }
            )  # fmt: skip
        if touches:
            journeys.append(
                {"journey_id": cid, "conversion_type": ctype, "is_conversion": True,
                 "revenue": revenue, "segment": "Unknown", "touches": len(touches),
                 "first_touch_at": _day(touches[0][2]), "last_touch_at": _day(touches[-1][2]),
                 "path": PATHS[cid]}
            )  # fmt: skip
    effects = [
        {"removal_effect_id": f"{t}|{c}", "conversion_type": t, "channel": c, "removal_effect": e,
         "conversion_probability": 0.5, "conversion_probability_without": 0.5 * (1 - e),
         "markov_weight": 0.0, "markov_conversions": 0.0, "journeys_with_channel": 1}
        for t, channels in REMOVAL_EFFECTS.items() for c, e in channels.items()
    ]  # fmt: skip
    types = {(cid, ctype) for (cid, ctype, _, _) in JOURNEYS}
    shares = [
        {"shapley_value_id": f"{t}|{PATHS[cid]}|{c}", "conversion_type": t, "path": PATHS[cid],
         "channel": c, "shapley_value": s, "credit_share": s, "is_sampled": False}
        for cid, t in types if cid in SHAPLEY_SHARES for c, s in SHAPLEY_SHARES[cid].items()
    ]  # fmt: skip
    con.execute("create schema if not exists intermediate")
    con.execute("create schema if not exists marts")
    for schema, name, rows in [
        ("intermediate", "int_attribution_conversions", conversions),
        ("intermediate", "int_attribution_touchpoints", touchpoints),
        ("intermediate", "int_attribution_journeys", journeys),
        ("marts", "mart_attribution_removal_effects", effects),
        ("marts", "mart_attribution_shapley_values", shares),
    ]:
        frame = pd.DataFrame(rows)
        con.register("frame", frame)
        con.execute(f"create table {schema}.{name} as select * from frame")
        con.unregister("frame")
    for column in ("opportunity_id", "person_id", "account_id"):
        con.execute(
            f"alter table intermediate.int_attribution_conversions alter {column} type varchar"
        )
    for column in ("opportunity_created_at", "closed_at"):
        con.execute(
            f"alter table intermediate.int_attribution_conversions alter {column} type timestamptz"
        )
    for column in ("campaign", "campaign_id", "campaign_key"):
        con.execute(
            f"alter table intermediate.int_attribution_touchpoints alter {column} type varchar"
        )


VARS = {"as_of": "2026-10-31 23:59:59", "attribution_half_life_days": 7}


def _dbt(args: list[str], warehouse: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    return run_dbt(args, warehouse, tmp, VARS, timeout=600)


@pytest.fixture(scope="module")
def credit(tmp_path_factory: pytest.TempPathFactory):
    """credit(conversion_id, model, touch_id) from a real dbt build of fct_attribution."""
    tmp = tmp_path_factory.mktemp("attribution_models")
    db = tmp / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    try:
        _inputs(con)
    finally:
        con.close()
    seeded = _dbt(["seed", "--select", "attribution_models"], db, tmp)
    assert seeded.returncode == 0, seeded.stdout[-4000:]
    built = _dbt(["run", "--select", "fct_attribution"], db, tmp)
    assert built.returncode == 0, built.stdout[-4000:]
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "select conversion_id, model, coalesce(event_id, 'none'), credit, revenue_credit, "
            "channel from marts.fct_attribution"
        ).fetchall()
    finally:
        con.close()
    table = {(c, m, e): (cr, rc, ch) for c, m, e, cr, rc, ch in rows}

    def lookup(conversion_id: str, model: str, touch_id: str, what: str = "credit") -> float:
        value = table[(conversion_id, model, touch_id)]
        return {"credit": value[0], "revenue_credit": value[1]}[what]

    lookup.table = table  # type: ignore[attr-defined]
    return lookup


def _credits(credit, conversion_id: str, model: str, touches: list[str]) -> list[float]:
    return [credit(conversion_id, model, t) for t in touches]


O1 = ["t1", "t2", "t3", "t4"]


def test_single_touch_and_linear_models(credit) -> None:
    """Four touches t1 Paid Search (FT, day 10), t2 Email (14), t3 Webinar (LC, 16),
    t4 Direct (OC and last, 19); opportunity created on day 20, amount 1000.

    first_touch: t1 = 1.  last_touch: t4 = 1.  linear: 1/4 each, 250 of revenue each."""
    assert _credits(credit, "opportunity:O1", "first_touch", O1) == pytest.approx([1, 0, 0, 0])
    assert _credits(credit, "opportunity:O1", "last_touch", O1) == pytest.approx([0, 0, 0, 1])
    assert _credits(credit, "opportunity:O1", "linear", O1) == pytest.approx([0.25] * 4)
    assert credit("opportunity:O1", "linear", "t2", "revenue_credit") == pytest.approx(250)


def test_position_based_models(credit) -> None:
    """Same journey. u_shaped: FT t1 40 %, LC t3 40 %, the 20 % "between" goes to the
    touches without milestone up to the last weighted milestone (t3): t2 only; t4 comes
    after LC, gets 0. Raw 0.4 + 0.2 + 0.4 = 1 -> t1 .4, t2 .2, t3 .4, t4 0.
    w_shaped: FT t1 .3, LC t3 .3, OC t4 .3, between t2 .1 -> sums to 1 as is.
    full_path: FT .225, LC .225, OC .225, the opportunity is open so no CW touch: the
    present parts .225 x 3 + .1 = .775 are normalised: t1 = t3 = t4 = .225/.775 = 0.29032,
    t2 = .1/.775 = 0.12903; revenue credit of t2 = 129.03."""
    u = _credits(credit, "opportunity:O1", "u_shaped", O1)
    assert u == pytest.approx([0.4, 0.2, 0.4, 0.0])
    w = _credits(credit, "opportunity:O1", "w_shaped", O1)
    assert w == pytest.approx([0.3, 0.1, 0.3, 0.3])
    full = _credits(credit, "opportunity:O1", "full_path", O1)
    assert full == pytest.approx([0.225 / 0.775, 0.1 / 0.775, 0.225 / 0.775, 0.225 / 0.775])
    assert credit("opportunity:O1", "full_path", "t2", "revenue_credit") == pytest.approx(
        1000 * 0.1 / 0.775
    )


def test_time_decay(credit) -> None:
    """Half-life 7 days; t1..t4 are 10, 6, 4, 1 days before the conversion: weights
    2^(-10/7) = 0.37150, 2^(-6/7) = 0.55204, 2^(-4/7) = 0.67295, 2^(-1/7) = 0.90572, sum
    2.50221 -> credits 0.14847, 0.22062, 0.26894, 0.36197."""
    decay = _credits(credit, "opportunity:O1", "time_decay", O1)
    assert decay == pytest.approx([0.14847, 0.22062, 0.26894, 0.36197], abs=1e-5)


def test_markov_and_shapley_credit_follow_their_weights(credit) -> None:
    """markov: removal effects of the path's channels Paid Search .6, Email .2, Webinar .4,
    Direct .3, sum 1.5 -> .4, .13333, .26667, .2. shapley: the path's credit shares .5, .1,
    .3, .1 as they are. Journey t8 Display, t9 Paid Search (won): markov .2 / .8 = .25 and
    .75; shapley Display 0 (a floored Shapley value keeps its touch at 0), Paid Search 1."""
    markov = _credits(credit, "opportunity:O1", "markov", O1)
    assert markov == pytest.approx([0.4, 0.2 / 1.5, 0.4 / 1.5, 0.2])
    shapley = _credits(credit, "opportunity:O1", "shapley", O1)
    assert shapley == pytest.approx([0.5, 0.1, 0.3, 0.1])
    assert _credits(credit, "won:O5", "markov", ["t8", "t9"]) == pytest.approx([0.25, 0.75])
    assert _credits(credit, "won:O5", "shapley", ["t8", "t9"]) == pytest.approx([0.0, 1.0])


def test_edge_cases(credit) -> None:
    """One touch: t5 takes 100 % under every model.
    Two touches at the same instant (t6, t7 both FT, LC and last): they share every
    milestone: u_shaped raw .2 + .2 each -> 1/2 each; first_touch 1/2 each; markov by
    removal effect Paid Social .1, Referral .3 -> .25 / .75.
    Several milestones on one touch (won deal: t8 FT + LC, t9 OC + CW + last):
    full_path t8 .225 + .225 = .45, t9 .45 -> 1/2 each; w_shaped t8 .6, t9 .3 -> 2/3, 1/3;
    revenue credit of t9 under w_shaped 500/3.
    No touch (lead:P4): one Unattributed row per model with credit 1."""
    for model in ("first_touch", "last_touch", "linear", "time_decay", "u_shaped", "w_shaped",
                  "full_path", "markov", "shapley"):  # fmt: skip
        assert credit("lead:P2", model, "t5") == pytest.approx(1.0)
        assert credit("lead:P4", model, "none") == pytest.approx(1.0)
        assert credit.table[("lead:P4", model, "none")][2] == "Unattributed"
    assert _credits(credit, "lead:P3", "u_shaped", ["t6", "t7"]) == pytest.approx([0.5, 0.5])
    assert _credits(credit, "lead:P3", "first_touch", ["t6", "t7"]) == pytest.approx([0.5, 0.5])
    assert _credits(credit, "lead:P3", "markov", ["t6", "t7"]) == pytest.approx([0.25, 0.75])
    assert _credits(credit, "won:O5", "full_path", ["t8", "t9"]) == pytest.approx([0.5, 0.5])
    assert _credits(credit, "won:O5", "w_shaped", ["t8", "t9"]) == pytest.approx([2 / 3, 1 / 3])
    assert credit("won:O5", "w_shaped", "t9", "revenue_credit") == pytest.approx(500 / 3)


def test_every_conversion_and_model_sums_to_one(credit) -> None:
    """The invariant on the hand-made set: per conversion and model the credits sum to 1
    and the revenue credits to the revenue; 5 conversions x 9 models."""
    sums: dict[tuple[str, str], list[float]] = {}
    for (cid, model, _), (cr, rc, _) in credit.table.items():
        total = sums.setdefault((cid, model), [0.0, 0.0])
        total[0] += cr
        total[1] += rc
    assert len(sums) == 5 * 9
    revenue = {cid: rev for (cid, _, _, rev) in JOURNEYS}
    for (cid, _), (cr, rc) in sums.items():
        assert cr == pytest.approx(1.0, abs=1e-9)
        assert rc == pytest.approx(revenue[cid], abs=1e-9)


def test_markov_removal_effects_hand_worked() -> None:
    """Paths: "A > B" 1 conversion; "A" 1 null; "B" 1 conversion, 1 null.
    Transitions: start->A 2, start->B 2; A->B 1, A->null 1; B->conv 2, B->null 1.
    P(conv | B) = 2/3, P(conv | A) = 1/2 x 2/3 = 1/3, P(conv) = 1/2 (1/3) + 1/2 (2/3) = 1/2.
    Without A: start's half into A is lost: P = 1/2 x 2/3 = 1/3, removal effect 1 - (1/3)/(1/2)
    = 1/3. Without B nothing converts: removal effect 1. Weights 1/4, 3/4; of the 2
    conversions A gets 0.5, B 1.5 (ChannelAttribution's total_conversions). Reach: A in 2
    journeys, B in 3."""
    module = _load("mart_attribution_removal_effects")
    paths = pd.DataFrame(
        {
            "conversion_type": "lead_created",
            "path": ["A > B", "A", "B"],
            "conversions": [1, 0, 1],
            "non_conversions": [0, 1, 1],
        }
    )
    table = module.removal_effect_table(paths).set_index("channel")
    assert table.loc["A", "conversion_probability"] == pytest.approx(0.5)
    assert table.loc["A", "removal_effect"] == pytest.approx(1 / 3)
    assert table.loc["B", "removal_effect"] == pytest.approx(1.0)
    assert table["markov_weight"].tolist() == pytest.approx([0.25, 0.75])
    assert table["markov_conversions"].tolist() == pytest.approx([0.5, 1.5])
    assert table["journeys_with_channel"].tolist() == [2, 3]


def test_markov_ignores_consecutive_repeats() -> None:
    """A self-loop only delays absorption: "A > A > B" and "A > B" give the same removal
    effects, which is why mart_attribution_paths may collapse repeats."""
    module = _load("mart_attribution_removal_effects")
    base = {"conversion_type": "x", "conversions": [2, 1], "non_conversions": [1, 3]}
    collapsed = module.removal_effect_table(pd.DataFrame({**base, "path": ["A > B", "B > A"]}))
    repeated = module.removal_effect_table(
        pd.DataFrame({**base, "path": ["A > A > B", "B > B > A > A"]})
    )
    assert collapsed["removal_effect"].tolist() == pytest.approx(
        repeated["removal_effect"].tolist()
    )


def test_shapley_hand_worked_and_sampled_agrees() -> None:
    """A coalition is worth the conversion rate of the journeys whose channels all lie in
    it. Paths "A" 1 of 4 converted, "B" 1 of 2, "A > B" 3 of 4, "B > A" 1 of 2, "C" 0 of 2.
    v(A) = 1/4 (only "A"), v(B) = 1/2 (only "B"), v(AB) = (1 + 1 + 3 + 1) / (4 + 2 + 4 + 2)
    = 1/2 ("C" is not inside {A, B}).
    phi_A = 1/2 (v(A) - 0) + 1/2 (v(AB) - v(B)) = 1/8 + 0 = 1/8;
    phi_B = 1/2 (v(B) - 0) + 1/2 (v(AB) - v(A)) = 1/4 + 1/8 = 3/8; they sum to v(AB) = 1/2.
    Shares 1/4 and 3/4 for both orders of the pair; a one-channel path takes 1; "C" never
    converted, so it has no row. Sampling 20000 random orders (fixed seed) lands within
    0.01 of the exact values."""
    module = _load("mart_attribution_shapley_values")
    paths = pd.DataFrame(
        {
            "conversion_type": "opportunity_created",
            "path": ["A", "B", "A > B", "B > A", "C"],
            "conversions": [1, 1, 3, 1, 0],
            "non_conversions": [3, 1, 1, 1, 2],
        }
    )
    exact = module.shapley_table(paths).set_index(["path", "channel"])
    assert exact.loc[("A > B", "A"), "shapley_value"] == pytest.approx(1 / 8)
    assert exact.loc[("A > B", "B"), "shapley_value"] == pytest.approx(3 / 8)
    assert exact.loc[("B > A", "A"), "credit_share"] == pytest.approx(1 / 4)
    assert exact.loc[("A", "A"), "credit_share"] == pytest.approx(1.0)
    assert not exact["is_sampled"].any()
    assert ("C", "C") not in exact.index
    sampled = module.shapley_table(paths, max_exact=1, samples=20000, seed=7)
    sampled = sampled.set_index(["path", "channel"])
    assert sampled["is_sampled"].all()
    assert sampled.loc[("A > B", "A"), "shapley_value"] == pytest.approx(1 / 8, abs=0.01)
    assert sampled.loc[("A > B", "B"), "shapley_value"] == pytest.approx(3 / 8, abs=0.01)


def test_shapley_three_channels_floor_negative_values() -> None:
    """As above without "C", plus "A > C > B" 1 of 6 converted. v(C) = 0 (no journey uses C
    alone), v(AC) = v(A) = 1/4, v(BC) = v(B) = 1/2, v(AB) = 1/2,
    v(ABC) = (6 + 1) / (12 + 6) = 7/18. Over the 6 orders of {A, B, C}:
    phi_C = 1/3 (v(C) - 0) + 1/6 (v(AC) - v(A)) + 1/6 (v(BC) - v(B)) + 1/3 (v(ABC) - v(AB))
          = 0 + 0 + 0 + 1/3 (7/18 - 9/18) = -1/27: floored to 0, so C's touches get nothing
    and A and B share the path in proportion to their (positive) values."""
    module = _load("mart_attribution_shapley_values")
    paths = pd.DataFrame(
        {
            "conversion_type": "x",
            "path": ["A", "B", "A > B", "B > A", "A > C > B"],
            "conversions": [1, 1, 3, 1, 1],
            "non_conversions": [3, 1, 1, 1, 5],
        }
    )
    table = module.shapley_table(paths).set_index(["path", "channel"])
    assert table.loc[("A > C > B", "C"), "shapley_value"] == pytest.approx(-1 / 27)
    assert table.loc[("A > C > B", "C"), "credit_share"] == 0.0
    shares = table.loc["A > C > B", "credit_share"]
    assert shares.sum() == pytest.approx(1.0)
    assert (shares > 0).sum() == 2
