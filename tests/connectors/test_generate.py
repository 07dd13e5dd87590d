"""The sample generator: layout, vendor envelopes, cross-system agreement, truth, determinism.

One small world is generated per module (and a second one for the determinism check) into
pytest's tmp folders; every assertion reads the files as a loader would.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import unicodedata
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from connectors.generate import REFERENCE_END_DATE, generate

SF_OBJECTS = [
    "User",
    "Campaign",
    "Account",
    "Contact",
    "Lead",
    "LeadHistory",
    "Opportunity",
    "OpportunityHistory",
    "OpportunityContactRole",
    "Task",
    "Event",
    "CampaignMember",
]
SF_PREFIX = {
    "Account": "001",
    "Contact": "003",
    "Lead": "00Q",
    "Opportunity": "006",
    "Task": "00T",
    "Event": "00U",
    "Campaign": "701",
    "CampaignMember": "00v",
    "User": "005",
}
SF_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000$")


@pytest.fixture(scope="module")
def world(small_world: dict) -> dict:
    return small_world


def _marketo_csv(path: Path) -> pd.DataFrame:
    """A Marketo bulk-export CSV as text, its literal ``null`` read as an empty field."""
    return pd.read_csv(path, dtype=str, keep_default_na=False).replace("null", "")


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_byte_identical_files(world: dict, tmp_path: Path) -> None:
    """Generated again into a folder that already holds the same world (plus a stale file of
    another world): every file has the same bytes and keeps its mtime, untouched as a vendor
    that re-sends nothing would leave it; the stale file is gone."""
    out = tmp_path / "extracts"
    shutil.copytree(world["extracts"], out)  # copy2: mtimes kept
    stale = out / "ga4" / "events_19990101.jsonl"
    stale.write_text("{}\n", encoding="utf-8")
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p != stale}
    generate(out, scale="small", seed=42, end_date=REFERENCE_END_DATE)
    first = _digests(world["extracts"])
    second = _digests(out)
    assert len(first) > 1000
    assert first == second
    assert not stale.exists()
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes
    assert _digests(world["truth"]) == _digests(tmp_path / "truth")


def test_files_follow_the_documented_layout(world: dict) -> None:
    ex = world["extracts"]
    for obj in SF_OBJECTS:
        pages = sorted((ex / "salesforce" / obj).glob("*.json"))
        assert pages, obj
        assert all(re.fullmatch(r"\d{8}T\d{6}Z-\d{4}\.json", p.name) for p in pages), obj
    patterns = {
        "marketo/leads": r"\d{4}-\d{2}-\d{2}\.csv",
        "marketo/activities": r"\d{4}-\d{2}-\d{2}\.csv",
        "ga4": r"events_(intraday_)?\d{8}\.jsonl",
        "ads/meta_ads": r"insights_\d{4}-\d{2}-\d{2}\.json",
        "ads/linkedin_ads": r"analytics_\d{4}-\d{2}-\d{2}\.json",
        "ads/google_ads": r"(campaign|click_view)_\d{4}-\d{2}-\d{2}\.csv",
    }
    for folder, pattern in patterns.items():
        names = [p.name for p in (ex / folder).iterdir()]
        assert len(names) > 300, folder  # spread over many days
        assert all(re.fullmatch(pattern, n) for n in names), folder
    # one file per day, 2024-11-01..2026-10-31; the last day, not finished when the files were
    # pulled, is the streaming export's intraday file
    ga4 = sorted(p.name for p in (ex / "ga4").iterdir())
    assert len(ga4) == 730
    assert [n for n in ga4 if "intraday" in n] == ["events_intraday_20261031.jsonl"]
    c = world["counts"]
    assert 50_000 <= c["ga4__events"]["rows"] <= 120_000
    assert c["salesforce__lead"]["rows"] > 1000
    for name in [
        "identities.csv",
        "people.csv",
        "accounts.csv",
        "channel_effects.csv",
        "malformed_rows.csv",
    ]:
        assert (world["truth"] / name).stat().st_size > 0


def test_salesforce_pages_have_the_query_envelope(world: dict) -> None:
    ex = world["extracts"] / "salesforce"
    for obj in SF_OBJECTS:
        by_stamp: dict[str, list[dict]] = {}
        for page in sorted((ex / obj).glob("*.json")):
            by_stamp.setdefault(page.name.split("-")[0], []).append(json.loads(page.read_text()))
        for stamp, pages in by_stamp.items():
            total = sum(len(p["records"]) for p in pages)
            assert all(p["totalSize"] == total for p in pages), (obj, stamp)
            assert [p["done"] for p in pages] == [False] * (len(pages) - 1) + [True]
            assert all("nextRecordsUrl" in p for p in pages[:-1])
            for p in pages:
                for rec in p["records"]:
                    assert rec["attributes"]["type"] == obj
                    if rec["Id"] is not None and obj in SF_PREFIX:
                        assert len(rec["Id"]) == 18 and rec["Id"].startswith(SF_PREFIX[obj])
                    created = rec.get("CreatedDate")
                    if created is not None and not created.startswith("2025-02-30"):
                        assert SF_DATETIME.match(created), (obj, created)
    lead_pages = [json.loads(p.read_text()) for p in sorted((ex / "Lead").glob("*.json"))]
    leads = [r for p in lead_pages for r in p["records"]]
    assert any(r["IsDeleted"] for r in leads)  # deletions arrive in a later page
    ids = pd.Series([r["Id"] for r in leads]).dropna()
    assert ids.duplicated().sum() > 500  # later versions of the same lead
    statuses = {r["Status"] for r in leads}
    assert {
        "Open",
        "MQL",
        "Working",
        "SAL",
        "Qualified",
        "Converted",
        "Recycled",
        "Disqualified",
    } <= statuses
    opps = [
        r
        for p in sorted((ex / "Opportunity").glob("*.json"))
        for r in json.loads(p.read_text())["records"]
    ]
    assert {"New Business", "Renewal", "Expansion"} <= {o["Type"] for o in opps}
    assert {"Closed Won", "Closed Lost"} <= {o["StageName"] for o in opps}


def _ga4_events(folder: Path) -> list[dict]:
    return [
        json.loads(line)
        for p in sorted(folder.glob("events_*.jsonl"))
        for line in p.read_text().splitlines()
    ]


def test_ga4_user_id_is_sha256_of_the_true_email(world: dict) -> None:
    people = pd.read_csv(world["truth"] / "people.csv", dtype=str, keep_default_na=False)
    ident = pd.read_csv(world["truth"] / "identities.csv", dtype=str, keep_default_na=False)
    events = _ga4_events(world["extracts"] / "ga4")
    by_user = {}
    for e in events:
        if e.get("user_id") and e.get("user_pseudo_id"):  # skip the rows broken on purpose
            by_user.setdefault(e["user_id"], set()).add(e["user_pseudo_id"])
    hashed = {
        hashlib.sha256(m.encode()).hexdigest(): pid
        for m, pid in zip(people["email_normalized"], people["true_person_id"], strict=True)
    }
    matched = [u for u in by_user if u in hashed]
    assert len(matched) == len(by_user) > 1000  # every user_id is a known person's e-mail hash
    cookie_person = dict(
        zip(
            ident.loc[ident["source_system"] == "ga4_cookie", "source_id"],
            ident.loc[ident["source_system"] == "ga4_cookie", "true_person_id"],
            strict=True,
        )
    )
    for user in matched[:200]:
        for cookie in by_user[user]:
            assert cookie_person[cookie] == hashed[user]
    # identity stitching is possible: the cookie browsed anonymously before identifying
    first_seen: dict[str, tuple[int, bool]] = {}
    for e in events:
        cookie = e.get("user_pseudo_id")
        if cookie and cookie not in first_seen and e["event_timestamp"].isdigit():
            first_seen[cookie] = (int(e["event_timestamp"]), e.get("user_id") is None)
    anon_first = [c for u in matched for c in by_user[u] if first_seen[c][1]]
    assert len(anon_first) > 0.5 * len(matched)


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().lower()


def test_spellings_differ_across_systems_for_the_same_person(world: dict) -> None:
    ex = world["extracts"]
    mk = pd.concat([_marketo_csv(p) for p in sorted((ex / "marketo" / "leads").glob("*.csv"))])
    mk = mk[mk["sfdcLeadId"] != ""].drop_duplicates("sfdcLeadId", keep="last")
    sf = {}
    for p in sorted((ex / "salesforce" / "Lead").glob("*.json")):
        for r in json.loads(p.read_text())["records"]:
            sf[r["Id"]] = r
    pairs = [(m, sf[m["sfdcLeadId"]]) for _, m in mk.iterrows() if m["sfdcLeadId"] in sf]
    assert len(pairs) > 500
    email_diff = sum(
        m["email"] != s["Email"] and _norm(m["email"]) == _norm(s["Email"]) for m, s in pairs
    )
    company_diff = sum(bool(s["Company"]) and m["company"] != s["Company"] for m, s in pairs)
    phone_diff = sum(
        bool(m["phone"])
        and m["phone"] != s["Phone"]
        and re.sub(r"\D", "", _norm(m["phone"]))[-8:] == re.sub(r"\D", "", _norm(s["Phone"]))[-8:]
        for m, s in pairs
    )
    assert email_diff > 50 and company_diff > 200 and phone_diff > 200
    variants = " ".join(mk["company"])
    for form in ["株式会社", "(株)", "㈱", "（株）"]:
        assert form in variants
    assert re.search(r"[Ａ-Ｚａ-ｚ０-９]", variants)  # full-width letters/digits
    assert mk["email"].str.contains("@gmail.com|@yahoo.co.jp", regex=True).any()


def test_malformed_rows_are_present_and_listed(world: dict) -> None:
    ex = world["extracts"]
    bad = pd.read_csv(world["truth"] / "malformed_rows.csv", dtype=str, keep_default_na=False)
    assert {"salesforce", "marketo", "ga4", "google_ads"} <= set(bad["source"])
    assert {"non-numeric number", "unparseable datetime", "missing required id"} <= set(
        bad["reason"]
    )
    total_rows = sum(v["rows"] for k, v in world["counts"].items() if k != "truth")
    assert 0.0005 < len(bad) / total_rows < 0.003  # about 0.1%
    for b in bad.itertuples(index=False):
        path = ex / b.file
        row = int(b.row)
        if path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as fh:
                rec = list(csv.DictReader(fh))[row - 1]
            got = rec[b.field]
            if b.source == "marketo" and got == "null":  # Marketo's empty field
                got = ""
        elif path.suffix == ".jsonl":  # GA4 leaves a null field out of the line
            got = json.loads(path.read_text().splitlines()[row - 1]).get(b.field)
        else:
            got = json.loads(path.read_text())["records"][row - 1][b.field]
        assert (got or "") == b.value, (b.file, row, b.field)


def test_truth_covers_every_source_identity(world: dict) -> None:
    ex = world["extracts"]
    ident = pd.read_csv(world["truth"] / "identities.csv", dtype=str, keep_default_na=False)
    known = set(zip(ident["source_system"], ident["source_id"], strict=True))
    mk_ids = {
        i for p in (ex / "marketo" / "leads").glob("*.csv") for i in _marketo_csv(p)["id"] if i
    }
    assert all(("marketo_lead", i) in known for i in mk_ids)
    for obj, system in [
        ("Lead", "salesforce_lead"),
        ("Contact", "salesforce_contact"),
        ("Account", "salesforce_account"),
    ]:
        ids = {
            r["Id"]
            for p in (ex / "salesforce" / obj).glob("*.json")
            for r in json.loads(p.read_text())["records"]
            if r["Id"]
        }
        assert ids and all((system, i) in known for i in ids), obj
    # duplicates: some people have two Marketo leads, some a Lead and a Contact
    people = ident[ident["true_person_id"] != ""]
    per = people.groupby(["true_person_id", "source_system"]).size().unstack(fill_value=0)
    assert (per["marketo_lead"] >= 2).sum() > 20
    assert ((per["salesforce_lead"] >= 1) & (per["salesforce_contact"] >= 1)).sum() > 100
    # same company, two departments: two Salesforce accounts for one true account
    accts = ident[ident["source_system"] == "salesforce_account"]
    assert accts["true_account_id"].duplicated().any()


def test_known_channel_effects_show_in_the_outcomes(world: dict) -> None:
    effects = pd.read_csv(world["truth"] / "channel_effects.csv")
    eff = effects[effects["stage"] == "opportunity"].set_index("channel")["log_odds"]
    assert eff["paid_search"] > 0.8 > eff["display"]
    people = pd.read_csv(world["truth"] / "people.csv", keep_default_na=False)
    leads = people[people["lead_at"] != ""]
    opp = leads["converted_at"] != ""
    rate_search = opp[leads["touched_paid_search"]].mean()
    rate_display_only = opp[
        leads["touched_display"] & ~leads["touched_paid_search"] & ~leads["touched_webinar"]
    ].mean()
    assert rate_search > 1.5 * rate_display_only


def test_ads_currencies_and_click_ids_agree_with_web(world: dict) -> None:
    ex = world["extracts"] / "ads"
    g = pd.concat([pd.read_csv(p, dtype=str) for p in sorted(ex.glob("google_ads/campaign_*"))])
    assert set(g["customer.currency_code"]) == {"JPY"}
    meta = [
        d for p in sorted(ex.glob("meta_ads/*.json")) for d in json.loads(p.read_text())["data"]
    ]
    assert {d["account_currency"] for d in meta} == {"USD", "JPY"}
    assert all(isinstance(d["spend"], str) and isinstance(d["clicks"], str) for d in meta)
    li = [
        e
        for p in sorted(ex.glob("linkedin_ads/*.json"))
        for e in json.loads(p.read_text())["elements"]
    ]
    assert all(e["pivotValues"][0].startswith("urn:li:sponsoredCampaign:") for e in li)
    clicks = set()
    for p in sorted(ex.glob("google_ads/click_view_*")):
        clicks |= set(pd.read_csv(p, dtype=str)["click_view.gclid"])
    ga4_text = "".join(p.read_text() for p in sorted((world["extracts"] / "ga4").glob("*.jsonl")))
    web_gclids = set(re.findall(r"gclid=([\w-]+)", ga4_text))
    assert web_gclids and web_gclids <= clicks
    assert "fbclid=" in ga4_text and "li_fat_id=" in ga4_text and "utm_source=" in ga4_text


def test_files_are_shaped_as_the_vendors_write_them(world: dict) -> None:
    """Marketo's bulk export writes ``null`` for an empty field and ``attributes`` as a JSON
    object; GA4's export leaves null fields out of a line; Meta exports at ad-set level."""
    ex = world["extracts"]
    day = ex / "marketo" / "activities" / "2026-10-30.csv"
    text = day.read_text(encoding="utf-8")
    assert ",null," in text and ",," not in text
    with day.open(encoding="utf-8", newline="") as fh:
        acts = list(csv.DictReader(fh))
    assert all(isinstance(json.loads(a["attributes"]), dict) for a in acts)
    visits = [json.loads(a["attributes"]) for a in acts if a["activityTypeId"] == "1"]
    assert visits and all(v["Webpage URL"].startswith("https://") for v in visits)
    lines = (ex / "ga4" / "events_20261030.jsonl").read_text().splitlines()
    assert lines and all(":null" not in line for line in lines)
    assert any("user_id" not in json.loads(line) for line in lines)
    meta = [
        d for p in sorted((ex / "ads" / "meta_ads").glob("*.json"))
        for d in json.loads(p.read_text())["data"]
    ]  # fmt: skip
    keys = [(d["date_start"], d["campaign_id"], d["adset_id"]) for d in meta]
    assert len(keys) == len(set(keys))
    per_campaign_day = Counter((d["date_start"], d["campaign_id"]) for d in meta)
    assert set(per_campaign_day.values()) <= {2, 3} and 3 in per_campaign_day.values()
    assert any("actions" not in d for d in meta)  # the API omits an empty actions field


def test_the_world_ends_on_its_end_date(tmp_path: Path) -> None:
    """A world ending 2026-11-30 has its last GA4 day, Marketo day and ad day on that date,
    its final Salesforce extract at the next midnight (the as-of instant + 1 s), and nothing
    dated later; its first GA4 day is 729 days earlier (two years of whole days). The last
    GA4 day is still in its streaming file (``events_intraday_20261130``: the daily table is
    not ready when the world's extract runs), the day before is a daily file."""
    import datetime as dt

    ex = tmp_path / "extracts"
    generate(ex, scale="small", seed=42, end_date=dt.date(2026, 11, 30))
    ga4 = sorted(p.name.replace("intraday_", "") for p in (ex / "ga4").glob("events_*.jsonl"))
    assert (ga4[0], ga4[-2], ga4[-1]) == (
        "events_20241201.jsonl",
        "events_20261129.jsonl",
        "events_20261130.jsonl",
    )
    assert sorted(p.name for p in (ex / "ga4").glob("events_intraday_*.jsonl")) == [
        "events_intraday_20261130.jsonl"
    ]
    assert sorted(p.name for p in (ex / "marketo" / "leads").iterdir())[-1] == "2026-11-30.csv"
    ads = sorted(p.name for p in (ex / "ads" / "google_ads").glob("campaign_*.csv"))
    assert ads[-1] == "campaign_2026-11-30.csv"
    pages = sorted(p.name for p in (ex / "salesforce" / "Lead").iterdir())
    assert pages[-1].startswith("20261201T000000Z")
    last_event = max(
        int(json.loads(line)["event_timestamp"])
        for line in (ex / "ga4" / "events_intraday_20261130.jsonl").read_text().splitlines()
        if line.strip() and '"event_timestamp":"' in line
    )
    assert last_event < 1_796_083_200_000_000  # 2026-12-01T00:00:00Z in microseconds


def test_a_scale_factor_multiplies_the_populations_not_the_window() -> None:
    """``small-3x`` is three times small's populations over the same 730 days.

    By hand: small is 300 companies, 2,000 people, 6,000 anonymous cookies, so small-3x is
    900 / 6,000 / 18,000. Journeys are drawn per person at the same rates, so a 2x world has
    about twice the touches (between 1.6x and 2.4x: a loose band, the draws differ).
    """
    from connectors.generate.world import build_world, scale_config

    assert scale_config("small-3x") == {"companies": 900, "people": 6_000, "anon_cookies": 18_000}
    assert scale_config("medium-1x") == scale_config("medium")
    for bad in ("tiny-2x", "small-0x", "small3x", "small-x", "large-2.5x"):
        with pytest.raises(ValueError, match="unknown scale"):
            scale_config(bad)
    one, two = build_world("small", 42), build_world("small-2x", 42)
    assert (len(two.companies), len(two.people)) == (600, 4_000)
    assert (two.t0, two.t1) == (one.t0, one.t1)
    assert 1.6 < len(two.touches) / len(one.touches) < 2.4
